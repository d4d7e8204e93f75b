package commands

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/reconcilers/clusterprofile"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/runtime"
)

type benchmarkOptions struct {
	controller  controllerOptions
	out         string
	warmup      int
	repeats     int
	inputShapes []string
	nodes       []string
}

func newBenchmarkCommand() *cobra.Command {
	var o benchmarkOptions
	cmd := &cobra.Command{
		Use:   "benchmark MODEL.onnx -o PROFILE.json [--runtime local|swarm]",
		Short: "Measure every unit of a model on every node, and the links between nodes, into a cluster profile",
		Long: `The original tool's benchmark step, on files: the same measurement the
controller makes, written as a cluster profile that 'papdlctl configure'
reads.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runBenchmark(cmd, args[0], o) },
	}
	cmd.Flags().StringVarP(&o.out, "output", "o", "", "where to write the cluster profile (- for standard output)")
	cmd.Flags().IntVar(&o.warmup, "warmup", 2, "runs discarded before measuring")
	cmd.Flags().IntVarP(&o.repeats, "repeats", "r", 10, "measured runs")
	cmd.Flags().StringArrayVar(&o.inputShapes, "input-shape", nil, "NAME=D1xD2x... for inputs with symbolic dimensions")
	cmd.Flags().StringSliceVar(&o.nodes, "node", nil, "only these nodes (ID or hostname; default all ready nodes)")
	cmd.Flags().StringVar(&o.controller.runtime, "runtime", "local", "local or swarm")
	mustCompleteFlag(cmd, "runtime", completeValues(runtimeNames()...))
	cmd.Flags().StringVar(&o.controller.nodesFile, "nodes", "", "local runtime: simulated nodes file")
	cmd.Flags().StringVar(&o.controller.nodeBinary, "node-binary", "", "the papdl-node executable")
	o.controller.dirs.bindState(cmd.Flags())
	bindSwarmFlags(cmd, &o.controller)
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

func runBenchmark(cmd *cobra.Command, modelPath string, o benchmarkOptions) error {
	ctx := cmd.Context()
	abs, err := filepath.Abs(modelPath)
	if err != nil {
		return err
	}
	a, sum, err := analyzeModelFile(ctx, abs, o.inputShapes)
	if err != nil {
		return err
	}
	shapes := map[string][]int{}
	for _, in := range a.Inputs {
		shapes[in.Name] = in.Shape
	}
	rt, err := openRuntime(cmd.Context(), o.controller, zap.NewNop())
	if err != nil {
		return err
	}
	all, err := rt.Nodes(ctx)
	if err != nil {
		return err
	}
	var nodes []runtime.Node
	for _, n := range all {
		if n.Ready && (len(o.nodes) == 0 || contains(o.nodes, n.ID) || contains(o.nodes, n.Hostname)) {
			nodes = append(nodes, n)
		}
	}
	if len(nodes) == 0 {
		return fmt.Errorf("no ready node to benchmark (the %s runtime lists %d nodes)", rt.Name(), len(all))
	}
	errOut := cmd.ErrOrStderr()
	name := strings.TrimSuffix(filepath.Base(modelPath), filepath.Ext(modelPath))
	// The nodes measure the model chunk by chunk, from a partition set
	// written for this run.
	setDir, err := os.MkdirTemp("", "papdl-bench-")
	if err != nil {
		return fmt.Errorf("benchmark partition set: %w", err)
	}
	defer os.RemoveAll(setDir)
	man, err := distributedmodel.WriteBenchPartitions(setDir, a, sum, distributedmodel.BenchChunkBudget(nodes))
	if err != nil {
		return err
	}
	fmt.Fprintf(errOut, "benchmarking %d units in %d chunks\n", len(man.Units), len(man.Partitions))
	prof, failed, err := distributedmodel.MeasureCluster(ctx, rt, a, runtime.BenchmarkRequest{
		Model: name, ManifestPath: filepath.Join(setDir, slice.ManifestFile), ModelPath: abs, ModelSHA256: sum,
		InputShapes: shapes, Nodes: nodes,
		Warmup: o.warmup, Repeats: o.repeats,
		Progress: func(node, msg string) { fmt.Fprintln(errOut, msg) },
	}, time.Now())
	for node, ferr := range failed {
		fmt.Fprintf(errOut, "warning: node %s left out: %v\n", node, ferr)
	}
	if err != nil {
		return err
	}
	data, err := clusterprofile.Encode(prof)
	if err != nil {
		return err
	}
	if err := writeDataFile(cmd, o.out, data); err != nil {
		return err
	}
	report := reportTo(cmd, o.out)
	w := tabwriter.NewWriter(report, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NODE\tID\tCPUS\tMEMORY\tWHOLE MODEL")
	for _, n := range prof.Nodes {
		var total float64
		for _, u := range n.Units {
			total += u.Seconds
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%.2fms\n", n.Hostname, n.ID, n.CPUs, humanBytes(n.MemoryBytes), 1e3*total)
	}
	w.Flush()
	fmt.Fprintf(report, "%d units on %d nodes, %d links: profile written to %s\n", len(prof.Model.Units), len(prof.Nodes), len(prof.Links), displayPath(o.out))
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
