package install

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"

	"github.com/papdl/papdl/reconcilers/runtime/swarm"
)

// Binaries are the static executables the controller image holds.
type Binaries struct {
	// Ctl and Node are the paths of papdlctl and papdl-node.
	Ctl, Node string
}

// checkStatic fails unless path is an ELF executable without an
// interpreter (a CGO_ENABLED=0 Go build): a FROM-scratch image has no
// dynamic loader nor libc.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s: not an ELF executable: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked: the FROM-scratch image needs static binaries (CGO_ENABLED=0 go build, as make build does)", path)
		}
	}
	return nil
}

// imageFile is one entry of the image's root file system.
type imageFile struct {
	name string
	mode int64
	data []byte // nil for a directory
}

// rootfs is the image's file system as a tar: the two binaries, /tmp and
// the volume's mount point.
func rootfs(ctl, node []byte) ([]byte, error) {
	entries := []imageFile{
		{name: "tmp/", mode: 0o1777},
		{name: "var/", mode: 0o755},
		{name: "var/lib/", mode: 0o755},
		{name: "var/lib/papdl/", mode: 0o755},
		{name: ctlInImage[1:], mode: 0o755, data: ctl},
		{name: nodeInImage[1:], mode: 0o755, data: node},
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: e.mode, ModTime: time.Unix(0, 0), Typeflag: tar.TypeDir}
		if e.data != nil {
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("image root file system: %w", err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("image root file system: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("image root file system: %w", err)
	}
	return buf.Bytes(), nil
}

// ImageTag is the controller image's reference for these binaries:
// papdl-controller:<first 12 hex digits of the sha256 of both>.
func ImageTag(ctl, node []byte) string {
	h := sha256.New()
	for _, b := range [][]byte{ctl, node} {
		fmt.Fprintf(h, "%d:", len(b))
		h.Write(b)
	}
	return ImageRepository + ":" + hex.EncodeToString(h.Sum(nil))[:12]
}

// imageChanges are the image's configuration, as Dockerfile instructions.
func imageChanges() []string {
	return []string{
		fmt.Sprintf("ENTRYPOINT [%q]", ctlInImage),
		fmt.Sprintf("LABEL %s=%s", LabelComponent, ComponentController),
		"WORKDIR " + DataDir,
	}
}

// EnsureImage makes the controller image around the binaries on the
// engine, unless it has it already, and returns its reference and whether
// it was made now.
func EnsureImage(ctx context.Context, eng Engine, bins Binaries) (string, bool, error) {
	ctl, node, err := readBinaries(bins)
	if err != nil {
		return "", false, err
	}
	ref := ImageTag(ctl, node)
	if _, err := eng.ImageInspect(ctx, ref); err == nil {
		return ref, false, nil
	} else if !cerrdefs.IsNotFound(err) {
		return "", false, fmt.Errorf("inspect image %s: %w", ref, err)
	}
	fs, err := rootfs(ctl, node)
	if err != nil {
		return "", false, err
	}
	rc, err := eng.ImageImport(ctx, image.ImportSource{Source: bytes.NewReader(fs), SourceName: "-"}, ref,
		image.ImportOptions{Changes: imageChanges(), Message: "papdlctl install"})
	if err != nil {
		return "", false, fmt.Errorf("import image %s: %w", ref, err)
	}
	defer rc.Close()
	if err := swarm.StreamError(rc); err != nil {
		return "", false, fmt.Errorf("import image %s: %w", ref, err)
	}
	return ref, true, nil
}

// PlannedImage is the reference EnsureImage would give the binaries'
// image, made or not.
func PlannedImage(bins Binaries) (string, error) {
	ctl, node, err := readBinaries(bins)
	if err != nil {
		return "", err
	}
	return ImageTag(ctl, node), nil
}

// readBinaries reads both binaries, checking that they are static.
func readBinaries(bins Binaries) (ctl, node []byte, err error) {
	var data [2][]byte
	for i, p := range []string{bins.Ctl, bins.Node} {
		if err := checkStatic(p); err != nil {
			return nil, nil, err
		}
		if data[i], err = os.ReadFile(p); err != nil {
			return nil, nil, fmt.Errorf("controller image: %w", err)
		}
	}
	return data[0], data[1], nil
}
