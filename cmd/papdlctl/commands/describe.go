package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/reconcilers/store"
)

func newDescribeCommand() *cobra.Command {
	var dirs dirOptions
	var events int
	cmd := &cobra.Command{
		Use:               "describe NAME",
		Short:             "Show a DistributedModel's conditions, placement, endpoint and events",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeOneModelName,
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := openBackend(cmd, dirs)
			if err != nil {
				return err
			}
			return runDescribe(cmd.Context(), cmd.OutOrStdout(), b, args[0], events)
		},
	}
	dirs.bindState(cmd.Flags())
	cmd.Flags().IntVar(&events, "events", 20, "how many recent events to show")
	return cmd
}

func runDescribe(ctx context.Context, w io.Writer, b backend, name string, nEvents int) error {
	recs, err := b.Records(ctx, []string{name}, nil)
	if err != nil {
		return err
	}
	r := recs[0]
	fmt.Fprintf(w, "Name:         %s\n", r.Name)
	fmt.Fprintf(w, "Labels:       %s\n", formatLabels(r.Labels))
	fmt.Fprintf(w, "Annotations:  %s\n", formatLabels(r.Annotations))
	fmt.Fprintf(w, "Generation:   %d (observed %d)\n", r.Generation, r.Status.ObservedGeneration)
	if r.Spec != nil {
		fmt.Fprintf(w, "Model:        %s\n", r.Spec.Model.Path)
		fmt.Fprintf(w, "Source node:  %s\n", r.Spec.SourceNode.String())
		fmt.Fprintf(w, "Objective:    %s\n", r.Spec.Objective)
		fmt.Fprintf(w, "Suspended:    %v\n", isSuspended(r))
	}
	fmt.Fprintf(w, "Model sha256: %s\n", r.ModelSHA256)
	fmt.Fprintf(w, "Input:        %s %v\n", r.InputName, r.InputShape)
	fmt.Fprintf(w, "Endpoint:     %s\n", r.Status.Endpoint)
	fmt.Fprintf(w, "Revision:     applied %s, attempted %s\n", r.Status.LastAppliedRevision, r.Status.LastAttemptedRevision)
	fmt.Fprintln(w, "\nConditions:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  TYPE\tSTATUS\tREASON\tSINCE\tMESSAGE")
	for _, c := range r.Status.Conditions {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", c.Type, c.Status, c.Reason, age(c.LastTransitionTime), c.Message)
	}
	tw.Flush()

	// A damaged plan (the controller rewrites it) does not hide the rest.
	if plan, err := b.Plan(ctx, name); err != nil && !errors.Is(err, store.ErrCorrupt) {
		return err
	} else if plan != nil {
		fmt.Fprintln(w, "\nPlacement:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  PARTITION\tUNITS\tNODE\tMEMORY\tAVAILABLE\tCOMPUTE\tMEASURED\tTRANSFER IN\tREADY")
		ready := map[int]bool{}
		measured := map[int]string{}
		pl := r.Status.Placement
		if pl != nil {
			for _, p := range pl.Partitions {
				ready[int(p.Index)] = p.Ready
				if m := p.MeasuredComputeSeconds; m != nil {
					measured[int(p.Index)] = fmt.Sprintf("%.2fms", 1e3**m)
				}
			}
		}
		for _, p := range plan.Partitions {
			m := measured[p.Index]
			if m == "" {
				m = "-"
			}
			fmt.Fprintf(tw, "  %d\t%d-%d (%s..%s)\t%s\t%s\t%s\t%.2fms\t%s\t%.2fms\t%v\n", p.Index, p.Start, p.End-1, p.FirstUnit, p.LastUnit,
				p.Hostname, humanBytes(p.MemoryBytes), humanBytes(p.AvailableBytes), 1e3*p.ComputeSeconds, m, 1e3*p.In.Seconds, ready[p.Index])
		}
		tw.Flush()
		fmt.Fprintf(w, "  return to source: %.2fms; predicted latency %.2fms, throughput %.1f/s (bottleneck %s)\n",
			1e3*plan.Return.Seconds, 1e3*plan.Totals.LatencySeconds, plan.Totals.Throughput, plan.Totals.Bottleneck)
		if pl != nil && pl.MeasuredLatencySeconds != nil {
			fmt.Fprintf(w, "  measured over the last %d requests: latency %.2fms (predicted %.2fms, ratio %.2f), transfers and hops %.2fms (predicted %.2fms)\n",
				pl.MeasuredRequests, 1e3**pl.MeasuredLatencySeconds, 1e3*plan.Totals.LatencySeconds,
				*pl.MeasuredLatencySeconds/plan.Totals.LatencySeconds, 1e3*deref(pl.MeasuredTransferSeconds), 1e3*plan.Totals.TransferSeconds)
		}
		if b := plan.Baselines.BestSingleNode; b != nil {
			fmt.Fprintf(w, "  speedup: %.2fx latency vs the best single node (%s), %.2fx vs the source node\n",
				b.LatencySpeedup, b.Hostname, plan.Baselines.Source.LatencySpeedup)
		}
	}

	evs, err := b.Events(ctx, name, nEvents)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\nEvents:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  LAST SEEN\tTYPE\tREASON\tMESSAGE")
	for _, e := range evs {
		seen := age(e.LastSeen())
		if n := e.Occurrences(); n > 1 {
			seen += fmt.Sprintf(" (x%d over %s)", n, age(e.Since()))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", seen, e.Type, e.Reason, e.Message)
	}
	return tw.Flush()
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}
