package commands

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/clusterprofile"
	"github.com/papdl/papdl/reconcilers/planner"
	"github.com/spf13/cobra"
)

// configureOptions are the flags and arguments of papdlctl configure.
type configureOptions struct {
	profilePath   string
	sourceNode    string
	inputSize     int64
	planPath      string
	output        string
	format        string
	objective     string
	pins          []string
	avoid         []string
	selector      map[string]string
	headroom      string
	maxExpansions int
	hopOverhead   float64
	tolerance     float64
}

func newConfigureCommand() *cobra.Command {
	o := &configureOptions{}
	cmd := &cobra.Command{
		Use:   "configure PROFILE SOURCE_NODE INPUT_SIZE",
		Short: "Plan the placement of a profiled model's units on the nodes",
		Long: `Plan where each unit of a profiled model runs, and print the plan.

PROFILE is a cluster profile (JSON or YAML) written by the benchmark.
SOURCE_NODE is the node ID or hostname that receives requests.
INPUT_SIZE is the number of input elements per request (224*224*3*batch =
150528 for one RGB 224x224 image); elements are float32.

--plan-file writes the plan file (JSON) that the deployer consumes; -o
chooses what is printed: a table (default), or the plan as json, yaml or
jsonpath=TEMPLATE. (-o FILE, for a value that is no format, and --format
are deprecated spellings of --plan-file and -o.)

--pin RANGE=NODE forces units onto a node, --avoid RANGE=NODE[,NODE...]
keeps them off nodes. RANGE is START:END (unit indexes, END exclusive), a
unit NAME, or FIRST..LAST (names, inclusive).

--hop-overhead is the fixed cost in seconds of one transfer between two
nodes beyond latency and bytes/bandwidth, charged to the hop and to both
nodes' CPU (docs/planner.md); by default the profile's hopOverheadSeconds,
or 0.0003 when the profile has none.

--tolerance is a fraction (0.05 = 5%): among placements within it of the
optimum, the plan has the fewest partitions, then the fewest hops
(docs/planner.md); 0 takes the optimum itself.`,
		Example: `  papdlctl configure profile.json vm0 150528 --plan-file plan.json
  papdlctl configure profile.json vm0 150528 --objective throughput --pin 0:4=vm1 --avoid conv5_1..conv5_3=vm2
  papdlctl configure profile.json vm0 150528 -o jsonpath='{.totals.latencySeconds}'`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.profilePath, o.sourceNode = args[0], args[1]
			n, err := strconv.ParseInt(args[2], 10, 64)
			if err != nil || n < 1 {
				return fmt.Errorf("INPUT_SIZE %q must be a positive element count", args[2])
			}
			o.inputSize = n
			if err := o.resolveOutput(cmd); err != nil {
				return err
			}
			return runConfigure(cmd, o)
		},
	}
	f := cmd.Flags()
	bindOutputFlag(cmd, &o.output, "what to print", configureOutputs())
	f.StringVar(&o.planPath, "plan-file", "", "write the plan (JSON) to this file")
	f.StringVar(&o.format, "format", "", "what to print: table or json")
	_ = f.MarkDeprecated("format", "use -o json (or no -o for the table)")
	f.StringVar(&o.objective, "objective", string(v1alpha1.ObjectiveLatency), "latency or throughput")
	mustCompleteFlag(cmd, "objective", completeValues(objectiveNames()...))
	f.StringArrayVar(&o.pins, "pin", nil, "RANGE=NODE: run these units on NODE (repeatable)")
	f.StringArrayVar(&o.avoid, "avoid", nil, "RANGE=NODE[,NODE...]: keep these units off the nodes (repeatable)")
	f.StringToStringVar(&o.selector, "selector", nil, "only use nodes with these labels (key=value,...)")
	f.StringVar(&o.headroom, "headroom", "10%", "memory kept free per node: a percentage (10%), bytes (64Mi) or both (64Mi+10%)")
	f.IntVar(&o.maxExpansions, "max-expansions", 0, "search budget per phase (0: the planner's default)")
	f.Float64Var(&o.hopOverhead, "hop-overhead", planner.UseProfileHopOverhead,
		"seconds each hop between nodes costs beyond latency and bytes/bandwidth (negative: the profile's hopOverheadSeconds, else 0.0003)")
	f.Float64Var(&o.tolerance, "tolerance", v1alpha1.DefaultPlacementTolerance,
		"fraction of the optimum within which the simplest plan (fewest partitions, then hops) is taken")
	return cmd
}

// configureOutputs are the formats of configure -o.
func configureOutputs() []string { return []string{outputJSON, outputYAML, outputJSONPath} }

// resolveOutput maps the deprecated spellings onto -o and --plan-file:
// --format table|json, and -o FILE (a value that names no format).
func (o *configureOptions) resolveOutput(cmd *cobra.Command) error {
	if o.format != "" {
		if o.format != formatTable && o.format != formatJSON {
			return fmt.Errorf("unsupported --format %q (table or json; --format is deprecated: use -o)", o.format)
		}
		if o.output == "" && o.format == formatJSON {
			o.output = outputJSON
		}
	}
	if format, _, _ := strings.Cut(o.output, "="); o.output != "" && o.planPath == "" && !slices.Contains(getOutputs(), format) {
		fmt.Fprintf(cmd.ErrOrStderr(), "Flag -o FILE has been deprecated for configure, use --plan-file %s\n", o.output)
		o.planPath, o.output = o.output, ""
		if o.format == formatJSON {
			o.output = outputJSON
		}
	}
	return nil
}

