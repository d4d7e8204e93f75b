package commands

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/inference/profile"
)

type profileOptions struct {
	out         string
	warmup      int
	repeats     int
	inputShapes []string
}

func newProfileCommand() *cobra.Command {
	var o profileOptions
	cmd := &cobra.Command{
		Use:   "profile MODEL.onnx -o PROFILE.json",
		Short: "Measure every unit of a model on this machine",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runProfile(cmd, args[0], o)
		},
	}
	cmd.Flags().StringVarP(&o.out, "output", "o", "", "where to write the profile JSON (- for standard output)")
	cmd.Flags().IntVar(&o.warmup, "warmup", 2, "runs discarded before measuring")
	cmd.Flags().IntVarP(&o.repeats, "repeats", "r", 10, "measured runs")
	cmd.Flags().StringArrayVar(&o.inputShapes, "input-shape", nil, "NAME=D1xD2x... for inputs with symbolic dimensions")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

func runProfile(cmd *cobra.Command, modelPath string, o profileOptions) error {
	a, _, err := analyzeModelFile(cmd.Context(), modelPath, o.inputShapes)
	if err != nil {
		return err
	}
	errOut := cmd.ErrOrStderr()
	p, err := profile.Measure(cmd.Context(), a, profile.Options{Warmup: o.warmup, Repeats: o.repeats,
		Progress: func(done, total int) { fmt.Fprintf(errOut, "\rprofiling %s: run %d/%d", modelPath, done, total) }})
	fmt.Fprintln(errOut)
	if err != nil {
		return err
	}
	js, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	if err := writeDataFile(cmd, o.out, append(js, '\n')); err != nil {
		return err
	}
	report := reportTo(cmd, o.out)
	w := tabwriter.NewWriter(report, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "UNIT\tNAME\tOPS\tMEDIAN ms\tP10-P90 ms\tWEIGHTS\tOUTPUT\tPEAK WORK")
	for _, u := range p.Units {
		fmt.Fprintf(w, "%d\t%s\t%s\t%.3f\t%.3f-%.3f\t%s\t%s\t%s\n", u.Index, u.Name, strings.Join(u.Ops, ","),
			1e3*u.Seconds.Median, 1e3*u.Seconds.P10, 1e3*u.Seconds.P90, humanBytes(u.WeightBytes),
			humanBytes(u.OutputBytes), humanBytes(u.PeakWorkingBytes))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(report, "whole model: median %.2f ms (p10 %.2f, p90 %.2f) over %d runs; profile written to %s\n",
		1e3*p.TotalSeconds.Median, 1e3*p.TotalSeconds.P10, 1e3*p.TotalSeconds.P90, p.Repeats, displayPath(o.out))
	return nil
}
