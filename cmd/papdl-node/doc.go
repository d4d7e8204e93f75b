// Command papdl-node is papdl's data-plane binary, built with
// CGO_ENABLED=0 to run in a FROM scratch container. It has four modes:
//
//	papdl-node partition --manifest URL|PATH --index I [--partition URL|PATH] [--sha256 HEX]
//	                     --listen 127.0.0.1:7001 --next HOST:PORT [--return HOST:PORT] [--metrics ADDR]
//	                     [--credentials FILE]
//	papdl-node gateway   --manifest URL|PATH --first HOST:PORT --listen 127.0.0.1:8765 --return-listen 127.0.0.1:7000
//	                     [--credentials FILE] [--token-file FILE] [--tls-cert PEM --tls-key PEM]
//	papdl-node bench     [--manifest PATH|URL [--manifest-sha256 HEX] | --model PATH|URL --sha256 HEX]
//	                     [--units 0:5,9] --listen :7100 --peers H:P,... [--out FILE] [--linger 60s]
//	papdl-node probe     --listen :7100
//
// "partition" serves one partition of a manifest (its file's sha256 is
// checked before it is loaded); "gateway" serves the HTTP API on the source
// node and feeds the chain; "bench" profiles units and the links to other
// nodes' bench agents and writes a chain.NodeBenchmark as JSON; "probe" only
// answers link probes. Run a mode with -h for its flags. Listen addresses
// default to loopback; give an interface's address (or ":PORT") to serve
// other machines.
//
// --credentials names the model's chain credentials (chainauth: a PEM file
// the controller writes, or a Swarm secret): with it every hop of the chain
// is mutual TLS, and peers without the model's credentials cannot send a
// frame. --token-file makes the gateway require "Authorization: Bearer
// TOKEN" on /input and /v2/models/NAME/infer. See docs/security.md.
//
// bench --manifest measures a benchmark partition set (the model cut into
// chunks of consecutive units with bounded weights, `papdlctl slice
// --chunk-bytes`) one partition at a time, so that a node needs memory for
// its largest chunk only (about twice its weights: decoded plus packed)
// rather than for the whole model (VGG16: 0.9 GB instead of 2.5 GB peak
// RSS). bench --model loads and measures the whole model. Without
// GOMEMLIMIT, bench sets the Go memory limit to 90% of its cgroup's memory
// limit (v1 or v2).
package main
