package swarm

import (
	"sort"
	"strconv"
	"strings"

	"github.com/papdl/papdl/reconcilers/runtime"
)

// Ports inside the model's overlay network (every task has its own
// address, so they never collide).
const (
	// PartitionPort is where a partition server accepts its upstream hop.
	PartitionPort = 7001
	// ReturnPort is where the gateway accepts the last partition's results.
	ReturnPort = 7000
	// ProbePort is where a benchmark's probe agent answers link probes.
	ProbePort = 7100
)

// Artifacts are the URLs a workload downloads from the controller.
type Artifacts struct {
	// Manifest is the partition manifest's URL and ManifestSHA256 its digest.
	Manifest       string
	ManifestSHA256 string
	// Partition is the partition file's URL (partitions only); its digest
	// is the workload's ArtifactSHA256.
	Partition string
}

// GatewayName is the gateway service of a model.
func GatewayName(model string) string { return runtime.WorkloadName(model, -1) }

// DefaultCommand is the papdl-node command line of a workload (the
// arguments after the binary):
//
//	partition --manifest M --index I --partition P --sha256 S --listen SELF:7001 --next NEXT:7001|GW:7000 --return GW:7000 --credentials F
//	gateway   --model-name NAME --listen :PORT --return-listen SELF:7000 --credentials F
//
// Services reach each other by service name on the model's network; F is
// CredentialsFile, the model's secret. The chain listeners bind the
// container's own name (its hostname), which resolves to its address on
// the model's overlay: not the node-local bridge every task also has. The
// gateway's HTTP port binds every interface, as host-mode publishing
// forwards to the bridge.
func DefaultCommand(w runtime.Workload, a Artifacts) []string {
	gw := GatewayName(w.Model)
	self := w.Name // the service's name, also its containers' hostname
	if self == "" {
		self = runtime.WorkloadName(w.Model, w.Partition)
	}
	var args []string
	if w.Role == runtime.RoleGateway {
		// The gateway outlives revisions: its chain comes by Route. It
		// proves which model it serves by this name (the manifest's own
		// is the ONNX graph's, not the DistributedModel's).
		return []string{"gateway", "--model-name", w.Model,
			"--listen", ":" + strconv.Itoa(w.Port), "--return-listen", hostPort(self, ReturnPort),
			"--credentials", CredentialsFile}
	}
	next := hostPort(w.Next, PartitionPort)
	if w.Next == gw {
		next = hostPort(gw, ReturnPort)
	}
	args = []string{"partition", "--manifest", a.Manifest}
	if a.ManifestSHA256 != "" {
		args = append(args, "--manifest-sha256", a.ManifestSHA256)
	}
	args = append(args, "--index", strconv.Itoa(w.Partition))
	if a.Partition != "" {
		args = append(args, "--partition", a.Partition)
	}
	if w.ArtifactSHA256 != "" {
		args = append(args, "--sha256", w.ArtifactSHA256)
	}
	return append(args, "--listen", hostPort(self, PartitionPort), "--next", next,
		"--return", hostPort(gw, ReturnPort), "--credentials", CredentialsFile, "--cache-dir", CacheDir)
}

// The artifact cache: partition servers keep the partition files they
// fetched in a named volume on their node, by sha256, so that a partition
// restarted or re-placed on a node that ran it before does not download
// its weights again.
const (
	CacheVolume = "papdl-artifacts"
	CacheDir    = "/var/cache/papdl"
)

func hostPort(host string, port int) string { return host + ":" + strconv.Itoa(port) }

// BenchInvocation is what one node's benchmark is asked to measure.
type BenchInvocation struct {
	Node runtime.Node
	// ManifestURL and ManifestSHA256 locate a benchmark partition set,
	// measured one partition at a time (its manifest names every
	// partition file by URL).
	ManifestURL    string
	ManifestSHA256 string
	// ModelURL and ModelSHA256 locate the whole model, measured whole when
	// there is no partition set ("" for both: measure links only).
	ModelURL    string
	ModelSHA256 string
	// InputShapes gives shapes for symbolic input dimensions.
	InputShapes map[string][]int
	// Peers are the other nodes' probe agents (HOST:PORT).
	Peers        []string
	Warmup       int
	Repeats      int
	PayloadBytes []int64
}

// DefaultProbeCommand runs papdl-node's link-probe agent.
func DefaultProbeCommand() []string {
	return []string{"probe", "--listen", ":" + strconv.Itoa(ProbePort)}
}

// DefaultBenchCommand runs papdl-node's benchmark on one node; it writes a
// NodeBenchmark as JSON on stdout. A partition set fixes the input shapes;
// InputShapes only apply to a whole model.
func DefaultBenchCommand(b BenchInvocation) []string {
	args := []string{"bench", "--node", b.Node.Hostname}
	if b.ManifestURL != "" {
		args = append(args, "--manifest", b.ManifestURL)
		if b.ManifestSHA256 != "" {
			args = append(args, "--manifest-sha256", b.ManifestSHA256)
		}
	} else if b.ModelURL != "" {
		args = append(args, "--model", b.ModelURL)
		if b.ModelSHA256 != "" {
			args = append(args, "--sha256", b.ModelSHA256)
		}
	}
	if len(b.Peers) > 0 {
		args = append(args, "--peers", strings.Join(b.Peers, ","), "--peer-wait", "30s")
	}
	if len(b.PayloadBytes) > 0 {
		sizes := make([]string, len(b.PayloadBytes))
		for i, s := range b.PayloadBytes {
			sizes[i] = strconv.FormatInt(s, 10)
		}
		args = append(args, "--sizes", strings.Join(sizes, ","))
	}
	if b.Warmup > 0 {
		args = append(args, "--warmup", strconv.Itoa(b.Warmup))
	}
	if b.Repeats > 0 {
		args = append(args, "--profile-repeats", strconv.Itoa(b.Repeats))
	}
	if b.ManifestURL != "" {
		return args
	}
	names := make([]string, 0, len(b.InputShapes))
	for name := range b.InputShapes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		dims := make([]string, len(b.InputShapes[name]))
		for i, d := range b.InputShapes[name] {
			dims[i] = strconv.Itoa(d)
		}
		args = append(args, "--input-shape", name+"="+strings.Join(dims, "x"))
	}
	return args
}
