package commands

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/distributedmodel"
	"github.com/papdl/papdl/reconcilers/objects"
)

type getOptions struct {
	dirs   dirOptions
	output string
	watch  bool
}

func newGetCommand() *cobra.Command {
	var o getOptions
	cmd := &cobra.Command{
		Use:   "get [NAME] [-o wide|yaml|json] [-w]",
		Short: "List DistributedModels and their status",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGet(cmd, o, args)
		},
	}
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "output format: wide, yaml or json")
	cmd.Flags().BoolVarP(&o.watch, "watch", "w", false, "after listing, print each model again whenever it changes (table formats only)")
	o.dirs.bindState(cmd.Flags())
	return cmd
}

func runGet(cmd *cobra.Command, o getOptions, args []string) error {
	w := cmd.OutOrStdout()
	b, err := openBackend(cmd, o.dirs)
	if err != nil {
		return err
	}
	recs, err := b.Records(cmd.Context(), args)
	if err != nil {
		return err
	}
	switch o.output {
	case "json":
		objs := make([]*v1alpha1.DistributedModel, len(recs))
		for i, r := range recs {
			objs[i] = objects.AsObject(r)
		}
		var v any = objs
		if len(args) == 1 {
			v = objs[0]
		}
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, string(b))
		return err
	case "yaml":
		for i, r := range recs {
			b, err := yaml.Marshal(objects.AsObject(r))
			if err != nil {
				return err
			}
			if i > 0 {
				fmt.Fprintln(w, "---")
			}
			w.Write(b)
		}
		return nil
	case "", "wide":
	default:
		return fmt.Errorf("-o %s: want wide, yaml or json", o.output)
	}
	if o.watch {
		return watchGet(cmd, o, b, args, recs)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, getHeader(o.output == "wide"))
	for _, r := range recs {
		fmt.Fprintln(tw, getRow(r, o.output == "wide"))
	}
	return tw.Flush()
}

// getHeader is the table's header line (tab-separated).
func getHeader(wide bool) string {
	header := "NAME\tREADY\tSTATUS\tPARTITIONS\tNODES\tPREDICTED\tMEASURED\tAGE"
	if wide {
		header += "\tENDPOINT\tREVISION\tMESSAGE"
	}
	return header
}

// getRow is one model's table line (tab-separated).
func getRow(r *distributedmodel.Record, wide bool) string {
	ready, reason, msg := "False", "", ""
	if c := v1alpha1.FindCondition(r.Status.Conditions, v1alpha1.ConditionReady); c != nil {
		ready, reason, msg = string(c.Status), c.Reason, c.Message
	}
	if c := v1alpha1.FindCondition(r.Status.Conditions, v1alpha1.ConditionStalled); c != nil && c.Status == v1alpha1.ConditionTrue {
		reason, msg = "Stalled:"+c.Reason, c.Message
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
	if wide {
		line += fmt.Sprintf("\t%s\t%s\t%s", r.Status.Endpoint, r.Status.LastAppliedRevision, msg)
	}
	return line
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
