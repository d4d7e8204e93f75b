package commands

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/inference/slice"
)

type sliceOptions struct {
	out         string
	parts       int
	cuts        string
	inputShapes []string
	unitsOnly   bool
	chunkBytes  int64
}

func newSliceCommand() *cobra.Command {
	var o sliceOptions
	cmd := &cobra.Command{
		Use:   "slice MODEL.onnx -o DIR [--parts N | --cuts U1,U2,...]",
		Short: "Cut a model into partitions (standalone .onnx files plus manifest.json)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSlice(cmd, args[0], o)
		},
	}
	cmd.Flags().StringVarP(&o.out, "output", "o", "", "directory to write the partitions and manifest.json into")
	cmd.Flags().IntVar(&o.parts, "parts", 0, "number of partitions, with about equally many units each")
	cmd.Flags().StringVar(&o.cuts, "cuts", "", "comma-separated unit indices to cut after (see --units)")
	cmd.Flags().StringArrayVar(&o.inputShapes, "input-shape", nil, "NAME=D1xD2x... for inputs with symbolic dimensions")
	cmd.Flags().BoolVar(&o.unitsOnly, "units", false, "only list the units and the bytes crossing each cut")
	cmd.Flags().Int64Var(&o.chunkBytes, "chunk-bytes", 0, "cut into chunks of consecutive units with at most this many bytes of weights (a benchmark partition set for papdl-node bench --manifest)")
	return cmd
}

func runSlice(cmd *cobra.Command, modelPath string, o sliceOptions) error {
	if !o.unitsOnly && o.out == "" {
		return fmt.Errorf("-o DIR is required")
	}
	if o.out == stdio {
		return fmt.Errorf("-o -: slice writes a directory of partitions, not one file: give -o DIR")
	}
	if n := btoi(o.parts > 0) + btoi(o.cuts != "") + btoi(o.chunkBytes > 0); n > 1 {
		return fmt.Errorf("give one of --parts, --cuts and --chunk-bytes")
	}
	a, sum, err := analyzeModelFile(cmd.Context(), modelPath, o.inputShapes)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	if o.unitsOnly {
		cuts := a.Cuts()
		fmt.Fprintln(w, "UNIT\tNAME\tOPS\tWEIGHTS\tCUT AFTER\tTENSORS")
		for i, u := range a.Units {
			cut := a.CutAfter(i)
			if i < len(cuts) {
				cut = cuts[i]
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%d\n", u.Index, u.Name, strings.Join(u.OpTypes(), ","),
				humanBytes(u.WeightBytes), humanBytes(cut.Bytes), len(cut.Tensors))
		}
		return w.Flush()
	}
	var cuts []int
	switch {
	case o.cuts != "":
		for _, f := range strings.Split(o.cuts, ",") {
			c, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				return fmt.Errorf("--cuts: %q is not a unit index", f)
			}
			cuts = append(cuts, c)
		}
	case o.parts > 0:
		if cuts, err = a.EvenCuts(o.parts); err != nil {
			return err
		}
	case o.chunkBytes > 0:
		cuts = a.ChunkCuts(o.chunkBytes)
	}
	parts, err := a.Partition(cuts)
	if err != nil {
		return err
	}
	man, err := slice.Write(o.out, a, parts, sum)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "PARTITION\tUNITS\tFIRST\tLAST\tWEIGHTS\tINPUTS\tOUTPUTS\tFILE")
	for _, p := range man.Partitions {
		fmt.Fprintf(w, "%d\t%d-%d\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Index, p.Start, p.End-1, a.Units[p.Start].Name,
			a.Units[p.End-1].Name, humanBytes(p.WeightBytes), valuesSummary(p.Inputs), valuesSummary(append(p.Outputs, p.Forward...)), p.File)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%d units, %d partitions written to %s\n", len(a.Units), len(man.Partitions), o.out)
	return nil
}

func valuesSummary(vs []slice.Value) string {
	var total int64
	for _, v := range vs {
		total += v.Bytes
	}
	return fmt.Sprintf("%d (%s)", len(vs), humanBytes(total))
}

func humanBytes(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1fGiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1fMiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1fKiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%dB", b)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
