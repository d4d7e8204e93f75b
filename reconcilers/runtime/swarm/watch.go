package swarm

import (
	"context"
	"regexp"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"go.uber.org/zap"
)

// Watch calls notify with a model's name whenever a service of that model
// changes (a task died, a service was updated or removed by hand) and with
// every model's name when a node changes (went down, drained, joined). It
// reconnects after errors until ctx ends; the controller's periodic resync
// covers whatever is missed while disconnected.
func (r *Runtime) Watch(ctx context.Context, notify func(model string)) {
	backoff := time.Second
	for ctx.Err() == nil {
		err := r.watchOnce(ctx, notify)
		if ctx.Err() != nil {
			return
		}
		r.log.Warn("docker events stream ended; reconnecting", zap.Error(err), zap.Duration("in", backoff))
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (r *Runtime) watchOnce(ctx context.Context, notify func(model string)) error {
	f := filters.NewArgs(filters.Arg("type", string(events.ServiceEventType)), filters.Arg("type", string(events.NodeEventType)))
	msgs, errs := r.eng.Events(ctx, events.ListOptions{Filters: f})
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-errs:
			return err
		case m := <-msgs:
			switch m.Type {
			case events.ServiceEventType:
				if model := m.Actor.Attributes[LabelModel]; model != "" {
					notify(model)
					continue
				}
				// Removal events carry no labels: look the name up.
				if model := modelOfService(m.Actor.Attributes["name"]); model != "" {
					notify(model)
				}
			case events.NodeEventType:
				obs, err := r.List(ctx, "")
				if err != nil {
					continue
				}
				seen := map[string]bool{}
				for _, o := range obs {
					if !seen[o.Model] {
						seen[o.Model] = true
						notify(o.Model)
					}
				}
			}
		}
	}
}

var serviceName = regexp.MustCompile(`^papdl-(.+)-(p[0-9]+(-[0-9a-f]{8})?|gateway|probe-.+|bench-.+)$`)

// modelOfService recovers the model from a papdl service name.
func modelOfService(name string) string {
	if m := serviceName.FindStringSubmatch(name); m != nil {
		return m[1]
	}
	return ""
}
