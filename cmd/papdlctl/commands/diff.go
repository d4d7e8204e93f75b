package commands

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/store"
)

type diffOptions struct {
	controller controllerOptions
	files      []string
	output     string
}

// diffOutputs are the formats of diff -o.
func diffOutputs() []string { return []string{outputJSON, outputYAML, outputJSONPath} }

func newDiffCommand() *cobra.Command {
	var o diffOptions
	cmd := &cobra.Command{
		Use:   "diff -f FILE [--specs-dir DIR --state-dir DIR --runtime local|swarm]",
		Short: "Dry run: what applying FILE would do (reslice, rebenchmark, re-place, redeploy which partitions)",
		Long: `diff validates the specs in FILE and compares each with what the controller
runs now: whether the model file changed (reslice), whether the stored
cluster profile still covers the runtime's ready nodes (rebenchmark),
what the planner would choose with the stored profile (re-place), and which
partitions' workloads that would start, replace or remove (redeploy).
Nothing is written and nothing is deployed: the reconcile itself runs in
dry-run mode. The runtime, the nodes and the artifact server are the
controller's own (recorded in the state directory) unless flags say
otherwise. Exit status: 0 when nothing would change, 1 when something
would, 2 on an error (as kubectl diff).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDiff(cmd, o) },
	}
	cmd.Flags().StringArrayVarP(&o.files, "filename", "f", nil, "spec file, directory, or - for standard input")
	o.controller.dirs.bindSpecs(cmd.Flags())
	o.controller.dirs.bindState(cmd.Flags())
	cmd.Flags().StringVar(&o.controller.runtime, "runtime", "local", "the controller's runtime: local or swarm")
	mustCompleteFlag(cmd, "runtime", completeValues(runtimeNames()...))
	cmd.Flags().StringVar(&o.controller.nodesFile, "nodes", "", "local runtime: the simulated nodes file the controller uses")
	cmd.Flags().StringVar(&o.controller.nodeBinary, "node-binary", "", "the papdl-node executable")
	bindSwarmFlags(cmd, &o.controller)
	bindOutputFlag(cmd, &o.output, "output format", diffOutputs())
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

func runDiff(cmd *cobra.Command, o diffOptions) error {
	out, err := parseOutput(o.output, diffOutputs()...)
	if err != nil {
		return exitError(2, err)
	}
	inputs, err := readSpecInputs(cmd.InOrStdin(), o.files)
	if err != nil {
		return exitError(2, err)
	}
	if c, err := apiClient(cmd); err != nil {
		return exitError(2, err)
	} else if c != nil {
		return runRemoteDiff(cmd, c, inputs, out)
	}
	if err := adoptControllerConfig(&o.controller, cmd.Flags().Changed); err != nil {
		return exitError(2, err)
	}
	st, err := store.Open(o.controller.dirs.stateDir)
	if err != nil {
		return exitError(2, err)
	}
	rt, err := openRuntime(cmd.Context(), o.controller, zap.NewNop())
	if err != nil {
		return exitError(2, err)
	}
	rec := distributedmodel.NewReconciler(o.controller.dirs.specsDir, st, rt, zap.NewNop())
	var diffs []*distributedmodel.Diff
	for _, in := range inputs {
		decls := distributedmodel.Declarations(in.doc, in.file)
		if len(decls) != 1 {
			return exitError(2, fmt.Errorf("diff %s: expected one document", in.name))
		}
		d, err := rec.Diff(cmd.Context(), decls[0])
		if err != nil {
			return exitError(2, fmt.Errorf("diff %s: %w", in.name, err))
		}
		diffs = append(diffs, d)
	}
	return reportDiffs(cmd.OutOrStdout(), out, diffs)
}

// reportDiffs prints the dry runs (a table each, or with -o one value: the
// diff, or a list of them) and returns kubectl diff's exit status: 1 when
// something would change.
func reportDiffs(w io.Writer, out output, diffs []*distributedmodel.Diff) error {
	switch {
	case out.table():
		for _, d := range diffs {
			printDiff(w, d)
		}
	case len(diffs) == 1:
		if err := out.printValue(w, diffs[0]); err != nil {
			return exitError(2, err)
		}
	default:
		if err := out.printValue(w, diffs); err != nil {
			return exitError(2, err)
		}
	}
	for _, d := range diffs {
		if d.Changes() {
			return exitError(1, nil)
		}
	}
	return nil
}

func printDiff(w io.Writer, d *distributedmodel.Diff) {
	fmt.Fprintf(w, "distributedmodel/%s:\n", d.Name)
	if d.New {
		fmt.Fprintln(w, "  new model: everything will be created")
	}
	yesNo := func(b bool, why string) string {
		if b {
			return "yes: " + why
		}
		return "no"
	}
	fmt.Fprintf(w, "  spec changed:  %v\n", d.SpecChanged)
	fmt.Fprintf(w, "  reslice:       %s\n", yesNo(d.Reslice, d.ResliceReason))
	fmt.Fprintf(w, "  rebenchmark:   %s\n", yesNo(d.Rebenchmark, d.RebenchmarkReason))
	fmt.Fprintf(w, "  re-place:      %s\n", yesNo(d.Replace, d.ReplaceReason))
	if len(d.Workloads) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  WORKLOAD\tACTION\tDETAIL")
		for _, wl := range d.Workloads {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", wl.Name, wl.Action, wl.Detail)
		}
		tw.Flush()
	}
}
