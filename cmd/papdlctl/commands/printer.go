package commands

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/planner"
)

// The values of configure's deprecated --format.
const (
	formatTable = "table"
	formatJSON  = "json"
)

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	return nil
}

// seconds renders a duration in seconds with a readable unit.
func seconds(s float64) string {
	switch {
	case s == 0:
		return "0"
	case s < 1e-3:
		return fmt.Sprintf("%.1f µs", s*1e6)
	case s < 1:
		return fmt.Sprintf("%.2f ms", s*1e3)
	default:
		return fmt.Sprintf("%.3f s", s)
	}
}

func speedup(x float64) string {
	if x == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", x)
}

// printPlan writes a plan as a table followed by its totals and speedups.
func printPlan(w io.Writer, plan *planner.Plan) error {
	hosts := map[string]string{plan.Baselines.Source.Node: plan.Baselines.Source.Hostname}
	for _, p := range plan.Partitions {
		hosts[p.Node] = p.Hostname
	}
	transfer := func(t planner.Transfer) string {
		if t.From == t.To {
			return "-"
		}
		return fmt.Sprintf("%s (%s from %s)", seconds(t.Seconds), v1alpha1.FormatBytes(t.Bytes), cmpOr(hosts[t.From], t.From))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTITION\tUNITS\tLAYERS\tNODE\tMEMORY NEEDED / AVAILABLE\tCOMPUTE\tTRANSFER IN")
	for _, p := range plan.Partitions {
		fmt.Fprintf(tw, "%d\t[%d,%d)\t%s\t%s\t%s / %s\t%s\t%s\n", p.Index, p.Start, p.End,
			unitSpan(p.FirstUnit, p.LastUnit), p.Hostname,
			v1alpha1.FormatBytes(p.MemoryBytes), v1alpha1.FormatBytes(p.AvailableBytes),
			seconds(p.ComputeSeconds), transfer(p.In))
	}
	fmt.Fprintf(tw, "return\t\t\t%s\t\t\t%s\n", cmpOr(hosts[plan.SourceNode], plan.SourceNode), transfer(plan.Return))
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	t := plan.Totals
	b := plan.Baselines
	var sb strings.Builder
	fmt.Fprintf(&sb, "\nobjective %s, %s in %s on %s", plan.Objective, plural(plan.Units, "unit"),
		plural(len(plan.Partitions), "partition"), plural(len(plan.Nodes), "node"))
	if plan.Optimal {
		sb.WriteString(" (proven optimal)\n")
	} else {
		fmt.Fprintf(&sb, " (search budget exhausted: not proven optimal, lower bound %s)\n", seconds(plan.LowerBound))
	}
	fmt.Fprintf(&sb, "latency    %s  = compute %s + transfer %s\n", seconds(t.LatencySeconds),
		seconds(t.ComputeSeconds), seconds(t.TransferSeconds))
	fmt.Fprintf(&sb, "throughput %.2f requests/s (bottleneck %s, %s per request)\n", t.Throughput, t.Bottleneck,
		seconds(t.BottleneckSeconds))
	fmt.Fprintf(&sb, "speedup vs source node %s: latency %s, throughput %s%s\n", b.Source.Hostname,
		speedup(b.Source.LatencySpeedup), speedup(b.Source.ThroughputSpeedup), fits(b.Source.FitsMemory))
	if s := b.BestSingleNode; s != nil {
		fmt.Fprintf(&sb, "speedup vs best single node %s: latency %s, throughput %s\n", s.Hostname,
			speedup(s.LatencySpeedup), speedup(s.ThroughputSpeedup))
	} else {
		sb.WriteString("no single node fits the whole model\n")
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

func unitSpan(first, last string) string {
	if first == last {
		return first
	}
	return first + ".." + last
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func fits(ok bool) string {
	if ok {
		return ""
	}
	return " (the whole model does not fit its memory)"
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
