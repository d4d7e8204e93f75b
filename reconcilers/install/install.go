package install

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/volume"

	"github.com/papdl/papdl/reconcilers/apiserver"
)

// Result is what Install did and the client's context for the API.
type Result struct {
	// Image is the controller image; ImageBuilt says it was made now.
	Image      string
	ImageBuilt bool
	// Service is "created", "updated" or "unchanged".
	Service string
	// Context reaches the API with the admin token.
	Context apiserver.Context
	// Version is the version the API reported.
	Version string
}

// Request is one installation.
type Request struct {
	Options Options
	// Image, when set, is run as is (a registry reference); otherwise the
	// image is made around Binaries.
	Image    string
	Binaries Binaries
}

// Manager returns the swarm node ID of the engine's node, failing unless
// it is a manager.
func Manager(ctx context.Context, eng Engine) (nodeID, nodeAddr string, err error) {
	info, err := eng.Info(ctx)
	if err != nil {
		return "", "", fmt.Errorf("engine %s: %w", eng.DaemonHost(), err)
	}
	if !info.Swarm.ControlAvailable {
		return "", "", fmt.Errorf("engine %s (%s) is not a swarm manager (swarm state %q): run papdlctl install against a manager",
			eng.DaemonHost(), info.Name, info.Swarm.LocalNodeState)
	}
	return info.Swarm.NodeID, info.Swarm.NodeAddr, nil
}

// WithHash is the spec labelled (service and container) with its own hash.
func WithHash(spec swarm.ServiceSpec) (swarm.ServiceSpec, string, error) {
	js, err := json.Marshal(spec)
	if err != nil {
		return spec, "", fmt.Errorf("encode service spec: %w", err)
	}
	sum := sha256.Sum256(js)
	hash := hex.EncodeToString(sum[:])[:16]
	spec.Labels = withLabel(spec.Labels, LabelSpecHash, hash)
	cs := *spec.TaskTemplate.ContainerSpec
	cs.Labels = withLabel(cs.Labels, LabelSpecHash, hash)
	spec.TaskTemplate.ContainerSpec = &cs
	return spec, hash, nil
}

// withLabel is a copy of labels with k=v.
func withLabel(labels map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(labels)+1)
	for a, b := range labels {
		out[a] = b
	}
	out[k] = v
	return out
}

// Install runs the controller as a service on the engine's manager node
// (creating or upgrading it in place), waits until its API answers and
// returns the admin context that reaches it at the first of
// req.Options.APIAddresses.
func Install(ctx context.Context, eng Engine, req Request, p Progress) (*Result, error) {
	o := req.Options
	if err := o.Validate(); err != nil {
		return nil, err
	}
	nodeID, _, err := Manager(ctx, eng)
	if err != nil {
		return nil, err
	}
	res := &Result{Image: req.Image}
	// 1. The image.
	if res.Image == "" {
		start := time.Now()
		if res.Image, res.ImageBuilt, err = EnsureImage(ctx, eng, req.Binaries); err != nil {
			return nil, err
		}
		if res.ImageBuilt {
			p.say("image %s made from %s and %s (%s)", res.Image, req.Binaries.Ctl, req.Binaries.Node, time.Since(start).Round(time.Millisecond))
		} else {
			p.say("image %s present", res.Image)
		}
	}
	// 2. The state volume (kept across upgrades and reinstalls).
	if _, err := eng.VolumeCreate(ctx, volume.CreateOptions{Name: VolumeName,
		Labels: map[string]string{LabelComponent: ComponentController}}); err != nil {
		return nil, fmt.Errorf("create volume %s: %w", VolumeName, err)
	}
	// 3. The service: created, updated in place, or left as it is.
	spec, hash, err := WithHash(ServiceSpec(o, res.Image, nodeID))
	if err != nil {
		return nil, err
	}
	if res.Service, err = applyService(ctx, eng, spec, hash); err != nil {
		return nil, err
	}
	p.say("service %s %s (spec %s)", ServiceName, res.Service, hash)
	// 4. Its task runs, has written its configuration, and the API answers.
	containerID, err := runningTask(ctx, eng, hash, p)
	if err != nil {
		return nil, err
	}
	var cfg *apiserver.Config
	err = waitFor(ctx, p, "the controller's admin configuration", func(ctx context.Context) (bool, string, error) {
		c, err := readAdminConfig(ctx, eng, containerID)
		if errors.Is(err, errNoConfig) {
			return false, "not written yet", nil
		}
		cfg = c
		return err == nil, "", err
	})
	if err != nil {
		return nil, err
	}
	if res.Context, err = ClientContext(cfg, o.APIAddresses[0], o.APIPort); err != nil {
		return nil, err
	}
	if res.Version, err = waitAPI(ctx, res.Context, p); err != nil {
		return nil, err
	}
	return res, nil
}

// applyService creates the service, or updates it when its spec hash
// differs; it says which.
func applyService(ctx context.Context, eng Engine, spec swarm.ServiceSpec, hash string) (string, error) {
	svc, _, err := eng.ServiceInspectWithRaw(ctx, ServiceName, swarm.ServiceInspectOptions{})
	if cerrdefs.IsNotFound(err) {
		if _, err := eng.ServiceCreate(ctx, spec, swarm.ServiceCreateOptions{}); err != nil {
			return "", fmt.Errorf("create service %s: %w", ServiceName, err)
		}
		return "created", nil
	}
	if err != nil {
		return "", fmt.Errorf("inspect service %s: %w", ServiceName, err)
	}
	if svc.Spec.Labels[LabelComponent] != ComponentController {
		return "", fmt.Errorf("service %s exists and was not made by papdlctl install (no %s=%s label): remove it first",
			ServiceName, LabelComponent, ComponentController)
	}
	if svc.Spec.Labels[LabelSpecHash] == hash {
		return "unchanged", nil
	}
	if _, err := eng.ServiceUpdate(ctx, svc.ID, svc.Version, spec, swarm.ServiceUpdateOptions{}); err != nil {
		return "", fmt.Errorf("update service %s: %w", ServiceName, err)
	}
	return "updated", nil
}

// waitAPI waits until the API answers GET /version with the context's
// token and CA, and returns the version.
func waitAPI(ctx context.Context, c apiserver.Context, p Progress) (string, error) {
	cl, err := apiserver.NewClient(c)
	if err != nil {
		return "", err
	}
	var version string
	err = waitFor(ctx, p, "the API at "+c.Server, func(ctx context.Context) (bool, string, error) {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		v, err := cl.Version(rctx)
		if err != nil {
			return false, err.Error(), nil
		}
		version = v
		return true, "", nil
	})
	return version, err
}
