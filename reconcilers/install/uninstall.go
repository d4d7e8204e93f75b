package install

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/swarm"

	"github.com/papdl/papdl/reconcilers/apiserver"
	"github.com/papdl/papdl/reconcilers/objects"
	swarmrt "github.com/papdl/papdl/reconcilers/runtime/swarm"
)

// UninstallRequest says what to remove besides the controller's service.
type UninstallRequest struct {
	// RemoveModels deletes every model through the API first and waits
	// until the controller has removed them.
	RemoveModels bool
	// Purge also removes the state volume and the controller images.
	Purge bool
	// APIAddress is where RemoveModels reaches the API from here (default:
	// the first address the service's certificate names).
	APIAddress string
}

// Uninstall removes the controller's service (waiting until its container
// is gone), after its models when asked, and its volume and images when
// purging. Models left behind keep serving.
func Uninstall(ctx context.Context, eng Engine, req UninstallRequest, p Progress) error {
	svc, _, err := eng.ServiceInspectWithRaw(ctx, ServiceName, swarm.ServiceInspectOptions{})
	switch {
	case cerrdefs.IsNotFound(err):
		p.say("service %s not installed", ServiceName)
		if req.RemoveModels {
			p.say("no controller to remove models through: models still on the swarm keep running")
		}
	case err != nil:
		return fmt.Errorf("inspect service %s: %w", ServiceName, err)
	case svc.Spec.Labels[LabelComponent] != ComponentController:
		return fmt.Errorf("service %s was not made by papdlctl install (no %s=%s label): not removing it", ServiceName, LabelComponent, ComponentController)
	default:
		if req.RemoveModels {
			if err := removeModels(ctx, eng, svc, req.APIAddress, p); err != nil {
				return err
			}
		}
		if err := removeService(ctx, eng, svc.ID, p); err != nil {
			return err
		}
	}
	if !req.Purge {
		return nil
	}
	return purge(ctx, eng, p)
}

// serviceAPI reads the API's port and first certificate name from the
// service's command line (ControllerArgs).
func serviceAPI(svc swarm.Service) (port int, address string, err error) {
	if svc.Spec.TaskTemplate.ContainerSpec == nil {
		return 0, "", fmt.Errorf("service %s has no container spec", ServiceName)
	}
	args := svc.Spec.TaskTemplate.ContainerSpec.Args
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "--api-listen":
			_, ps, err := net.SplitHostPort(args[i+1])
			if err == nil {
				port, err = strconv.Atoi(ps)
			}
			if err != nil {
				return 0, "", fmt.Errorf("service %s: --api-listen %q: %w", ServiceName, args[i+1], err)
			}
		case "--api-san":
			if address == "" {
				address = args[i+1]
			}
		}
	}
	if port == 0 {
		return 0, "", fmt.Errorf("service %s: no --api-listen in its command line", ServiceName)
	}
	return port, address, nil
}

// removeModels deletes every model through the API and waits until the
// controller has none left and no service of a model remains.
func removeModels(ctx context.Context, eng Engine, svc swarm.Service, address string, p Progress) error {
	port, san, err := serviceAPI(svc)
	if err != nil {
		return err
	}
	if address == "" {
		address = san
	}
	if address == "" {
		address = "127.0.0.1"
	}
	hash := svc.Spec.Labels[LabelSpecHash]
	containerID, err := runningTask(ctx, eng, hash, p)
	if err != nil {
		return err
	}
	cfg, err := readAdminConfig(ctx, eng, containerID)
	if err != nil {
		return err
	}
	cx, err := ClientContext(cfg, address, port)
	if err != nil {
		return err
	}
	cl, err := apiserver.NewClient(cx)
	if err != nil {
		return err
	}
	models, err := cl.List(ctx, nil)
	if err != nil {
		return fmt.Errorf("list models at %s: %w", cx.Server, err)
	}
	for _, m := range models {
		if err := cl.Delete(ctx, m.Name); err != nil && !errors.Is(err, objects.ErrNotFound) {
			return fmt.Errorf("delete model %s: %w", m.Name, err)
		}
		p.say("model %s deleted", m.Name)
	}
	start := time.Now()
	err = waitFor(ctx, p, "the models to be removed", func(ctx context.Context) (bool, string, error) {
		left, err := cl.List(ctx, nil)
		if err != nil {
			return false, "", fmt.Errorf("list models at %s: %w", cx.Server, err)
		}
		var names []string
		for _, m := range left {
			names = append(names, m.Name)
		}
		svcs, err := modelServices(ctx, eng)
		if err != nil {
			return false, "", err
		}
		if len(names)+len(svcs) == 0 {
			return true, "", nil
		}
		return false, fmt.Sprintf("models [%s], services [%s]", strings.Join(names, " "), strings.Join(svcs, " ")), nil
	})
	if err != nil {
		return err
	}
	if len(models) > 0 {
		p.say("models removed: %d (%s)", len(models), time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// modelServices names the services of papdl models on the swarm.
func modelServices(ctx context.Context, eng Engine) ([]string, error) {
	svcs, err := eng.ServiceList(ctx, swarm.ServiceListOptions{Filters: filters.NewArgs(filters.Arg("label", swarmrt.LabelModel))})
	if err != nil {
		return nil, fmt.Errorf("list services of models: %w", err)
	}
	out := make([]string, len(svcs))
	for i, s := range svcs {
		out[i] = s.Spec.Name
	}
	return out, nil
}

// removeService removes the controller's service and waits until its
// containers are gone (the volume is in use until then).
func removeService(ctx context.Context, eng Engine, id string, p Progress) error {
	if err := eng.ServiceRemove(ctx, id); err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("remove service %s: %w", ServiceName, err)
	}
	start := time.Now()
	err := waitFor(ctx, p, "the controller's container to be removed", func(ctx context.Context) (bool, string, error) {
		cs, err := controllerContainers(ctx, eng)
		if err != nil {
			return false, "", err
		}
		return len(cs) == 0, strings.Join(cs, ", "), nil
	})
	if err != nil {
		return err
	}
	p.say("service %s removed (%s)", ServiceName, time.Since(start).Round(time.Millisecond))
	return nil
}

// controllerContainers lists the controller service's containers on the
// engine, as "ID (state)".
func controllerContainers(ctx context.Context, eng Engine) ([]string, error) {
	cs, err := eng.ContainerList(ctx, container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", "com.docker.swarm.service.name="+ServiceName))})
	if err != nil {
		return nil, fmt.Errorf("list containers of %s: %w", ServiceName, err)
	}
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = fmt.Sprintf("%.12s (%s)", c.ID, c.State)
	}
	return out, nil
}

// purge removes the state volume and the controller images.
func purge(ctx context.Context, eng Engine, p Progress) error {
	var errs []error
	if err := eng.VolumeRemove(ctx, VolumeName, false); err == nil {
		p.say("volume %s removed", VolumeName)
	} else if !cerrdefs.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("remove volume %s: %w", VolumeName, err))
	}
	imgs, err := eng.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(
		filters.Arg("label", LabelComponent+"="+ComponentController))})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("list controller images: %w", err))...)
	}
	for _, im := range imgs {
		if _, err := eng.ImageRemove(ctx, im.ID, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove image %s: %w", strings.Join(im.RepoTags, ","), err))
			continue
		}
		p.say("image %s removed", strings.Join(im.RepoTags, ","))
	}
	return errors.Join(errs...)
}
