// Package e2eutil holds what papdl's end-to-end test suites share: it
// serves those tests only (reconcilers/e2e on the local runtime and
// reconcilers/e2e/swarm on the Docker Swarm test bed) and is no API.
//
// It builds papdlctl and papdl-node from the current tree into a temporary
// directory (Main, BuildBinaries), runs `papdlctl controller` as a child
// process (Controller), and gives each test an Env: its own specs and state
// directories, the store over the state directory, papdlctl run in the
// test's directory, the manifests it applies (Spec) and the status records
// and events it reads and waits for. What is particular to a runtime (the
// local runtime's workload processes, the swarm's services, nodes and
// failure injection) stays in the suite.
package e2eutil
