package install

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"
)

func baseOptions() Options {
	return Options{APIPort: 18943, ArtifactAddr: "10.99.0.1:18944", APIAddresses: []string{"127.0.0.1"}}
}

func TestServiceSpec(t *testing.T) {
	type want struct {
		args   []string // in order, somewhere in the command line
		mounts []mount.Mount
	}
	cases := []struct {
		name string
		edit func(*Options)
		want want
	}{
		{
			name: "defaults",
			edit: func(*Options) {},
			want: want{
				args: []string{"controller", "--runtime", "swarm", "--specs-dir", SpecsDir, "--state-dir", StateDir,
					"--api-listen", "0.0.0.0:18943", "--artifact-listen", "10.99.0.1:18944", "--node-binary", "/papdl-node",
					"--api-san", "127.0.0.1"},
				mounts: []mount.Mount{
					{Type: mount.TypeBind, Source: "/var/run/docker.sock", Target: "/var/run/docker.sock"},
					{Type: mount.TypeVolume, Source: VolumeName, Target: DataDir},
				},
			},
		},
		{
			name: "models directories are mounted read-only at their path",
			edit: func(o *Options) { o.ModelsDirs = []string{"/srv/models", "/data/onnx"} },
			want: want{mounts: []mount.Mount{
				{Type: mount.TypeBind, Source: "/srv/models", Target: "/srv/models", ReadOnly: true},
				{Type: mount.TypeBind, Source: "/data/onnx", Target: "/data/onnx", ReadOnly: true},
			}},
		},
		{
			name: "unix node engines mount their socket's directory once; tcp ones mount nothing",
			edit: func(o *Options) {
				o.NodeEngines = map[string]string{"node2": "unix:///run/papdl-node2/docker.sock",
					"node1": "unix:///run/papdl-node1/docker.sock", "node9": "tcp://10.0.0.9:2376",
					"node1b": "unix:///run/papdl-node1/other.sock"}
			},
			want: want{
				args: []string{"--node-engine", "node1=unix:///run/papdl-node1/docker.sock",
					"--node-engine", "node1b=unix:///run/papdl-node1/other.sock",
					"--node-engine", "node2=unix:///run/papdl-node2/docker.sock",
					"--node-engine", "node9=tcp://10.0.0.9:2376"},
				mounts: []mount.Mount{
					{Type: mount.TypeBind, Source: "/run/papdl-node1", Target: "/run/papdl-node1"},
					{Type: mount.TypeBind, Source: "/run/papdl-node2", Target: "/run/papdl-node2"},
				},
			},
		},
		{
			name: "every API address is in the certificate; log level passed on",
			edit: func(o *Options) { o.APIAddresses = []string{"manager.example", "192.0.2.7"}; o.LogLevel = "debug" },
			want: want{args: []string{"--api-san", "manager.example", "--api-san", "192.0.2.7", "--log-level", "debug"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := baseOptions()
			c.edit(&o)
			if err := o.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			spec := ServiceSpec(o, "papdl-controller:0123456789ab", "NODEID")
			cs := spec.TaskTemplate.ContainerSpec
			if spec.Name != ServiceName || cs.Image != "papdl-controller:0123456789ab" {
				t.Errorf("name %q image %q", spec.Name, cs.Image)
			}
			if !containsRun(cs.Args, c.want.args) {
				t.Errorf("args %q do not contain %q", cs.Args, c.want.args)
			}
			for _, m := range c.want.mounts {
				if !slices.ContainsFunc(cs.Mounts, func(x mount.Mount) bool {
					return x.Type == m.Type && x.Source == m.Source && x.Target == m.Target && x.ReadOnly == m.ReadOnly
				}) {
					t.Errorf("no mount %+v in %+v", m, cs.Mounts)
				}
			}
			if got := spec.TaskTemplate.Placement.Constraints; !slices.Equal(got, []string{"node.role==manager", "node.id==NODEID"}) {
				t.Errorf("constraints %q", got)
			}
			if n := spec.TaskTemplate.Networks; len(n) != 1 || n[0].Target != "host" {
				t.Errorf("networks %+v, want the host's", n)
			}
			if r := spec.Mode.Replicated; r == nil || r.Replicas == nil || *r.Replicas != 1 {
				t.Errorf("mode %+v, want one replica", spec.Mode)
			}
			if u := spec.UpdateConfig; u == nil || u.Order != swarm.UpdateOrderStopFirst {
				t.Errorf("update config %+v, want stop-first (one controller per state directory)", u)
			}
			if spec.Labels[LabelComponent] != ComponentController || cs.Labels[LabelComponent] != ComponentController {
				t.Errorf("labels %v / %v", spec.Labels, cs.Labels)
			}
			js, _ := json.Marshal(spec)
			for _, secret := range []string{"token", "Token", "BEGIN", "key"} {
				if strings.Contains(string(js), secret) {
					t.Errorf("the spec mentions %q: %s", secret, js)
				}
			}
		})
	}
}

// containsRun reports whether want occurs in args as a contiguous run.
func containsRun(args, want []string) bool {
	if len(want) == 0 {
		return true
	}
	for i := 0; i+len(want) <= len(args); i++ {
		if slices.Equal(args[i:i+len(want)], want) {
			return true
		}
	}
	return false
}

func TestWithHash(t *testing.T) {
	o := baseOptions()
	o.NodeEngines = map[string]string{"a": "unix:///run/a/s", "b": "unix:///run/b/s", "c": "tcp://c:1"}
	hashes := map[string]bool{}
	for i := 0; i < 20; i++ { // map order must not matter
		spec, h, err := WithHash(ServiceSpec(o, "img:1", "N"))
		if err != nil {
			t.Fatal(err)
		}
		if spec.Labels[LabelSpecHash] != h || spec.TaskTemplate.ContainerSpec.Labels[LabelSpecHash] != h {
			t.Fatalf("hash %s not on the service and container labels: %v %v", h, spec.Labels, spec.TaskTemplate.ContainerSpec.Labels)
		}
		hashes[h] = true
	}
	if len(hashes) != 1 {
		t.Errorf("%d different hashes of the same options", len(hashes))
	}
	_, h2, _ := WithHash(ServiceSpec(o, "img:2", "N"))
	if hashes[h2] {
		t.Errorf("another image gives the same hash %s", h2)
	}
	plain := ServiceSpec(o, "img:1", "N")
	if _, ok := plain.TaskTemplate.ContainerSpec.Labels[LabelSpecHash]; ok {
		t.Error("WithHash changed its argument's container labels")
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Options)
		err  string // "" for valid
	}{
		{"valid", func(*Options) {}, ""},
		{"port 0", func(o *Options) { o.APIPort = 0 }, "api port"},
		{"port too big", func(o *Options) { o.APIPort = 70000 }, "api port"},
		{"artifact without port", func(o *Options) { o.ArtifactAddr = "10.99.0.1" }, "artifact address"},
		{"artifact port 0", func(o *Options) { o.ArtifactAddr = "10.99.0.1:0" }, "artifact address"},
		{"artifact on loopback", func(o *Options) { o.ArtifactAddr = "127.0.0.1:18944" }, "loopback"},
		{"artifact on 0.0.0.0", func(o *Options) { o.ArtifactAddr = "0.0.0.0:18944" }, "loopback"},
		{"artifact on the API's port", func(o *Options) { o.ArtifactAddr = "10.99.0.1:18943" }, "the API's"},
		{"no API address", func(o *Options) { o.APIAddresses = nil }, "no API address"},
		{"relative models dir", func(o *Options) { o.ModelsDirs = []string{"models"} }, "absolute"},
		{"models dir /", func(o *Options) { o.ModelsDirs = []string{"/"} }, "absolute"},
		{"models dir unclean", func(o *Options) { o.ModelsDirs = []string{"/srv/../etc"} }, "clean"},
		{"models dir in the volume", func(o *Options) { o.ModelsDirs = []string{DataDir + "/specs"} }, "overlaps"},
		{"models dir above the volume", func(o *Options) { o.ModelsDirs = []string{"/var/lib"} }, "overlaps"},
		{"empty engine address", func(o *Options) { o.NodeEngines = map[string]string{"n": ""} }, "HOSTNAME=ADDRESS"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := baseOptions()
			c.edit(&o)
			err := o.Validate()
			if c.err == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("Validate: %v, want an error containing %q", err, c.err)
			}
		})
	}
}

