package conformance

import (
	"context"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/papdl/papdl/inference/ops"
)

// RunAll runs every case under root.
func RunAll(ctx context.Context, root string, reg *ops.Registry) ([]Result, error) {
	cases, err := ListCases(root)
	if err != nil {
		return nil, err
	}
	out := make([]Result, 0, len(cases))
	for _, c := range cases {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		out = append(out, c.Run(ctx, reg))
	}
	return out, nil
}

// Tally counts outcomes.
type Tally struct {
	Pass, Fail, Unsupported int
}

// Supported is the number of cases whose operators papdl implements.
func (t Tally) Supported() int { return t.Pass + t.Fail }

// Summarize tallies results per op key and in total.
func Summarize(results []Result) (map[string]Tally, Tally) {
	per := map[string]Tally{}
	var total Tally
	for _, r := range results {
		t := per[r.Op]
		switch r.Status {
		case Pass:
			t.Pass++
			total.Pass++
		case Fail:
			t.Fail++
			total.Fail++
		default:
			t.Unsupported++
			total.Unsupported++
		}
		per[r.Op] = t
	}
	return per, total
}

// WriteTable prints the per-operator pass table of supported operators,
// then the failures, then the totals.
func WriteTable(w io.Writer, results []Result) error {
	per, total := Summarize(results)
	keys := make([]string, 0, len(per))
	for k, t := range per {
		if t.Supported() > 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OPERATOR\tPASS\tCASES\t")
	for _, k := range keys {
		t := per[k]
		fmt.Fprintf(tw, "%s\t%d\t%d\t\n", k, t.Pass, t.Supported())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, r := range results {
		if r.Status == Fail {
			fmt.Fprintf(w, "FAIL %s [%s]: %s\n", r.Name, r.Op, r.Err)
		}
	}
	pct := 0.0
	if total.Supported() > 0 {
		pct = 100 * float64(total.Pass) / float64(total.Supported())
	}
	_, err := fmt.Fprintf(w, "\nsupported-operator cases: %d of %d pass (%.1f%%); %d cases use operators papdl does not implement\n",
		total.Pass, total.Supported(), pct, total.Unsupported)
	return err
}
