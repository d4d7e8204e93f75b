package swarm

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"
)

// Labels the runtime adds next to the workload's.
const (
	// labelImageRef is the node image a service was created with.
	labelImageRef = "papdl.io/image-ref"
	// labelCommandHash digests the service's command line (the artifact
	// URLs and flags in it), so a changed command is drift too.
	labelCommandHash = "papdl.io/command-hash"
)

// minMemoryReservation is the smallest memory reservation Swarm accepts
// ("invalid memory value ...: Must be at least 4MiB"); smaller plans (a
// partition of a few small layers) reserve this much.
const minMemoryReservation = 4 << 20

// serviceParams is everything a papdl service is made of.
type serviceParams struct {
	Name    string
	Labels  map[string]string
	Image   string
	Args    []string
	NodeID  string
	Network string
	// MemoryReservation in bytes (0: none).
	MemoryReservation int64
	// Restart is on-failure for workloads, none for one-shot benchmarks.
	Restart swarm.RestartPolicyCondition
	// Port, when > 0, is published in host mode on the node (the gateway).
	Port   int
	Health *container.HealthConfig
	// Secrets are mounted into the container (nil entries are skipped):
	// the model's chain credentials, the gateway's token.
	Secrets []*swarm.SecretReference
	// Cache mounts the node's artifact cache volume (partition servers).
	Cache bool
	// Env is the container's environment (GOMEMLIMIT).
	Env []string
}

// commandHash digests a command line.
func commandHash(image string, args []string) string {
	h := sha256.New()
	h.Write([]byte(image))
	for _, a := range args {
		h.Write([]byte{0})
		h.Write([]byte(a))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// commandLineHash digests what the container runs: image, arguments and
// environment. Apply compares it with the running service's label.
func commandLineHash(image string, args, env []string) string {
	return commandHash(image, append(slices.Clone(args), env...))
}

// serviceSpec builds the spec of one papdl service: one replica pinned to
// its node, dnsrr on the model's network, the image's entrypoint (the node
// binary) with Args.
func serviceSpec(p serviceParams) swarm.ServiceSpec {
	labels := make(map[string]string, len(p.Labels)+2)
	for k, v := range p.Labels {
		labels[k] = v
	}
	labels[labelImageRef] = p.Image
	labels[labelCommandHash] = commandLineHash(p.Image, p.Args, p.Env)
	ctrLabels := map[string]string{}
	for _, k := range []string{LabelModel, LabelRole, LabelPartition} {
		if v, ok := p.Labels[k]; ok {
			ctrLabels[k] = v
		}
	}
	one := uint64(1)
	delay := 2 * time.Second
	grace := 10 * time.Second
	spec := swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: p.Name, Labels: labels},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{
				Image:           p.Image,
				Args:            append([]string(nil), p.Args...),
				Env:             slices.Clone(p.Env),
				Labels:          ctrLabels,
				Hostname:        p.Name,
				StopGracePeriod: &grace,
				Healthcheck:     p.Health,
			},
			RestartPolicy: &swarm.RestartPolicy{Condition: p.Restart, Delay: &delay},
			Placement:     &swarm.Placement{Constraints: []string{"node.id==" + p.NodeID}},
			Networks:      []swarm.NetworkAttachmentConfig{{Target: p.Network}},
		},
		Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}},
		EndpointSpec: &swarm.EndpointSpec{Mode: swarm.ResolutionModeDNSRR},
	}
	for _, s := range p.Secrets {
		if s != nil {
			spec.TaskTemplate.ContainerSpec.Secrets = append(spec.TaskTemplate.ContainerSpec.Secrets, s)
		}
	}
	if p.Cache {
		spec.TaskTemplate.ContainerSpec.Mounts = []mount.Mount{{Type: mount.TypeVolume, Source: CacheVolume, Target: CacheDir}}
	}
	if p.MemoryReservation > 0 {
		spec.TaskTemplate.Resources = &swarm.ResourceRequirements{
			Reservations: &swarm.Resources{MemoryBytes: max(p.MemoryReservation, minMemoryReservation)},
		}
	}
	if p.Port > 0 {
		spec.EndpointSpec.Ports = []swarm.PortConfig{{
			Protocol: swarm.PortConfigProtocolTCP, TargetPort: uint32(p.Port), PublishedPort: uint32(p.Port),
			PublishMode: swarm.PortConfigPublishModeHost,
		}}
	}
	return spec
}

// labelFilter matches objects with label key (=value when value != "").
func labelFilter(key, value string) filters.Args {
	if value != "" {
		return filters.NewArgs(filters.Arg("label", key+"="+value))
	}
	return filters.NewArgs(filters.Arg("label", key))
}

// terminal reports whether a task state is final.
func terminal(s swarm.TaskState) bool {
	switch s {
	case swarm.TaskStateComplete, swarm.TaskStateShutdown, swarm.TaskStateFailed,
		swarm.TaskStateRejected, swarm.TaskStateRemove, swarm.TaskStateOrphaned:
		return true
	}
	return false
}

// isOutOfSequence is the error of a ServiceUpdate based on a stale version.
func isOutOfSequence(err error) bool {
	return err != nil && strings.Contains(err.Error(), "update out of sequence")
}