func TestDefaultAPIAddresses(t *testing.T) {
	cases := []struct {
		name, daemon, nodeAddr string
		want                   []string
	}{
		{"local socket, test bed manager on loopback", "unix:///var/run/docker.sock", "127.0.0.1", []string{"127.0.0.1"}},
		{"local socket, real manager", "unix:///var/run/docker.sock", "192.0.2.10", []string{"127.0.0.1", "192.0.2.10"}},
		{"tcp", "tcp://manager.example:2376", "192.0.2.10", []string{"manager.example", "192.0.2.10"}},
		{"tcp to the manager's own address", "tcp://192.0.2.10:2376", "192.0.2.10", []string{"192.0.2.10"}},
		{"ssh with a user", "ssh://admin@manager.example", "192.0.2.10", []string{"manager.example", "192.0.2.10"}},
		{"tcp IPv6", "tcp://[2001:db8::1]:2376", "", []string{"2001:db8::1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := DefaultAPIAddresses(c.daemon, c.nodeAddr); !slices.Equal(got, c.want) {
				t.Errorf("DefaultAPIAddresses(%q, %q) = %q, want %q", c.daemon, c.nodeAddr, got, c.want)
			}
		})
	}
}

func TestServiceAPIReadsControllerArgs(t *testing.T) {
	o := baseOptions()
	o.APIAddresses = []string{"manager.example", "192.0.2.7"}
	svc := swarm.Service{Spec: ServiceSpec(o, "img", "N")}
	port, addr, err := serviceAPI(svc)
	if err != nil || port != 18943 || addr != "manager.example" {
		t.Errorf("serviceAPI = %d, %q, %v; want 18943, manager.example", port, addr, err)
	}
}
