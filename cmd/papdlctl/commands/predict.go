package commands

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/inference/npy"
)

func newPredictCommand() *cobra.Command {
	var dirs dirOptions
	var in, out string
	cmd := &cobra.Command{
		Use:               "predict NAME -i IN.npy -o OUT.npy",
		Short:             "Send one input through a deployed model's gateway (POST /input)",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeOneModelName,
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := openBackend(cmd, dirs)
			if err != nil {
				return err
			}
			recs, err := b.Records(cmd.Context(), args, nil)
			if err != nil {
				return err
			}
			endpoint := recs[0].Status.Endpoint
			if endpoint == "" {
				return fmt.Errorf("distributedmodel/%s has no endpoint yet (see papdlctl describe %s)", args[0], args[0])
			}
			body, err := readDataFile(cmd, in)
			if err != nil {
				return err
			}
			req, err := http.NewRequestWithContext(cmd.Context(), http.MethodPost, endpoint+"/input", bytes.NewReader(body))
			if err != nil {
				return err
			}
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("POST %s/input: %w", endpoint, err)
			}
			defer resp.Body.Close()
			data, err := io.ReadAll(resp.Body)
			if err != nil {
				return err
			}
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("POST %s/input: %s: %s", endpoint, resp.Status, bytes.TrimSpace(data))
			}
			t, err := npy.DecodeBytes(data)
			if err != nil {
				return fmt.Errorf("response: %w", err)
			}
			if err := writeDataFile(cmd, out, data); err != nil {
				return err
			}
			fmt.Fprintf(reportTo(cmd, out), "wrote %s to %s in %.1f ms\n", t, displayPath(out), float64(time.Since(start).Microseconds())/1000)
			return nil
		},
	}
	dirs.bindState(cmd.Flags())
	cmd.Flags().StringVarP(&in, "input", "i", "", "input .npy (- for standard input)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "where to write the output .npy (- for standard output)")
	_ = cmd.MarkFlagRequired("input")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}
