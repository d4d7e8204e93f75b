package commands

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/papdl/papdl/reconcilers/apiserver"
)

func TestInstallRequest(t *testing.T) {
	models := t.TempDir()
	cases := []struct {
		name               string
		o                  installOptions
		daemon, nodeAddr   string
		wantArtifact       string
		wantAddresses      []string
		wantEngine, errMsg string
	}{
		{name: "a real manager: artifacts on its swarm address", o: installOptions{apiPort: 6443},
			daemon: "tcp://manager.example:2376", nodeAddr: "192.0.2.10",
			wantArtifact: "192.0.2.10:6444", wantAddresses: []string{"manager.example", "192.0.2.10"}},
		{name: "a manager advertising loopback needs --artifact-addr", o: installOptions{apiPort: 6443},
			daemon: "tcp://h:2376", nodeAddr: "127.0.0.1", errMsg: "--artifact-addr"},
		{name: "flags win", o: installOptions{apiPort: 18943, artifactAddr: "10.99.0.1:18944", apiAddresses: []string{"api.example"},
			nodeEngines: []string{"node7=tcp://10.0.0.7:2376"}},
			daemon: "tcp://h:2376", nodeAddr: "127.0.0.1",
			wantArtifact: "10.99.0.1:18944", wantAddresses: []string{"api.example"}, wantEngine: "node7=tcp://10.0.0.7:2376"},
		{name: "a bad --node-engine", o: installOptions{apiPort: 1, artifactAddr: "10.0.0.1:2", nodeEngines: []string{"node7"}},
			daemon: "tcp://h:2376", errMsg: "HOSTNAME=ADDRESS"},
		{name: "a missing models directory on a local engine", o: installOptions{apiPort: 1, artifactAddr: "10.0.0.1:2",
			modelsDirs: []string{filepath.Join(models, "absent")}}, daemon: "unix:///var/run/docker.sock", errMsg: "not a directory"},
		{name: "a models directory on a local engine", o: installOptions{apiPort: 1, artifactAddr: "10.0.0.1:2",
			modelsDirs: []string{models}}, daemon: "unix:///var/run/docker.sock",
			wantArtifact: "10.0.0.1:2", wantAddresses: []string{"127.0.0.1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := installRequest(c.o, c.daemon, c.nodeAddr)
			if c.errMsg != "" {
				if err == nil || !strings.Contains(err.Error(), c.errMsg) {
					t.Fatalf("installRequest: %v, want an error containing %q", err, c.errMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.Options.ArtifactAddr != c.wantArtifact || !slices.Equal(req.Options.APIAddresses, c.wantAddresses) {
				t.Errorf("artifact %q addresses %q; want %q %q", req.Options.ArtifactAddr, req.Options.APIAddresses, c.wantArtifact, c.wantAddresses)
			}
			if h, a, ok := strings.Cut(c.wantEngine, "="); ok && req.Options.NodeEngines[h] != a {
				t.Errorf("node engines %v, want %s", req.Options.NodeEngines, c.wantEngine)
			}
		})
	}
}

func TestSaveContextMerges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "config")
	a := apiserver.Context{Name: "admin@a", Server: "https://a:1", Token: "1"}
	b := apiserver.Context{Name: "admin@b", Server: "https://b:1", Token: "2"}
	for _, c := range []apiserver.Context{a, b, {Name: "admin@a", Server: "https://a:2", Token: "3"}} {
		if err := saveContext(path, c); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := apiserver.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != "admin@a" || len(cfg.Contexts) != 2 || cfg.Contexts[0].Server != "https://a:2" || cfg.Contexts[1].Name != "admin@b" {
		t.Errorf("config %+v", cfg)
	}
}
