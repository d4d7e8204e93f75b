package install

import (
	"net"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"
)

// hostNetwork is the swarm's name for the host's network stack.
const hostNetwork = "host"

// ControllerArgs is the controller's command line in the container (after
// the entrypoint, papdlctl). It holds no secret.
func ControllerArgs(o Options) []string {
	args := []string{"controller", "--runtime", "swarm",
		"--specs-dir", SpecsDir, "--state-dir", StateDir,
		"--api-listen", net.JoinHostPort("0.0.0.0", strconv.Itoa(o.APIPort)),
		"--artifact-listen", o.ArtifactAddr,
		"--node-binary", nodeInImage,
	}
	for _, a := range o.APIAddresses {
		args = append(args, "--api-san", a)
	}
	for _, e := range o.sortedEngines() {
		args = append(args, "--node-engine", e)
	}
	if o.LogLevel != "" {
		args = append(args, "--log-level", o.LogLevel)
	}
	return args
}

// mounts are the container's mounts: the engine's socket, the state
// volume, the models directories (read-only) and the directories of the
// node engines' unix sockets, each at its host path.
func mounts(o Options) []mount.Mount {
	ms := []mount.Mount{
		{Type: mount.TypeBind, Source: dockerSocket, Target: dockerSocket},
		{Type: mount.TypeVolume, Source: VolumeName, Target: DataDir,
			VolumeOptions: &mount.VolumeOptions{Labels: map[string]string{LabelComponent: ComponentController}}},
	}
	for _, d := range o.ModelsDirs {
		ms = append(ms, mount.Mount{Type: mount.TypeBind, Source: d, Target: d, ReadOnly: true})
	}
	// The directory, not the socket: a node engine that restarts makes a
	// new socket file, which a bind mount of the old one would not see.
	seen := map[string]bool{}
	var dirs []string
	for _, a := range o.NodeEngines {
		if sock, ok := strings.CutPrefix(a, "unix://"); ok {
			if d := path.Dir(sock); !seen[d] {
				seen[d] = true
				dirs = append(dirs, d)
			}
		}
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		ms = append(ms, mount.Mount{Type: mount.TypeBind, Source: d, Target: d})
	}
	return ms
}

// ServiceSpec is the controller's service: image on the manager nodeID,
// on the host's network.
func ServiceSpec(o Options, image, nodeID string) swarm.ServiceSpec {
	one := uint64(1)
	restartDelay := 5 * time.Second
	grace := 30 * time.Second
	return swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: ServiceName,
			Labels: map[string]string{LabelComponent: ComponentController}},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{
				Image: image,
				Args:  ControllerArgs(o),
				// The node's hostname: the API's certificate names it.
				Hostname:        "{{.Node.Hostname}}",
				Env:             []string{"HOME=" + DataDir},
				Mounts:          mounts(o),
				StopGracePeriod: &grace,
				Labels:          map[string]string{LabelComponent: ComponentController},
			},
			Placement: &swarm.Placement{Constraints: []string{"node.role==manager", "node.id==" + nodeID}},
			// The state volume is local to the node: one controller at a
			// time, restarted in place.
			RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionAny, Delay: &restartDelay},
			Networks:      []swarm.NetworkAttachmentConfig{{Target: hostNetwork}},
		},
		Mode: swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}},
		// The new controller starts once the old one has stopped: the state
		// directory's lock admits one at a time.
		UpdateConfig: &swarm.UpdateConfig{Parallelism: 1, Order: swarm.UpdateOrderStopFirst,
			FailureAction: swarm.UpdateFailureActionPause},
	}
}
