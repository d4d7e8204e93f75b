package swarm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"go.uber.org/zap"

	"github.com/papdl/papdl/reconcilers/runtime"
)

// Apply creates the workload's service, updates it when its spec hash,
// image or command changed, or restarts it when Swarm gave up on it (no
// task left that is not finished). It reports whether it changed anything.
func (r *Runtime) Apply(ctx context.Context, w runtime.Workload) (bool, error) {
	if w.Name == "" || w.Model == "" || w.Node == "" {
		return false, fmt.Errorf("apply workload %q: name, model and node are required", w.Name)
	}
	node, err := r.swarmNode(ctx, w.Node)
	if err != nil {
		return false, fmt.Errorf("apply service %s: %w", w.Name, err)
	}
	hostname := node.Description.Hostname
	ref, err := r.nodeImage(ctx)
	if err != nil {
		return false, fmt.Errorf("apply service %s: %w", w.Name, err)
	}
	arts, err := r.publishArtifacts(ctx, w)
	if err != nil {
		return false, fmt.Errorf("apply service %s: %w", w.Name, err)
	}
	args := r.cfg.Command(w, arts)
	var tokenSecret *swarm.SecretReference
	if w.Role == runtime.RoleGateway && w.TokenFile != "" {
		var path string
		if tokenSecret, path, err = r.ensureTokenSecret(ctx, w); err != nil {
			return false, fmt.Errorf("apply service %s: %w", w.Name, err)
		}
		args = append(args, "--token-file", path)
	}
	labels, err := workloadLabels(w)
	if err != nil {
		return false, err
	}

	cur, _, err := r.eng.ServiceInspectWithRaw(ctx, w.Name, swarm.ServiceInspectOptions{})
	found := err == nil
	if err != nil && !cerrdefs.IsNotFound(err) {
		return false, fmt.Errorf("inspect service %s: %w", w.Name, err)
	}
	if found && cur.Spec.Labels[LabelSpecHash] == labels[LabelSpecHash] &&
		cur.Spec.Labels[labelImageRef] == ref && cur.Spec.Labels[labelCommandHash] == commandLineHash(ref, args, heapEnv(w)) {
		if cur.Spec.Labels[LabelWorkload] != labels[LabelWorkload] {
			// Same hash, other revision or paths: relabel only (the
			// service's own labels; its tasks keep running).
			if err := r.relabel(ctx, w.Name, labels); err != nil {
				return false, err
			}
		}
		return r.restartIfGivenUp(ctx, cur, node)
	}

	if _, err := r.ensureImage(ctx, node.ID, hostname); err != nil {
		return false, fmt.Errorf("apply service %s on node %s: %w", w.Name, hostname, err)
	}
	netID, err := r.ensureNetwork(ctx, w.Model)
	if err != nil {
		return false, fmt.Errorf("apply service %s: %w", w.Name, err)
	}
	secret, err := r.ensureSecret(ctx, w.Model)
	if err != nil {
		return false, fmt.Errorf("apply service %s: %w", w.Name, err)
	}
	health := r.healthcheck(w)
	spec := serviceSpec(serviceParams{
		Name: w.Name, Labels: labels, Image: ref, Args: args, NodeID: node.ID, Network: netID,
		Secrets:           []*swarm.SecretReference{secret, tokenSecret},
		MemoryReservation: w.MemoryReservation, Restart: swarm.RestartPolicyConditionOnFailure,
		Port: w.Port, Health: health, Cache: w.Role == runtime.RolePartition, Env: heapEnv(w),
	})
	if !found {
		if _, err := r.eng.ServiceCreate(ctx, spec, swarm.ServiceCreateOptions{}); err != nil {
			return false, fmt.Errorf("create service %s on node %s: %w", w.Name, hostname, err)
		}
		r.log.Info("created service", zap.String("service", w.Name), zap.String("node", hostname),
			zap.String("hash", labels[LabelSpecHash]), zap.String("image", ref))
		return true, nil
	}
	if err := r.updateService(ctx, w.Name, func(swarm.Service) swarm.ServiceSpec { return spec }); err != nil {
		return false, err
	}
	r.log.Info("updated service", zap.String("service", w.Name), zap.String("node", hostname),
		zap.String("oldHash", cur.Spec.Labels[LabelSpecHash]), zap.String("hash", labels[LabelSpecHash]))
	return true, nil
}

func (r *Runtime) healthcheck(w runtime.Workload) *container.HealthConfig {
	if r.cfg.Healthcheck == nil {
		return nil
	}
	return r.cfg.Healthcheck(w)
}

// relabel rewrites the papdl labels of a service without touching its
// task template, so no task restarts.
func (r *Runtime) relabel(ctx context.Context, name string, labels map[string]string) error {
	return r.updateService(ctx, name, func(cur swarm.Service) swarm.ServiceSpec {
		s := cur.Spec
		next := make(map[string]string, len(s.Labels))
		for k, v := range s.Labels {
			next[k] = v
		}
		for k, v := range labels {
			next[k] = v
		}
		s.Labels = next
		return s
	})
}

