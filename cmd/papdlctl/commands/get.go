package commands

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/apis/labels"
	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/objects"
)

// getOutputs are the formats of get -o.
func getOutputs() []string {
	return []string{outputWide, outputName, outputJSON, outputYAML, outputJSONPath}
}

type getOptions struct {
	dirs       dirOptions
	output     string
	selector   string
	showLabels bool
	watch      bool

	out output
	sel labels.Selector
}

func newGetCommand() *cobra.Command {
	var o getOptions
	cmd := &cobra.Command{
		Use:   "get [NAME...] [-l SELECTOR] [-o wide|name|yaml|json|jsonpath=TEMPLATE] [-w]",
		Short: "List DistributedModels and their status",
		Example: `  papdlctl get
  papdlctl get -l team=vision,tier!=cloud -o name
  papdlctl get mnist -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}'`,
		ValidArgsFunction: completeModelNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGet(cmd, o, args)
		},
	}
	bindOutputFlag(cmd, &o.output, "output format", getOutputs())
	bindSelectorFlag(cmd, &o.selector)
	cmd.Flags().BoolVar(&o.showLabels, "show-labels", false, "add a LABELS column to the table")
	cmd.Flags().BoolVarP(&o.watch, "watch", "w", false, "after listing, print each model again whenever it changes (table formats only)")
	o.dirs.bindState(cmd.Flags())
	return cmd
}

func runGet(cmd *cobra.Command, o getOptions, args []string) error {
	var err error
	if o.out, err = parseOutput(o.output, getOutputs()...); err != nil {
		return err
	}
	if o.sel, err = parseSelector(o.selector, args); err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	b, err := openBackend(cmd, o.dirs)
	if err != nil {
		return err
	}
	recs, err := b.Records(cmd.Context(), args, o.sel)
	if err != nil {
		return err
	}
	if !o.out.table() {
		if o.watch {
			return fmt.Errorf("-w: only the table formats (no -o %s)", o.output)
		}
		objs := make([]*v1alpha1.DistributedModel, len(recs))
		for i, r := range recs {
			objs[i] = objects.AsObject(r)
		}
		return o.out.printObjects(w, objs, len(args) == 1)
	}
	if o.watch {
		return watchGet(cmd, o, b, args, recs)
	}
	if len(recs) == 0 {
		fmt.Fprintln(cmd.ErrOrStderr(), "No resources found.")
		return nil
	}
	cols := tableColumns{wide: o.out.format == outputWide, labels: o.showLabels}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, getHeader(cols))
	for _, r := range recs {
		fmt.Fprintln(tw, getRow(r, cols))
	}
	return tw.Flush()
}

// tableColumns are the optional columns of get's table.
type tableColumns struct{ wide, labels bool }

// getHeader is the table's header line (tab-separated).
func getHeader(c tableColumns) string {
	header := "NAME\tREADY\tSTATUS\tPARTITIONS\tNODES\tPREDICTED\tMEASURED\tAGE"
	if c.wide {
		header += "\tENDPOINT\tREVISION\tMESSAGE"
	}
	if c.labels {
		header += "\tLABELS"
	}
	return header
}

// getRow is one model's table line (tab-separated). STATUS is the Ready
// condition's reason, or Stalled:REASON, or Suspended while it is.
func getRow(r *distributedmodel.Record, c tableColumns) string {
	ready, reason, msg := "False", "", ""
	if c := v1alpha1.FindCondition(r.Status.Conditions, v1alpha1.ConditionReady); c != nil {
		ready, reason, msg = string(c.Status), c.Reason, c.Message
	}
	if c := v1alpha1.FindCondition(r.Status.Conditions, v1alpha1.ConditionStalled); c != nil && c.Status == v1alpha1.ConditionTrue {
		reason, msg = "Stalled:"+c.Reason, c.Message
	}
	if c := v1alpha1.FindCondition(r.Status.Conditions, v1alpha1.ConditionReconciling); c != nil && c.Reason == v1alpha1.ReasonSuspended {
		reason, msg = v1alpha1.ReasonSuspended, c.Message
	}
	parts, nodes, predicted := "-", "-", "-"
	if pl := r.Status.Placement; pl != nil {
		parts = fmt.Sprint(len(pl.Partitions))
		var hosts []string
		seen := map[string]bool{}
		for _, p := range pl.Partitions {
			if !seen[p.Hostname] {
				seen[p.Hostname] = true
				hosts = append(hosts, p.Hostname)
			}
		}
		nodes = strings.Join(hosts, ",")
		if pl.PredictedLatencySeconds != nil {
			predicted = fmt.Sprintf("%.1fms", 1e3**pl.PredictedLatencySeconds)
		}
	}
	measured := "-"
	if r.MeasuredLatencySeconds != nil {
		measured = fmt.Sprintf("%.1fms", 1e3**r.MeasuredLatencySeconds)
	}
	line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", r.Name, ready, reason, parts, nodes, predicted, measured, age(r.CreatedAt))
	if c.wide {
		line += fmt.Sprintf("\t%s\t%s\t%s", r.Status.Endpoint, r.Status.LastAppliedRevision, msg)
	}
	if c.labels {
		line += "\t" + formatLabels(r.Labels)
	}
	return line
}

// formatLabels renders labels as kubectl's --show-labels does.
func formatLabels(l map[string]string) string {
	if len(l) == 0 {
		return "<none>"
	}
	parts := make([]string, 0, len(l))
	for _, k := range slices.Sorted(maps.Keys(l)) {
		parts = append(parts, k+"="+l[k])
	}
	return strings.Join(parts, ",")
}

func age(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
