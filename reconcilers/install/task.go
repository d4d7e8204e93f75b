package install

import (
	"context"
	"fmt"
	"sort"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
)

// LabelSpecHash on the service and its containers is the hash of the
// service spec the installer wrote: an unchanged spec is not updated, and
// the task of the current spec is told from the previous one's.
const LabelSpecHash = "papdl.io/spec-hash"

// tasks lists the controller service's tasks, newest first.
func tasks(ctx context.Context, eng Engine) ([]swarm.Task, error) {
	ts, err := eng.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", ServiceName))})
	if err != nil {
		return nil, fmt.Errorf("list tasks of %s: %w", ServiceName, err)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].CreatedAt.After(ts[j].CreatedAt) })
	return ts, nil
}

// specHash is a task's spec hash label.
func specHash(t swarm.Task) string {
	if t.Spec.ContainerSpec == nil {
		return ""
	}
	return t.Spec.ContainerSpec.Labels[LabelSpecHash]
}

// maxFailedTasks is how many tasks of the current spec may fail or be
// rejected (a missing bind source, a controller that exits at start)
// before waiting stops: Swarm would retry forever.
const maxFailedTasks = 3

// runningTask waits until a task of the service spec with this hash runs
// and returns its container's ID, reporting the tasks' states meanwhile.
func runningTask(ctx context.Context, eng Engine, hash string, p Progress) (string, error) {
	var id string
	err := waitFor(ctx, p, "the controller's task", func(ctx context.Context) (bool, string, error) {
		ts, err := tasks(ctx, eng)
		if err != nil {
			return false, "", err
		}
		detail := "no task yet"
		var failed []swarm.Task
		for _, t := range ts {
			if specHash(t) == hash && (t.Status.State == swarm.TaskStateFailed || t.Status.State == swarm.TaskStateRejected) {
				failed = append(failed, t)
			}
		}
		if len(failed) >= maxFailedTasks {
			return false, "", fmt.Errorf("%d tasks of %s failed, the last one: %s %s (docker service ps --no-trunc %s; docker service logs %s)",
				len(failed), ServiceName, failed[0].Status.State, failed[0].Status.Err, ServiceName, ServiceName)
		}
		for _, t := range ts {
			if specHash(t) != hash {
				continue
			}
			if t.Status.State == swarm.TaskStateRunning && t.Status.ContainerStatus != nil && t.DesiredState == swarm.TaskStateRunning {
				id = t.Status.ContainerStatus.ContainerID
				return true, "", nil
			}
			// The newest task of this spec says why it does not run yet.
			detail = string(t.Status.State)
			if t.Status.Err != "" {
				detail += ": " + t.Status.Err
			}
			break
		}
		return false, detail, nil
	})
	return id, err
}