// restartIfGivenUp forces a new task when the service has none left that
// is not finished (an exit 0 under on-failure, say) and its node is ready.
func (r *Runtime) restartIfGivenUp(ctx context.Context, svc swarm.Service, node swarm.Node) (bool, error) {
	tasks, err := r.serviceTasks(ctx, svc.ID)
	if err != nil {
		return false, err
	}
	for _, t := range tasks {
		if !terminal(t.Status.State) {
			return false, nil
		}
	}
	if node.Status.State != swarm.NodeStateReady {
		return false, nil // nothing can start until the node is back
	}
	err = r.updateService(ctx, svc.Spec.Name, func(cur swarm.Service) swarm.ServiceSpec {
		s := cur.Spec
		s.TaskTemplate.ForceUpdate++
		return s
	})
	if err != nil {
		return false, err
	}
	r.log.Info("restarted service with no live task", zap.String("service", svc.Spec.Name),
		zap.String("node", node.Description.Hostname))
	return true, nil
}

// updateService applies mutate to the current spec (read-modify-write),
// retrying when another writer got in between.
func (r *Runtime) updateService(ctx context.Context, name string, mutate func(swarm.Service) swarm.ServiceSpec) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var cur swarm.Service
		cur, _, err = r.eng.ServiceInspectWithRaw(ctx, name, swarm.ServiceInspectOptions{})
		if err != nil {
			return fmt.Errorf("inspect service %s: %w", name, err)
		}
		spec := mutate(cur)
		if spec.TaskTemplate.ForceUpdate < cur.Spec.TaskTemplate.ForceUpdate {
			spec.TaskTemplate.ForceUpdate = cur.Spec.TaskTemplate.ForceUpdate
		}
		var resp swarm.ServiceUpdateResponse
		resp, err = r.eng.ServiceUpdate(ctx, cur.ID, cur.Version, spec, swarm.ServiceUpdateOptions{})
		if err == nil {
			for _, warn := range resp.Warnings {
				r.log.Debug("service update warning", zap.String("service", name), zap.String("warning", warn))
			}
			return nil
		}
		if !isOutOfSequence(err) {
			return fmt.Errorf("update service %s: %w", name, err)
		}
		if err := sleep(ctx, time.Duration(attempt+1)*100*time.Millisecond); err != nil {
			return fmt.Errorf("update service %s: %w", name, err)
		}
	}
	return fmt.Errorf("update service %s: still out of sequence after 5 attempts: %w", name, err)
}

// publishArtifacts makes the workload's manifest and partition file
// downloadable and returns their URLs.
func (r *Runtime) publishArtifacts(ctx context.Context, w runtime.Workload) (Artifacts, error) {
	var a Artifacts
	if w.ManifestPath == "" && w.ArtifactPath == "" {
		return a, nil
	}
	if r.cfg.Artifacts == nil {
		return a, errors.New("workload has artifacts but neither Config.Artifacts nor Config.ArtifactBaseURL is set")
	}
	var err error
	if w.ManifestPath != "" {
		if a.ManifestSHA256, err = fileSHA256(ctx, w.ManifestPath); err != nil {
			return a, err
		}
		if a.Manifest, err = r.cfg.Artifacts.Publish(ctx, w.ManifestPath, a.ManifestSHA256); err != nil {
			return a, fmt.Errorf("publish manifest %s: %w", w.ManifestPath, err)
		}
	}
	if w.ArtifactPath != "" && w.Role == runtime.RolePartition {
		if a.Partition, err = r.cfg.Artifacts.Publish(ctx, w.ArtifactPath, w.ArtifactSHA256); err != nil {
			return a, fmt.Errorf("publish partition %s: %w", w.ArtifactPath, err)
		}
	}
	return a, nil
}

// ensureNetwork returns the ID of the model's attachable overlay network,
// creating it when missing, with encryption: Swarm then wraps the
// network's VXLAN traffic between nodes in IPsec (ESP, AES-GCM, keys
// rotated by the managers), so hops crossing machines are private on the
// wire even before the chain's own TLS.
func (r *Runtime) ensureNetwork(ctx context.Context, model string) (string, error) {
	name := NetworkName(model)
	for attempt := 0; attempt < 3; attempt++ {
		nets, err := r.eng.NetworkList(ctx, network.ListOptions{Filters: labelFilter(LabelModel, model)})
		if err != nil {
			return "", fmt.Errorf("list networks of model %s: %w", model, err)
		}
		for _, n := range nets {
			if n.Name == name {
				if _, ok := n.Options[networkEncrypted]; !ok && !r.cfg.PlainOverlay {
					r.log.Warn("the model's network is not encrypted (created by an older papdl); remove the model to recreate it",
						zap.String("network", name))
				}
				return n.ID, nil
			}
		}
		opts := network.CreateOptions{Driver: "overlay", Scope: "swarm", Attachable: true,
			Labels: map[string]string{LabelModel: model}}
		if !r.cfg.PlainOverlay {
			opts.Options = map[string]string{networkEncrypted: ""}
		}
		resp, err := r.eng.NetworkCreate(ctx, name, opts)
		if err == nil {
			r.log.Info("created network", zap.String("network", name), zap.String("id", resp.ID))
			return resp.ID, nil
		}
		if !strings.Contains(err.Error(), "already exists") {
			return "", fmt.Errorf("create network %s: %w", name, err)
		}
	}
	return "", fmt.Errorf("create network %s: it keeps appearing and vanishing", name)
}

// networkEncrypted is the overlay driver option that encrypts a network.
const networkEncrypted = "encrypted"

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// heapEnv paces the workload's garbage collection to its memory
// reservation (runtime.HeapLimit): without it papdl-node takes the node's
// whole memory limit for its own, as every other process on the node does.
func heapEnv(w runtime.Workload) []string {
	if limit := runtime.HeapLimit(w.MemoryReservation); limit > 0 {
		return []string{fmt.Sprintf("GOMEMLIMIT=%d", limit)}
	}
	return nil
}
