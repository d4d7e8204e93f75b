package commands

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/reconcilers/distributedmodel"
)

// watchGetEvery is how often `get -w` polls.
const watchGetEvery = 500 * time.Millisecond

// watchGet prints the table, then a line for every model whose record
// changed (or "NAME <deleted>") every watchGetEvery, until interrupted.
func watchGet(cmd *cobra.Command, o getOptions, b backend, args []string, recs []*distributedmodel.Record) error {
	cols := tableColumns{wide: o.out.format == outputWide, labels: o.showLabels}
	w := cmd.OutOrStdout()
	seen := map[string][]byte{}
	show := func(recs []*distributedmodel.Record, header bool) error {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		if header {
			fmt.Fprintln(tw, getHeader(cols))
		}
		now := map[string]bool{}
		for _, r := range recs {
			now[r.Name] = true
			data, _ := json.Marshal(r)
			if string(seen[r.Name]) != string(data) {
				seen[r.Name] = data
				fmt.Fprintln(tw, getRow(r, cols))
			}
		}
		for n := range seen {
			if !now[n] {
				delete(seen, n)
				fmt.Fprintf(tw, "%s\t<deleted>\n", n)
			}
		}
		return tw.Flush()
	}
	if err := show(recs, true); err != nil {
		return err
	}
	tick := time.NewTicker(watchGetEvery)
	defer tick.Stop()
	ctx := cmd.Context()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		recs, err := b.Records(ctx, args, o.sel)
		if isNotFound(err) {
			recs, err = nil, nil // the named model is gone
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "get -w: %v\n", err)
			continue
		}
		if err := show(recs, false); err != nil {
			return err
		}
	}
}
