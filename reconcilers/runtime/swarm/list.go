package swarm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"go.uber.org/zap"

	"github.com/papdl/papdl/reconcilers/runtime"
)

// List returns the workloads (partitions and gateways) of model, or of
// every model when model is "", sorted by name.
func (r *Runtime) List(ctx context.Context, model string) ([]runtime.Observed, error) {
	svcs, err := r.eng.ServiceList(ctx, swarm.ServiceListOptions{Filters: labelFilter(LabelModel, model)})
	if err != nil {
		return nil, fmt.Errorf("list services of model %q: %w", model, err)
	}
	var keep []swarm.Service
	for _, s := range svcs {
		if role := s.Spec.Labels[LabelRole]; role == runtime.RolePartition || role == runtime.RoleGateway {
			keep = append(keep, s)
		}
	}
	if len(keep) == 0 {
		return nil, nil
	}
	args := filters.NewArgs()
	for _, s := range keep {
		args.Add("service", s.ID)
	}
	tasks, err := r.eng.TaskList(ctx, swarm.TaskListOptions{Filters: args})
	if err != nil {
		return nil, fmt.Errorf("list tasks of model %q: %w", model, err)
	}
	byService := map[string][]swarm.Task{}
	for _, t := range tasks {
		byService[t.ServiceID] = append(byService[t.ServiceID], t)
	}
	out := make([]runtime.Observed, 0, len(keep))
	for _, s := range keep {
		o, err := observe(s, byService[s.ID])
		if err != nil {
			r.log.Warn("skipping service with unreadable labels", zap.String("service", s.Spec.Name), zap.Error(err))
			continue
		}
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// observe turns a service and its tasks into an Observed workload: Running
// when a task runs on the desired node, Restarts the failed tasks Swarm
// still remembers (its task history, 5 per slot by default), Message from
// the newest task.
func observe(s swarm.Service, tasks []swarm.Task) (runtime.Observed, error) {
	w, err := decodeWorkload(s.Spec.Name, s.Spec.Labels)
	if err != nil {
		return runtime.Observed{}, err
	}
	o := runtime.Observed{Workload: w, Hash: s.Spec.Labels[LabelSpecHash]}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].CreatedAt.After(tasks[j].CreatedAt) })
	for _, t := range tasks {
		switch t.Status.State {
		case swarm.TaskStateFailed, swarm.TaskStateRejected:
			o.Restarts++
		case swarm.TaskStateRunning:
			if t.DesiredState == swarm.TaskStateRunning && t.NodeID == w.Node && !o.Running && current(t, s) {
				o.Running = true
				o.Since = t.Status.Timestamp
			}
		}
	}
	if o.Running {
		return o, nil
	}
	if len(tasks) == 0 {
		o.Message = "no task yet"
		return o, nil
	}
	t := tasks[0]
	msg := taskMessage(t)
	if t.NodeID != "" && t.NodeID != w.Node {
		msg += fmt.Sprintf(" (on node %s, wanted %s)", t.NodeID, w.Node)
	}
	o.Message = msg
	return o, nil
}

// current reports whether a task runs the service's present task template
// (during an update the old task runs on for a moment). Swarm copies only
// part of the template into a task, so the parts papdl sets are compared.
func current(t swarm.Task, s swarm.Service) bool {
	a, err1 := json.Marshal(taskIdentity(t.Spec))
	b, err2 := json.Marshal(taskIdentity(s.Spec.TaskTemplate))
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}

func taskIdentity(ts swarm.TaskSpec) any {
	var image string
	var cmd, args, env []string
	if c := ts.ContainerSpec; c != nil {
		image, cmd, args, env = c.Image, c.Command, c.Args, c.Env
	}
	return struct {
		Image          string
		Cmd, Args, Env []string
		Resources      *swarm.ResourceRequirements
		Placement      *swarm.Placement
		ForceUpdate    uint64
	}{image, cmd, args, env, ts.Resources, ts.Placement, ts.ForceUpdate}
}

// serviceTasks lists a service's tasks (by name or ID).
func (r *Runtime) serviceTasks(ctx context.Context, service string) ([]swarm.Task, error) {
	tasks, err := r.eng.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", service))})
	if err != nil {
		return nil, fmt.Errorf("list tasks of service %s: %w", service, err)
	}
	return tasks, nil
}

// Remove deletes a service by name and waits (up to 30 s) for its tasks to
// go; a missing service is not an error.
func (r *Runtime) Remove(ctx context.Context, name string) error {
	if err := r.eng.ServiceRemove(ctx, name); err != nil {
		if cerrdefs.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("remove service %s: %w", name, err)
	}
	r.log.Info("removed service", zap.String("service", name))
	return r.waitTasksGone(ctx, name, 30*time.Second)
}

