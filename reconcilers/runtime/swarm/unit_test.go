package swarm

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"

	"github.com/papdl/papdl/reconcilers/runtime"
)

func TestServiceSpec(t *testing.T) {
	tests := []struct {
		name        string
		p           serviceParams
		wantPorts   int
		wantReserve int64
		wantRestart swarm.RestartPolicyCondition
	}{
		{"partition", serviceParams{Name: "papdl-m-p0", Image: "papdl-node:abc", Args: []string{"partition"},
			NodeID: "n1", Network: "net1", MemoryReservation: 64 << 20, Restart: swarm.RestartPolicyConditionOnFailure,
			Secrets: []*swarm.SecretReference{{SecretID: "s1", SecretName: SecretName("m")}, nil},
			Labels:  map[string]string{LabelModel: "m", LabelRole: runtime.RolePartition}, Cache: true,
			Env: heapEnv(runtime.Workload{MemoryReservation: 64 << 20})}, 0, 64 << 20, swarm.RestartPolicyConditionOnFailure},
		{"gateway", serviceParams{Name: "papdl-m-gateway", Image: "papdl-node:abc", NodeID: "n2", Network: "net1",
			Port: 8765, Restart: swarm.RestartPolicyConditionOnFailure}, 1, 0, swarm.RestartPolicyConditionOnFailure},
		{"bench", serviceParams{Name: "papdl-m-bench-n3", Image: "img", NodeID: "n3", Network: "net1",
			Restart: swarm.RestartPolicyConditionNone}, 0, 0, swarm.RestartPolicyConditionNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := serviceSpec(tt.p)
			if s.Name != tt.p.Name || s.TaskTemplate.ContainerSpec.Image != tt.p.Image {
				t.Fatalf("name/image = %s/%s", s.Name, s.TaskTemplate.ContainerSpec.Image)
			}
			if got := s.TaskTemplate.Placement.Constraints; !reflect.DeepEqual(got, []string{"node.id==" + tt.p.NodeID}) {
				t.Errorf("constraints = %v", got)
			}
			if s.EndpointSpec.Mode != swarm.ResolutionModeDNSRR {
				t.Errorf("endpoint mode = %s", s.EndpointSpec.Mode)
			}
			if *s.Mode.Replicated.Replicas != 1 {
				t.Errorf("replicas = %d", *s.Mode.Replicated.Replicas)
			}
			// The heap limit is the workload's share, not the node's.
			if got := s.TaskTemplate.ContainerSpec.Env; !reflect.DeepEqual(got, tt.p.Env) {
				t.Errorf("env = %v, want %v", got, tt.p.Env)
			}
			if tt.p.MemoryReservation > 0 && !reflect.DeepEqual(tt.p.Env, []string{fmt.Sprintf("GOMEMLIMIT=%d", tt.p.MemoryReservation+16<<20)}) {
				t.Errorf("env %v: want GOMEMLIMIT of the reservation plus 16 MiB", tt.p.Env)
			}
			mounts := s.TaskTemplate.ContainerSpec.Mounts
			if cached := len(mounts) == 1 && mounts[0].Source == CacheVolume && mounts[0].Target == CacheDir; cached != tt.p.Cache {
				t.Errorf("mounts = %+v, want the artifact cache: %v", mounts, tt.p.Cache)
			}
			if len(s.EndpointSpec.Ports) != tt.wantPorts {
				t.Fatalf("ports = %v", s.EndpointSpec.Ports)
			}
			if tt.wantPorts == 1 {
				p := s.EndpointSpec.Ports[0]
				if p.PublishMode != swarm.PortConfigPublishModeHost || int(p.PublishedPort) != tt.p.Port || int(p.TargetPort) != tt.p.Port {
					t.Errorf("port = %+v", p)
				}
			}
			var reserve int64
			if s.TaskTemplate.Resources != nil {
				reserve = s.TaskTemplate.Resources.Reservations.MemoryBytes
			}
			if reserve != tt.wantReserve {
				t.Errorf("memory reservation = %d, want %d", reserve, tt.wantReserve)
			}
			if s.TaskTemplate.RestartPolicy.Condition != tt.wantRestart {
				t.Errorf("restart = %s", s.TaskTemplate.RestartPolicy.Condition)
			}
			if s.Labels[labelImageRef] != tt.p.Image || s.Labels[labelCommandHash] != commandLineHash(tt.p.Image, tt.p.Args, tt.p.Env) {
				t.Errorf("labels = %v", s.Labels)
			}
			if n := s.TaskTemplate.Networks; len(n) != 1 || n[0].Target != tt.p.Network {
				t.Errorf("networks = %v", n)
			}
			if got := s.TaskTemplate.ContainerSpec.Secrets; tt.p.Secrets != nil && (len(got) != 1 || got[0] != tt.p.Secrets[0]) {
				t.Errorf("secrets = %v, want the model's credentials", got)
			}
		})
	}
}