// objectiveNames are the values of --objective.
func objectiveNames() []string {
	var out []string
	for _, obj := range v1alpha1.Objectives() {
		out = append(out, string(obj))
	}
	return out
}

func runConfigure(cmd *cobra.Command, o *configureOptions) error {
	out, err := parseOutput(o.output, configureOutputs()...)
	if err != nil {
		return err
	}
	prof, err := clusterprofile.LoadFile(o.profilePath)
	if err != nil {
		return err
	}
	if e := prof.Model.InputElements; e != nil && *e != o.inputSize {
		return fmt.Errorf("INPUT_SIZE %d differs from the %d input elements the profile was measured with", o.inputSize, *e)
	}
	req := planner.Request{
		Objective:     v1alpha1.Objective(o.objective),
		SourceNode:    o.sourceNode,
		InputBytes:    o.inputSize * v1alpha1.InputElementBytes,
		NodeSelector:  o.selector,
		MaxExpansions: o.maxExpansions,

		HopOverheadSeconds: o.hopOverhead,
		Tolerance:          o.tolerance,
	}
	if req.Headroom, err = parseHeadroom(o.headroom); err != nil {
		return err
	}
	for i, s := range o.pins {
		rng, node, ok := strings.Cut(s, "=")
		if !ok || node == "" {
			return fmt.Errorf("--pin %q: want RANGE=NODE", s)
		}
		start, end, err := parseUnitRange(prof, rng)
		if err != nil {
			return fmt.Errorf("--pin %q: %w", s, err)
		}
		req.Pins = append(req.Pins, planner.Pin{Start: start, End: end, Node: node, Origin: fmt.Sprintf("--pin #%d (%s)", i+1, s)})
	}
	for i, s := range o.avoid {
		rng, nodes, ok := strings.Cut(s, "=")
		if !ok || nodes == "" {
			return fmt.Errorf("--avoid %q: want RANGE=NODE[,NODE...]", s)
		}
		start, end, err := parseUnitRange(prof, rng)
		if err != nil {
			return fmt.Errorf("--avoid %q: %w", s, err)
		}
		req.Avoid = append(req.Avoid, planner.Avoid{Start: start, End: end, Nodes: strings.Split(nodes, ","),
			Origin: fmt.Sprintf("--avoid #%d (%s)", i+1, s)})
	}
	plan, err := planner.Solve(prof, req)
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	if o.planPath != "" {
		f, err := os.Create(o.planPath)
		if err != nil {
			return fmt.Errorf("write plan: %w", err)
		}
		if err := writeJSON(f, plan); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("write plan: %w", err)
		}
	}
	if out.table() {
		return printPlan(cmd.OutOrStdout(), plan)
	}
	return out.printValue(cmd.OutOrStdout(), plan)
}

// parseHeadroom reads "10%", "64Mi" or "64Mi+10%".
func parseHeadroom(s string) (planner.Headroom, error) {
	var h planner.Headroom
	for _, part := range strings.Split(s, "+") {
		part = strings.TrimSpace(part)
		if pct, ok := strings.CutSuffix(part, "%"); ok {
			v, err := strconv.ParseInt(pct, 10, 32)
			if err != nil || v < 0 || v > v1alpha1.MaxHeadroomPercent {
				return h, fmt.Errorf("--headroom %q: percentage must be an integer from 0 to %d", s, v1alpha1.MaxHeadroomPercent)
			}
			h.Percent = int32(v)
			continue
		}
		b, err := v1alpha1.ParseBytes(part)
		if err != nil {
			return h, fmt.Errorf("--headroom: %w", err)
		}
		h.Bytes = b
	}
	return h, nil
}

// parseUnitRange reads START:END (indexes, END exclusive), NAME, or
// FIRST..LAST (names, inclusive) into [start, end).
func parseUnitRange(prof *clusterprofile.ClusterProfile, s string) (int, int, error) {
	U := len(prof.Model.Units)
	if a, b, ok := strings.Cut(s, ":"); ok {
		start, err1 := strconv.Atoi(a)
		end, err2 := strconv.Atoi(b)
		if err1 != nil || err2 != nil || start < 0 || end > U || start >= end {
			return 0, 0, fmt.Errorf("range %q must be START:END with 0 <= START < END <= %d", s, U)
		}
		return start, end, nil
	}
	first, last, ok := strings.Cut(s, "..")
	if !ok {
		last = first
	}
	start, end := prof.UnitIndex(first), prof.UnitIndex(last)
	if start < 0 {
		return 0, 0, fmt.Errorf("no unit named %q", first)
	}
	if end < 0 {
		return 0, 0, fmt.Errorf("no unit named %q", last)
	}
	if end < start {
		return 0, 0, fmt.Errorf("unit %q comes before %q", last, first)
	}
	return start, end + 1, nil
}
