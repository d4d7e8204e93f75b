package install

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/papdl/papdl/reconcilers/apiserver"
)

// maxConfigBytes bounds the configuration file read from the container.
const maxConfigBytes = 1 << 20

// errNoConfig means the controller has not written its configuration yet.
var errNoConfig = errors.New("the controller has not written its admin configuration yet")

// readAdminConfig reads STATE/admin.papdlconfig out of the controller's
// container through the engine's archive API (the file is in the volume;
// the token never leaves the engine's connection).
func readAdminConfig(ctx context.Context, eng Engine, containerID string) (*apiserver.Config, error) {
	src := path.Join(StateDir, apiserver.AdminConfigFile)
	rc, _, err := eng.CopyFromContainer(ctx, containerID, src)
	if cerrdefs.IsNotFound(err) {
		return nil, errNoConfig
	}
	if err != nil {
		return nil, fmt.Errorf("copy %s from container %.12s: %w", src, containerID, err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("copy %s from container %.12s: no file in the archive", src, containerID)
		}
		if err != nil {
			return nil, fmt.Errorf("copy %s from container %.12s: %w", src, containerID, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, maxConfigBytes+1))
		if err != nil {
			return nil, fmt.Errorf("copy %s from container %.12s: %w", src, containerID, err)
		}
		cfg, err := apiserver.ParseConfig(data)
		if err != nil {
			return nil, fmt.Errorf("%s in container %.12s: %w", src, containerID, err)
		}
		return cfg, nil
	}
}

// ClientContext is the controller's admin context as a client reaches it:
// named admin@ADDRESS, server https://ADDRESS:PORT.
func ClientContext(cfg *apiserver.Config, address string, port int) (apiserver.Context, error) {
	c, err := cfg.Context("")
	if err != nil {
		return apiserver.Context{}, err
	}
	c.Name = "admin@" + address
	c.Server = "https://" + netJoin(address, port)
	return c, nil
}