// waitTasksGone waits until a removed service has no task left, so its
// host ports and network endpoints are free.
func (r *Runtime) waitTasksGone(ctx context.Context, service string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		tasks, err := r.serviceTasks(ctx, service)
		if err != nil || len(tasks) == 0 {
			return nil // the service is gone, and with it the task filter
		}
		if time.Now().After(deadline) {
			r.log.Warn("tasks of removed service still shutting down", zap.String("service", service),
				zap.Int("tasks", len(tasks)))
			return nil
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return fmt.Errorf("wait for tasks of service %s: %w", service, err)
		}
	}
}

// Clean removes the services and network of model, or when model is ""
// every papdl service and network and the node images on every engine.
func (r *Runtime) Clean(ctx context.Context, model string) error {
	svcs, err := r.eng.ServiceList(ctx, swarm.ServiceListOptions{Filters: labelFilter(LabelModel, model)})
	if err != nil {
		return fmt.Errorf("clean model %q: list services: %w", model, err)
	}
	var errs []error
	for _, s := range svcs {
		if err := r.eng.ServiceRemove(ctx, s.ID); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove service %s: %w", s.Spec.Name, err))
		}
	}
	for _, s := range svcs {
		if err := r.waitTasksGone(ctx, s.ID, 30*time.Second); err != nil {
			return err
		}
	}
	if err := r.removeNetworks(ctx, model); err != nil {
		errs = append(errs, err)
	}
	if err := r.removeSecrets(ctx, model); err != nil {
		errs = append(errs, err)
	} else {
		r.forgetBundle(model)
	}
	if model == "" {
		// The artifact caches go with the last model (the volume is
		// shared by the models, content-addressed).
		engines := map[string]ImageEngine{"the manager": r.eng}
		for host := range r.cfg.NodeEngines {
			eng, err := r.nodeEngine(host)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			engines["node "+host] = eng
		}
		for where, eng := range engines {
			if err := eng.VolumeRemove(ctx, CacheVolume, true); err != nil && !cerrdefs.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("remove the artifact cache on %s: %w", where, err))
			}
			if r.cfg.Image == "" {
				if err := removeImages(ctx, eng, where); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	if model == "" && r.cfg.Image == "" {
		r.mu.Lock()
		r.loaded = map[string]string{}
		r.image = ""
		r.mu.Unlock()
	}
	r.log.Info("cleaned", zap.String("model", model), zap.Int("services", len(svcs)), zap.Int("errors", len(errs)))
	return errors.Join(errs...)
}

// removeNetworks deletes the model's networks (all papdl networks for ""),
// retrying while detached tasks still hold endpoints.
func (r *Runtime) removeNetworks(ctx context.Context, model string) error {
	nets, err := r.eng.NetworkList(ctx, network.ListOptions{Filters: labelFilter(LabelModel, model)})
	if err != nil {
		return fmt.Errorf("list networks of model %q: %w", model, err)
	}
	var errs []error
	for _, n := range nets {
		deadline := time.Now().Add(30 * time.Second)
		for {
			err := r.eng.NetworkRemove(ctx, n.ID)
			if err == nil || cerrdefs.IsNotFound(err) {
				break
			}
			if !strings.Contains(err.Error(), "active endpoints") || time.Now().After(deadline) {
				errs = append(errs, fmt.Errorf("remove network %s: %w", n.Name, err))
				break
			}
			if err := sleep(ctx, 300*time.Millisecond); err != nil {
				return fmt.Errorf("remove network %s: %w", n.Name, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Endpoint is http://<address of the gateway's node>:<port>: the node
// that runs its task, else the node it is pinned to.
func (r *Runtime) Endpoint(ctx context.Context, w runtime.Workload) (string, error) {
	if w.Port <= 0 {
		return "", fmt.Errorf("endpoint of %s: the workload publishes no port", w.Name)
	}
	nodeID := w.Node
	tasks, err := r.serviceTasks(ctx, w.Name)
	if err != nil {
		return "", err
	}
	for _, t := range tasks {
		if t.Status.State == swarm.TaskStateRunning && t.NodeID != "" {
			nodeID = t.NodeID
			break
		}
	}
	n, err := r.swarmNode(ctx, nodeID)
	if err != nil {
		return "", fmt.Errorf("endpoint of %s: %w", w.Name, err)
	}
	addr := n.Status.Addr
	if addr == "" || addr == "0.0.0.0" {
		return "", fmt.Errorf("endpoint of %s: node %s reports no address", w.Name, n.Description.Hostname)
	}
	return fmt.Sprintf("http://%s:%d", addr, w.Port), nil
}
