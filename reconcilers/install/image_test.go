package install

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRootfs(t *testing.T) {
	fs, err := rootfs([]byte("ctl"), []byte("node!"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(fs))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		got[h.Name] = string(rune(h.Typeflag)) + " " + strings.TrimPrefix(string(data), "")
		if h.Name == "tmp/" && h.Mode != 0o1777 {
			t.Errorf("tmp/ mode %o, want 1777", h.Mode)
		}
		if h.Typeflag == tar.TypeReg && h.Mode != 0o755 {
			t.Errorf("%s mode %o, want 755", h.Name, h.Mode)
		}
	}
	for name, want := range map[string]string{"papdlctl": "0 ctl", "papdl-node": "0 node!", "tmp/": "5 ", "var/lib/papdl/": "5 "} {
		if got[name] != want {
			t.Errorf("%s: %q, want %q", name, got[name], want)
		}
	}
}

func TestImageTag(t *testing.T) {
	a := ImageTag([]byte("ctl"), []byte("node"))
	if !strings.HasPrefix(a, ImageRepository+":") || len(a) != len(ImageRepository)+1+12 {
		t.Errorf("tag %q", a)
	}
	// The boundary between the binaries counts.
	if b := ImageTag([]byte("ctln"), []byte("ode")); b == a {
		t.Errorf("different binaries share the tag %s", a)
	}
	if b := ImageTag([]byte("ctl"), []byte("node")); b != a {
		t.Errorf("the same binaries get %s and %s", a, b)
	}
}

func TestCheckStatic(t *testing.T) {
	notELF := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := checkStatic(notELF); err == nil || !strings.Contains(err.Error(), "not an ELF") {
		t.Errorf("checkStatic(script) = %v", err)
	}
	// /bin/sh is dynamically linked on every Debian.
	if _, err := os.Stat("/bin/sh"); err == nil {
		if err := checkStatic("/bin/sh"); err == nil || !strings.Contains(err.Error(), "dynamically linked") {
			t.Errorf("checkStatic(/bin/sh) = %v", err)
		}
	}
}
