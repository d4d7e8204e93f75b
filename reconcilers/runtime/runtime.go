package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/papdl/papdl/inference/chain"
	"github.com/papdl/papdl/reconcilers/clusterprofile"
)

// Node is a machine that can run workloads.
type Node struct {
	ID       string            `json:"id"`
	Hostname string            `json:"hostname"`
	Labels   map[string]string `json:"labels,omitempty"`
	// CPUs may be fractional (a capped simulated or cgroup-limited node).
	CPUs        float64 `json:"cpus"`
	MemoryBytes int64   `json:"memoryBytes"`
	Arch        string  `json:"arch,omitempty"`
	// Ready is true when the node is up and accepts work (Swarm: Ready and
	// availability Active).
	Ready bool `json:"ready"`
}

// Roles of workloads.
const (
	RolePartition = "partition"
	RoleGateway   = "gateway"
)

// Workload is one partition server or gateway of one model.
type Workload struct {
	// Name is unique across models: papdl-<model>-p<index>, papdl-<model>-gateway.
	Name  string `json:"name"`
	Model string `json:"model"`
	Role  string `json:"role"`
	// Partition is the partition index (-1 for the gateway).
	Partition int `json:"partition"`
	// Node is the ID of the node to run on.
	Node string `json:"node"`
	// Revision is the model revision this workload belongs to.
	Revision string `json:"revision"`
	// ArtifactPath and ArtifactSHA256 name the partition's .onnx file on
	// the controller's host; the runtime makes it reachable from the node.
	ArtifactPath   string `json:"artifactPath,omitempty"`
	ArtifactSHA256 string `json:"artifactSha256,omitempty"`
	// ManifestPath is the partition manifest (the gateway reads the model's
	// input and output descriptions from it; servers their boundary tensors).
	ManifestPath string `json:"manifestPath,omitempty"`
	// Next is the name of the workload this one sends to: the next
	// partition, or the gateway after the last partition. The gateway's Next
	// is the first partition.
	Next string `json:"next"`
	// Port is the gateway's published HTTP port (0 for partitions).
	Port int `json:"port,omitempty"`
	// MemoryReservation is the memory the plan reserves, in bytes.
	MemoryReservation int64 `json:"memoryReservation,omitempty"`
	// TokenFile (gateway only), when set, is a file on the controller's
	// host holding the bearer token the gateway requires for inference;
	// the runtime makes it readable by the gateway (never on its command
	// line).
	TokenFile string `json:"tokenFile,omitempty"`
}

// Hash digests what defines the running workload: everything but the
// revision label and the controller-side paths (the file contents are
// pinned by ArtifactSHA256), so a spec change that leaves a partition's
// content and wiring alone does not restart it.
func (w Workload) Hash() string {
	w.Revision, w.ArtifactPath, w.ManifestPath = "", "", ""
	b, err := json.Marshal(w)
	if err != nil {
		panic(fmt.Sprintf("runtime: marshal workload: %v", err)) // plain struct: cannot fail
	}
	sum := sha256.Sum256(append([]byte(dataPlaneVersion), b...))
	return hex.EncodeToString(sum[:8])
}

// dataPlaneVersion is part of every workload's hash: it changes when the
// chain's wire protocol changes incompatibly, so that an upgraded
// controller restarts every workload instead of chaining old and new
// partition servers (chain-2: every hop is mutual TLS with the model's
// credentials).
const dataPlaneVersion = "chain-2\x00"

// Observed is a workload as the runtime sees it.
type Observed struct {
	Workload
	// Hash is the hash the workload was created with.
	Hash string `json:"hash"`
	// Running is true when its process or task is up.
	Running bool `json:"running"`
	// Restarts counts restarts the runtime did since creation.
	Restarts int `json:"restarts"`
	// Message explains a workload that is not running.
	Message string `json:"message,omitempty"`
	// Since is when it last started.
	Since time.Time `json:"since"`
}

// BenchmarkRequest asks for every unit of a model to be measured on every
// node, and the links between the nodes.
type BenchmarkRequest struct {
	Model string
	// ManifestPath is the manifest of a benchmark partition set: the model
	// cut into chunks small enough that a node loads one at a time
	// (`papdl-node bench --manifest`). The partition files lie next to it.
	ManifestPath string
	// ModelPath, used when ManifestPath is empty, is the whole (unsliced)
	// ONNX file, measured whole (`papdl-node bench --model`; a node needs
	// several times its weights in memory). ModelSHA256 is its digest.
	ModelPath   string
	ModelSHA256 string
	// InputShapes gives shapes for inputs with symbolic dimensions.
	InputShapes map[string][]int
	Nodes       []Node
	Warmup      int
	Repeats     int
	// PayloadBytes are the message sizes to probe links with (the bytes
	// that cross candidate cuts).
	PayloadBytes []int64
	// Progress, if set, receives human-readable progress lines.
	Progress func(node, message string)
}

