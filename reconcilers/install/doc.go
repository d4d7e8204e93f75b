// Package install runs papdl's controller as a Docker Swarm service, the
// way `flux install` runs Flux in a cluster (papdlctl install --swarm and
// papdlctl uninstall).
//
// The controller runs as one replicated service, papdl-controller, of one
// task, pinned to the manager whose engine the installer talks to
// (node.role==manager and node.id==ID: its state lives in a local named
// volume, papdl-state, mounted at /var/lib/papdl, which holds the state
// directory /var/lib/papdl/state and the specs directory
// /var/lib/papdl/specs). Its image, papdl-controller:<digest>, is made FROM
// scratch with ImageImport around the static papdlctl and papdl-node
// binaries the installer runs with; the engine's socket is bind-mounted so
// that the controller drives the swarm (--runtime swarm) from inside.
//
// The task uses the host's network stack (the swarm network "host"): the
// API listens on the manager's port --api-port, the artifact server that
// hands partitions to the nodes on --artifact-addr, and the controller
// reaches each model's gateway on its node's published port, all without
// the routing mesh (which hosts without IPVS lack) and without publishing.
//
// Nothing secret is on a command line or in a label: the controller makes
// its CA and tokens in the volume at its first start, and the installer
// reads STATE/admin.papdlconfig back out of the running task's container
// (the engine's archive API), rewrites its server URL to an address the
// client reaches and writes it to the client's papdl config.
package install
