package commands

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/planner"
	"github.com/papdl/papdl/reconcilers/profile"
	"github.com/spf13/cobra"
)

// configureOptions are the flags and arguments of papdlctl configure.
type configureOptions struct {
	profilePath   string
	sourceNode    string
	inputSize     int64
	planPath      string
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

-o/--output writes the plan file (JSON) that the deployer consumes;
--format chooses what is printed: a table (default) or the plan as JSON.

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
		Example: `  papdlctl configure profile.json vm0 150528 -o plan.json
  papdlctl configure profile.json vm0 150528 --objective throughput --pin 0:4=vm1 --avoid conv5_1..conv5_3=vm2
  papdlctl configure profile.json vm0 150528 --format json`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.profilePath, o.sourceNode = args[0], args[1]
			n, err := strconv.ParseInt(args[2], 10, 64)
			if err != nil || n < 1 {
				return fmt.Errorf("INPUT_SIZE %q must be a positive element count", args[2])
			}
			o.inputSize = n
			return runConfigure(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.planPath, "output", "o", "", "write the plan (JSON) to this file")
	f.StringVar(&o.format, "format", formatTable, "what to print: table or json")
	f.StringVar(&o.objective, "objective", string(v1alpha1.ObjectiveLatency), "latency or throughput")
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

func runConfigure(cmd *cobra.Command, o *configureOptions) error {
	if err := checkFormat(o.format); err != nil {
		return err
	}
	prof, err := profile.LoadFile(o.profilePath)
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
	if o.format == formatJSON {
		return writeJSON(cmd.OutOrStdout(), plan)
	}
	return printPlan(cmd.OutOrStdout(), plan)
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
func parseUnitRange(prof *profile.ClusterProfile, s string) (int, int, error) {
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