func TestCommandHash(t *testing.T) {
	a := commandHash("img", []string{"a b", "c"})
	for _, other := range []string{commandHash("img", []string{"a", "b c"}), commandHash("img2", []string{"a b", "c"})} {
		if a == other {
			t.Errorf("hash collision %s", a)
		}
	}
}

func TestDefaultCommand(t *testing.T) {
	arts := Artifacts{Manifest: "http://c/m", ManifestSHA256: "ms", Partition: "http://c/p"}
	tests := []struct {
		name string
		w    runtime.Workload
		want string
	}{
		{"middle partition", runtime.Workload{Model: "m", Role: runtime.RolePartition, Partition: 0, Next: "papdl-m-p1", ArtifactSHA256: "ps"},
			"partition --manifest http://c/m --manifest-sha256 ms --index 0 --partition http://c/p --sha256 ps --listen papdl-m-p0:7001 --next papdl-m-p1:7001 --return papdl-m-gateway:7000 --credentials /run/secrets/papdl-chain.pem --cache-dir /var/cache/papdl"},
		{"last partition", runtime.Workload{Model: "m", Role: runtime.RolePartition, Partition: 2, Next: "papdl-m-gateway", ArtifactSHA256: "ps"},
			"partition --manifest http://c/m --manifest-sha256 ms --index 2 --partition http://c/p --sha256 ps --listen papdl-m-p2:7001 --next papdl-m-gateway:7000 --return papdl-m-gateway:7000 --credentials /run/secrets/papdl-chain.pem --cache-dir /var/cache/papdl"},
		{"gateway", runtime.Workload{Model: "m", Role: runtime.RoleGateway, Partition: -1, Next: "papdl-m-p0", Port: 8765},
			"gateway --model-name m --listen :8765 --return-listen papdl-m-gateway:7000 --credentials /run/secrets/papdl-chain.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(DefaultCommand(tt.w, arts), " "); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestDefaultBenchCommand(t *testing.T) {
	tests := []struct {
		name string
		b    BenchInvocation
		want string
	}{
		{"links only", BenchInvocation{Node: runtime.Node{Hostname: "node1"}, Peers: []string{"a:7100", "b:7100"}},
			"bench --node node1 --peers a:7100,b:7100 --peer-wait 30s"},
		{"model", BenchInvocation{Node: runtime.Node{Hostname: "n"}, ModelURL: "http://c/x", ModelSHA256: "s",
			PayloadBytes: []int64{1024, 5}, Warmup: 1, Repeats: 3},
			"bench --node n --model http://c/x --sha256 s --sizes 1024,5 --warmup 1 --profile-repeats 3"},
		{"model with shapes", BenchInvocation{Node: runtime.Node{Hostname: "n"}, ModelURL: "http://c/x",
			InputShapes: map[string][]int{"x": {1, 3}}},
			"bench --node n --model http://c/x --input-shape x=1x3"},
		{"partition set", BenchInvocation{Node: runtime.Node{Hostname: "n"}, ManifestURL: "http://c/m", ManifestSHA256: "ms",
			ModelURL: "http://c/x", InputShapes: map[string][]int{"x": {1, 3}}, Warmup: 1, Repeats: 3},
			"bench --node n --manifest http://c/m --manifest-sha256 ms --warmup 1 --profile-repeats 3"},
	}
	for _, tt := range tests {
		if got := strings.Join(DefaultBenchCommand(tt.b), " "); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestLabelsRoundTrip(t *testing.T) {
	w := runtime.Workload{Name: "papdl-m-p1", Model: "m", Role: runtime.RolePartition, Partition: 1, Node: "n",
		Revision: "r1", ArtifactSHA256: "abc", Next: "papdl-m-gateway", MemoryReservation: 5}
	l, err := workloadLabels(w)
	if err != nil {
		t.Fatal(err)
	}
	if l[LabelSpecHash] != w.Hash() || l[LabelPartition] != "1" || l[LabelModel] != "m" {
		t.Fatalf("labels = %v", l)
	}
	back, err := decodeWorkload("s", l)
	if err != nil || back != w {
		t.Fatalf("decoded %+v, %v", back, err)
	}
	if _, err := decodeWorkload("s", map[string]string{}); err == nil {
		t.Error("missing label accepted")
	}
}

func TestObserve(t *testing.T) {
	w := runtime.Workload{Name: "papdl-m-p0", Model: "m", Role: runtime.RolePartition, Node: "n1"}
	l, _ := workloadLabels(w)
	svc := swarm.Service{Spec: swarm.ServiceSpec{Annotations: swarm.Annotations{Name: w.Name, Labels: l}}}
	t0 := time.Unix(1000, 0)
	task := func(age int, node string, state, desired swarm.TaskState, errMsg string) swarm.Task {
		tk := swarm.Task{NodeID: node, DesiredState: desired,
			Status: swarm.TaskStatus{State: state, Err: errMsg, Timestamp: t0.Add(time.Duration(-age) * time.Second)}}
		tk.CreatedAt = t0.Add(time.Duration(-age) * time.Second)
		return tk
	}
	tests := []struct {
		name         string
		tasks        []swarm.Task
		running      bool
		restarts     int
		messageHas   string
		wantSinceSet bool
	}{
		{"no task", nil, false, 0, "no task yet", false},
		{"running", []swarm.Task{task(1, "n1", swarm.TaskStateRunning, swarm.TaskStateRunning, "")}, true, 0, "", true},
		{"restarted once", []swarm.Task{task(1, "n1", swarm.TaskStateRunning, swarm.TaskStateRunning, ""),
			task(5, "n1", swarm.TaskStateFailed, swarm.TaskStateShutdown, "exit 1")}, true, 1, "", true},
		{"crash looping", []swarm.Task{task(1, "n1", swarm.TaskStateFailed, swarm.TaskStateShutdown, "task: non-zero exit (3)"),
			task(5, "n1", swarm.TaskStateFailed, swarm.TaskStateShutdown, "exit 3")}, false, 2, "failed: task: non-zero exit (3)", false},
		{"pending", []swarm.Task{{Status: swarm.TaskStatus{State: swarm.TaskStatePending, Err: "no suitable node"}}},
			false, 0, "pending: no suitable node", false},
		{"wrong node", []swarm.Task{task(1, "n2", swarm.TaskStateRunning, swarm.TaskStateRunning, "")}, false, 0, "wanted n1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := observe(svc, tt.tasks)
			if err != nil {
				t.Fatal(err)
			}
			if o.Running != tt.running || o.Restarts != tt.restarts || o.Hash != w.Hash() || o.Name != w.Name {
				t.Errorf("observed %+v", o)
			}
			if !strings.Contains(o.Message, tt.messageHas) || (tt.messageHas == "" && o.Message != "") {
				t.Errorf("message %q, want it to contain %q", o.Message, tt.messageHas)
			}
			if o.Since.IsZero() == tt.wantSinceSet {
				t.Errorf("since = %v", o.Since)
			}
		})
	}
}

func TestToNode(t *testing.T) {
	mk := func(nano int64, labels map[string]string, st swarm.NodeState, av swarm.NodeAvailability) swarm.Node {
		n := swarm.Node{ID: "id1"}
		n.Spec.Labels, n.Spec.Availability, n.Status.State = labels, av, st
		n.Description.Hostname, n.Description.Resources.NanoCPUs, n.Description.Resources.MemoryBytes = "h", nano, 1<<30
		n.Description.Platform.Architecture = "x86_64"
		return n
	}
	tests := []struct {
		name  string
		n     swarm.Node
		cpus  float64
		ready bool
	}{
		{"plain", mk(2e9, nil, swarm.NodeStateReady, swarm.NodeAvailabilityActive), 2, true},
		{"capped", mk(1e9, map[string]string{LabelCPUs: "0.5"}, swarm.NodeStateReady, swarm.NodeAvailabilityActive), 0.5, true},
		{"bad label", mk(1e9, map[string]string{LabelCPUs: "x"}, swarm.NodeStateReady, swarm.NodeAvailabilityActive), 1, true},
		{"down", mk(1e9, nil, swarm.NodeStateDown, swarm.NodeAvailabilityActive), 1, false},
		{"drained", mk(1e9, nil, swarm.NodeStateReady, swarm.NodeAvailabilityDrain), 1, false},
	}
	for _, tt := range tests {
		got := toNode(tt.n)
		if got.CPUs != tt.cpus || got.Ready != tt.ready || got.MemoryBytes != 1<<30 || got.Hostname != "h" || got.Arch != "x86_64" {
			t.Errorf("%s: %+v", tt.name, got)
		}
	}
}

func TestParseBench(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		node    string
		links   int
		wantErr bool
	}{
		{"line", "log\nPAPDL-BENCHMARK {\"node\":\"n1\",\"links\":[{\"peer\":\"a\"}]}\n", "n1", 1, false},
		{"indented json", "{\n  \"node\": \"n2\",\n  \"units\": [{\"name\":\"u\",\"seconds\":{\"median\":0.5}}]\n}\n", "n2", 0, false},
		{"json after logs", "starting\n{\"node\": \"n3\"}\n", "n3", 0, false},
		{"nothing", "hello\n", "", 0, true},
		{"broken line", "PAPDL-BENCHMARK {\n", "", 0, true},
	}
	for _, tt := range tests {
		nb, err := parseBench([]byte(tt.out))
		if (err != nil) != tt.wantErr {
			t.Fatalf("%s: err = %v", tt.name, err)
		}
		if err == nil && (nb.Node != tt.node || len(nb.Links) != tt.links) {
			t.Errorf("%s: %+v", tt.name, nb)
		}
	}
}

func TestProfileAssembly(t *testing.T) {
	nb, err := parseBench([]byte(`PAPDL-BENCHMARK {"node":"h1","units":[{"name":"u0","seconds":{"median":0.25},"weightBytes":100,"peakWorkingBytes":20}],` +
		`"links":[{"peer":"p2:7100","rttSeconds":0.001,"bandwidthBytesPerSecond":1e9},{"peer":"p3:7100","error":"refused"},{"peer":"x:1"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	pn, err := runtime.NodeProfile(runtime.Node{ID: "id1", Hostname: "h1", CPUs: 0.5, MemoryBytes: 1 << 30}, nb, 1)
	if err != nil || pn.CPUs != 1 || pn.MemoryBytes != 1<<30 || len(pn.Units) != 1 || pn.Units[0].Seconds != 0.25 || pn.Units[0].MemoryBytes != 220 {
		t.Errorf("node = %+v, %v", pn, err)
	}
	links, errs := runtime.Links("id1", nb, map[string]string{"p2:7100": "id2", "p3:7100": "id3"})
	if len(links) != 1 || links[0].To != "id2" || links[0].From != "id1" || len(errs) != 2 {
		t.Errorf("links = %+v, errs = %v", links, errs)
	}
}

func TestBenchServiceName(t *testing.T) {
	if got := benchServiceName("m", "probe", "abcdefghijklmnopqrstuvwxy"); got != "papdl-m-probe-abcdefghijkl" {
		t.Errorf("got %s", got)
	}
	long := benchServiceName(strings.Repeat("x", 60), "bench", "abcdefghijklmnopqrstuvwxy")
	if len(long) > 63 || !strings.HasSuffix(long, "-bench-abcdefghijkl") {
		t.Errorf("long name %s (%d)", long, len(long))
	}
}

func TestBuildContext(t *testing.T) {
	b, err := buildContext([]byte("BINARY"), "papdl-node")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		files[h.Name] = string(data)
	}
	if files["papdl-node"] != "BINARY" || !strings.HasPrefix(files["Dockerfile"], "FROM scratch\n") ||
		!strings.Contains(files["Dockerfile"], `ENTRYPOINT ["/papdl-node"]`) {
		t.Errorf("context = %v", files)
	}
	if got := imageTag("papdl-node", strings.Repeat("ab", 32)); got != "papdl-node:abababababab" {
		t.Errorf("tag %s", got)
	}
}

func TestArtifactServer(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "part-000.onnx")
	if err := os.WriteFile(path, []byte("weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, _ := fileSHA256(context.Background(), path)
	srv := httptest.NewServer(nil)
	defer srv.Close()
	as, err := NewArtifactServer(srv.URL+"/artifacts", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = as
	if _, err := as.Publish(context.Background(), path, strings.Repeat("0", 64)); err == nil {
		t.Error("wrong digest accepted")
	}
	url, err := as.Publish(context.Background(), path, "")
	if err != nil || url != srv.URL+"/artifacts/"+sum {
		t.Fatalf("url %s, %v", url, err)
	}
	tests := []struct {
		path string
		code int
		body string
	}{
		{"/artifacts/" + sum, 200, "weights"},
		{"/artifacts/" + strings.Repeat("1", 64), 404, ""},
		{"/artifacts/../etc/passwd", 404, ""},
		{"/other/" + sum, 404, ""},
	}
	for _, tt := range tests {
		resp, err := http.Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code || (tt.body != "" && string(body) != tt.body) {
			t.Errorf("%s: %d %q", tt.path, resp.StatusCode, body)
		}
	}
	if u, _ := BaseURL("http://h/a/").Publish(context.Background(), path, "abc"); u != "http://h/a/abc" {
		t.Errorf("BaseURL %s", u)
	}
	if _, err := NewArtifactServer("not a url", nil); err == nil {
		t.Error("bad base accepted")
	}
}

func TestModelOfService(t *testing.T) {
	tests := map[string]string{
		"papdl-vgg16-p0": "vgg16", "papdl-my-model-p12": "my-model", "papdl-vgg16-gateway": "vgg16",
		"papdl-m-probe-node1": "m", "papdl-m-bench-abc": "m", "other": "", "papdl-x": "",
	}
	for name, want := range tests {
		if got := modelOfService(name); got != want {
			t.Errorf("modelOfService(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestCredentialsNamesNeverBecomePaths: a model name that is not a DNS
// label is refused before it names a credentials file, and forgetting it
// removes nothing outside the directory.
func TestCredentialsNamesNeverBecomePaths(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "creds")
	outside := filepath.Join(dir, "keep.pem")
	if err := os.WriteFile(outside, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := &Runtime{cfg: Config{CredentialsDir: creds}, bundles: map[string][]byte{}}
	for _, name := range []string{"../keep", "..", "a/b", "*", ""} {
		if _, err := r.bundle(name); err == nil {
			t.Errorf("bundle(%q) accepted the name", name)
		}
		if name != "" {
			r.forgetBundle(name)
		}
	}
	if b, err := os.ReadFile(outside); err != nil || string(b) != "x" {
		t.Errorf("a file outside the credentials directory was replaced or removed: %q, %v", b, err)
	}
	if entries, _ := os.ReadDir(creds); len(entries) != 0 {
		t.Errorf("credentials written for bad names: %v", entries)
	}
	if _, err := r.bundle("good"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(creds, "good.pem")); err != nil {
		t.Errorf("a valid model's credentials were not kept: %v", err)
	}
}
