package install

import (
	"fmt"
	"net"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Names of what the installer creates.
const (
	// ServiceName is the controller's Swarm service.
	ServiceName = "papdl-controller"
	// VolumeName is the named volume of the controller's state and specs.
	VolumeName = "papdl-state"
	// ImageRepository names the controller images the installer builds.
	ImageRepository = "papdl-controller"
	// LabelComponent marks the service, volume and images the installer
	// made (value ComponentController).
	LabelComponent      = "papdl.io/component"
	ComponentController = "controller"
)

// Paths inside the controller's container.
const (
	// DataDir is where the volume is mounted.
	DataDir = "/var/lib/papdl"
	// StateDir and SpecsDir are the controller's directories, in the volume.
	StateDir = DataDir + "/state"
	SpecsDir = DataDir + "/specs"
	// dockerSocket is the engine's socket, mounted at the same path.
	dockerSocket = "/var/run/docker.sock"
	// ctlInImage and nodeInImage are the binaries in the image.
	ctlInImage  = "/papdlctl"
	nodeInImage = "/papdl-node"
)

// DefaultAPIPort is the API's port unless --api-port says otherwise.
const DefaultAPIPort = 6443

// Options say how to run the controller.
type Options struct {
	// APIPort is the port the API listens on, on the manager.
	APIPort int
	// ArtifactAddr is host:port on the manager where the controller
	// serves partitions to the nodes: an address every node reaches.
	ArtifactAddr string
	// APIAddresses are the names (IP addresses or DNS names) clients reach
	// the API by; the server's certificate covers them and the first is
	// the written config's server.
	APIAddresses []string
	// ModelsDirs are host directories bind-mounted read-only at the same
	// path, so that specs can name model files in them.
	ModelsDirs []string
	// NodeEngines maps a node's hostname to its engine's address (the
	// controller loads the node image there); a unix socket's directory is
	// bind-mounted at the same path.
	NodeEngines map[string]string
	// LogLevel is the controller's --log-level ("" for its default).
	LogLevel string
}

// Validate checks the options.
func (o Options) Validate() error {
	if o.APIPort <= 0 || o.APIPort > 65535 {
		return fmt.Errorf("api port %d: want 1-65535", o.APIPort)
	}
	host, port, err := net.SplitHostPort(o.ArtifactAddr)
	if err != nil || host == "" || port == "" || port == "0" {
		return fmt.Errorf("artifact address %q: want a fixed HOST:PORT that every node reaches", o.ArtifactAddr)
	}
	if p, _ := strconv.Atoi(port); p == o.APIPort {
		return fmt.Errorf("artifact address %q: port %d is the API's", o.ArtifactAddr, p)
	}
	if ip := net.ParseIP(host); ip != nil && (ip.IsLoopback() || ip.IsUnspecified()) {
		return fmt.Errorf("artifact address %q: the nodes' containers cannot reach a loopback or unspecified address; give the manager's address on the nodes' network", o.ArtifactAddr)
	}
	if len(o.APIAddresses) == 0 {
		return fmt.Errorf("no API address: name the address clients reach the manager by")
	}
	for _, d := range o.ModelsDirs {
		if !path.IsAbs(d) || path.Clean(d) != d || d == "/" {
			return fmt.Errorf("models directory %q: want a clean absolute path other than /", d)
		}
		if d == DataDir || strings.HasPrefix(d, DataDir+"/") || strings.HasPrefix(DataDir, d+"/") {
			return fmt.Errorf("models directory %q overlaps the controller's volume at %s", d, DataDir)
		}
	}
	for h, a := range o.NodeEngines {
		if h == "" || a == "" {
			return fmt.Errorf("node engine %q=%q: want HOSTNAME=ADDRESS", h, a)
		}
	}
	return nil
}

// sortedEngines lists the node engines as HOSTNAME=ADDRESS, sorted (the
// service spec must not depend on map order, or every install would
// update it).
func (o Options) sortedEngines() []string {
	out := make([]string, 0, len(o.NodeEngines))
	for h, a := range o.NodeEngines {
		out = append(out, h+"="+a)
	}
	sort.Strings(out)
	return out
}

// netJoin is HOST:PORT (brackets for IPv6).
func netJoin(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

// DefaultAPIAddresses are the names clients reach the API by when none is
// given: the host of the engine's address the installer used (127.0.0.1
// for a local socket, HOST of tcp://HOST:PORT), then the manager's swarm
// address unless it is a loopback address.
func DefaultAPIAddresses(daemonHost, nodeAddr string) []string {
	var out []string
	add := func(a string) {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	switch {
	case strings.HasPrefix(daemonHost, "unix://"), strings.HasPrefix(daemonHost, "npipe://"), daemonHost == "":
		add("127.0.0.1")
	default:
		rest := daemonHost
		if i := strings.Index(rest, "://"); i >= 0 {
			rest = rest[i+3:]
		}
		if i := strings.LastIndex(rest, "@"); i >= 0 {
			rest = rest[i+1:]
		}
		rest, _, _ = strings.Cut(rest, "/")
		if h, _, err := net.SplitHostPort(rest); err == nil {
			rest = h
		}
		add(rest)
	}
	if ip := net.ParseIP(nodeAddr); ip == nil || !ip.IsLoopback() {
		add(nodeAddr)
	}
	return out
}