// BenchmarkResult is the measured cluster profile plus the nodes that could
// not be measured (left out of the profile, not fatal).
type BenchmarkResult struct {
	Profile *clusterprofile.ClusterProfile
	Failed  map[string]error
}

// Runtime is where workloads run.
type Runtime interface {
	// Name is "local" or "swarm".
	Name() string
	// Nodes lists the nodes, ready or not.
	Nodes(ctx context.Context) ([]Node, error)
	// List returns the workloads papdl owns for model ("" for all models).
	List(ctx context.Context, model string) ([]Observed, error)
	// Apply creates w, or replaces it when the running one's hash differs,
	// or (re)starts it when it is not running. It reports whether it
	// changed anything.
	Apply(ctx context.Context, w Workload) (changed bool, err error)
	// Remove stops and deletes a workload by name; removing a missing one
	// is not an error.
	Remove(ctx context.Context, name string) error
	// Clean removes every workload and supporting object (networks,
	// images, cached artifacts) papdl created for model, or for every model
	// when model is "": the end of a deleted spec, and `papdlctl clean`
	// after a crash.
	Clean(ctx context.Context, model string) error
	// Endpoint is the URL clients use to reach a model's gateway.
	Endpoint(ctx context.Context, w Workload) (string, error)
	// Route tells the gateway gw to send requests to the chain that starts
	// at the partition first (the manifest first.ManifestPath, with digest
	// manifestSHA256), signed with the model's chain credentials. The
	// gateway switches once that chain answers, finishing the requests in
	// flight on the previous one; Route reports which route the gateway
	// serves now and which it is switching to.
	Route(ctx context.Context, gw, first Workload, manifestSHA256 string) (chain.RouteStatus, error)
	// Benchmark measures the model on the requested nodes.
	Benchmark(ctx context.Context, req BenchmarkRequest) (*BenchmarkResult, error)
	// Logs writes the end of a workload's output (stdout and stderr as
	// they came) to w, then, with opts.Follow, what it writes next until
	// ctx ends. A workload the runtime does not run (and kept no log of)
	// is an error wrapping ErrNotFound.
	Logs(ctx context.Context, name string, opts LogOptions, w io.Writer) error
}

// heapSlackBytes is what a workload's Go heap may hold beyond its memory
// reservation (the runtime, buffers, frames in flight).
const heapSlackBytes = 16 << 20

// HeapLimit is the Go heap limit (GOMEMLIMIT) of a workload's process: its
// memory reservation plus slack; 0 when it has no reservation. The
// processes on a node share its memory: each must pace its garbage
// collection to its own share, not to the node's whole memory (which each
// would otherwise read from the cgroup and take for itself).
func HeapLimit(reservation int64) int64 {
	if reservation <= 0 {
		return 0
	}
	return reservation + heapSlackBytes
}

// WorkloadName names a model's partition server (partition >= 0) or its
// gateway (partition < 0): papdl-<model>-p<i>, papdl-<model>-gateway.
// Runtimes rely on it to find a model's gateway. The controller names
// partitions papdl-<model>-p<i>-<tag> (eight hex digits of their
// definition), so that two revisions' partitions can run side by side;
// HasPartitionName accepts both forms.
func WorkloadName(model string, partition int) string {
	if partition < 0 {
		return "papdl-" + model + "-gateway"
	}
	return fmt.Sprintf("papdl-%s-p%d", model, partition)
}

// HasPartitionName reports whether name is partition i of model's, with or
// without a tag: papdl-<model>-p<i> or papdl-<model>-p<i>-<8 hex digits>.
func HasPartitionName(name, model string, partition int) bool {
	rest, ok := strings.CutPrefix(name, WorkloadName(model, partition))
	if !ok || partition < 0 {
		return false
	}
	if rest == "" {
		return true
	}
	tag, ok := strings.CutPrefix(rest, "-")
	return ok && IsPartitionTag(tag)
}

// IsPartitionTag reports whether s is a partition name's tag: eight
// lower-case hex digits.
func IsPartitionTag(s string) bool {
	return len(s) == 8 && strings.Trim(s, "0123456789abcdef") == ""
}
