package swarm

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"go.uber.org/zap"
)

// binaryInImage is where the node binary lives in the image.
const binaryInImage = "/papdl-node"

// imageTag is the tag of the image around a binary with this sha256.
func imageTag(repo, sha string) string { return repo + ":" + sha[:12] }

// buildContext is an in-memory tar with a Dockerfile and the binary.
func buildContext(binary []byte, repo string) ([]byte, error) {
	dockerfile := fmt.Sprintf("FROM scratch\nCOPY papdl-node %s\nLABEL %s=%q\nENTRYPOINT [%q]\n",
		binaryInImage, LabelImage, repo, binaryInImage)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	files := []struct {
		name string
		mode int64
		data []byte
	}{{"Dockerfile", 0o644, []byte(dockerfile)}, {"papdl-node", 0o755, binary}}
	for _, f := range files {
		hdr := &tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("build context: %w", err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, fmt.Errorf("build context: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	}
	return buf.Bytes(), nil
}

// StreamError reads a JSON message stream (build, import or load output) to the
// end and returns the first error it reports.
func StreamError(rd io.Reader) error {
	dec := json.NewDecoder(rd)
	for {
		var m struct {
			Error       string `json:"error"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read engine output: %w", err)
		}
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			return errors.New(m.ErrorDetail.Message)
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
	}
}

// nodeImage returns the node image reference, building it on the manager
// when the binary changed or the manager lost it.
func (r *Runtime) nodeImage(ctx context.Context) (string, error) {
	if r.cfg.Image != "" {
		return r.cfg.Image, nil
	}
	r.imgMu.Lock()
	defer r.imgMu.Unlock()
	st, err := os.Stat(r.cfg.NodeBinary)
	if err != nil {
		return "", fmt.Errorf("node binary: %w", err)
	}
	key := fmt.Sprintf("%s|%d|%d", r.cfg.NodeBinary, st.Size(), st.ModTime().UnixNano())
	if key == r.binKey && r.image != "" {
		if _, err := r.eng.ImageInspect(ctx, r.image); err == nil {
			return r.image, nil
		}
	}
	bin, err := os.ReadFile(r.cfg.NodeBinary)
	if err != nil {
		return "", fmt.Errorf("node binary: %w", err)
	}
	sum := sha256.Sum256(bin)
	tag := imageTag(r.cfg.ImageRepository, hex.EncodeToString(sum[:]))
	if _, err := r.eng.ImageInspect(ctx, tag); err != nil {
		if !cerrdefs.IsNotFound(err) {
			return "", fmt.Errorf("inspect image %s on the manager: %w", tag, err)
		}
		if err := r.buildImage(ctx, tag, bin); err != nil {
			return "", err
		}
	}
	r.binKey, r.image = key, tag
	r.mu.Lock()
	r.loaded = map[string]string{}
	r.mu.Unlock()
	return tag, nil
}

func (r *Runtime) buildImage(ctx context.Context, tag string, bin []byte) error {
	start := time.Now()
	tarball, err := buildContext(bin, r.cfg.ImageRepository)
	if err != nil {
		return err
	}
	resp, err := r.eng.ImageBuild(ctx, bytes.NewReader(tarball), build.ImageBuildOptions{
		Tags: []string{tag}, Version: build.BuilderV1, Remove: true, ForceRemove: true,
		Labels: map[string]string{LabelImage: r.cfg.ImageRepository},
	})
	if err != nil {
		return fmt.Errorf("build image %s from %s: %w", tag, filepath.Base(r.cfg.NodeBinary), err)
	}
	defer resp.Body.Close()
	if err := StreamError(resp.Body); err != nil {
		return fmt.Errorf("build image %s: %w", tag, err)
	}
	r.log.Info("built node image", zap.String("image", tag), zap.Int("binaryBytes", len(bin)),
		zap.Duration("took", time.Since(start)))
	return nil
}

// ensureImage makes sure the node with this ID and hostname has the node
// image and returns its reference. The manager builds it; a worker named
// in Config.NodeEngines gets it by ImageSave + ImageLoad; any other node is
// assumed to pull it (Config.Image from a registry).
func (r *Runtime) ensureImage(ctx context.Context, nodeID, hostname string) (string, error) {
	ref, err := r.nodeImage(ctx)
	if err != nil {
		return "", err
	}
	if nodeID == r.managerID || r.cfg.Image != "" {
		return ref, nil
	}
	r.mu.Lock()
	have := r.loaded[hostname] == ref
	r.mu.Unlock()
	eng, err := r.nodeEngine(hostname)
	if err != nil {
		return "", err
	}
	if eng == nil {
		r.log.Warn("no engine address for node, assuming it has the image",
			zap.String("node", hostname), zap.String("image", ref))
		return ref, nil
	}
	if have {
		// Cheap re-check: a node rebuilt from scratch has lost it.
		if _, err := eng.ImageInspect(ctx, ref); err == nil {
			return ref, nil
		}
	}
	r.imgMu.Lock()
	defer r.imgMu.Unlock()
	if _, err := eng.ImageInspect(ctx, ref); err == nil {
		r.markLoaded(hostname, ref)
		return ref, nil
	} else if !cerrdefs.IsNotFound(err) {
		return "", fmt.Errorf("inspect image %s on node %s: %w", ref, hostname, err)
	}
	start := time.Now()
	rc, err := r.eng.ImageSave(ctx, []string{ref})
	if err != nil {
		return "", fmt.Errorf("save image %s from the manager: %w", ref, err)
	}
	defer rc.Close()
	resp, err := eng.ImageLoad(ctx, rc, client.ImageLoadWithQuiet(true))
	if err != nil {
		return "", fmt.Errorf("load image %s into node %s: %w", ref, hostname, err)
	}
	defer resp.Body.Close()
	if err := StreamError(resp.Body); err != nil {
		return "", fmt.Errorf("load image %s into node %s: %w", ref, hostname, err)
	}
	r.log.Info("loaded node image", zap.String("node", hostname), zap.String("image", ref),
		zap.Duration("took", time.Since(start)))
	r.markLoaded(hostname, ref)
	return ref, nil
}

func (r *Runtime) markLoaded(hostname, ref string) {
	r.mu.Lock()
	r.loaded[hostname] = ref
	r.mu.Unlock()
}

// removeImages deletes the images the runtime built (label papdl.io/image)
// from one engine.
func removeImages(ctx context.Context, eng ImageEngine, where string) error {
	imgs, err := eng.ImageList(ctx, image.ListOptions{Filters: labelFilter(LabelImage, "")})
	if err != nil {
		return fmt.Errorf("list images on %s: %w", where, err)
	}
	var errs []error
	for _, im := range imgs {
		_, err := eng.ImageRemove(ctx, im.ID, image.RemoveOptions{Force: true, PruneChildren: true})
		if err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove image %s (%s) on %s: %w", strings.Join(im.RepoTags, ","), im.ID, where, err))
		}
	}
	return errors.Join(errs...)
}
