package commands

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/papdl/papdl/apis/labels"
)

// bindSelectorFlag adds -l/--selector.
func bindSelectorFlag(cmd *cobra.Command, sel *string) {
	cmd.Flags().StringVarP(sel, "selector", "l", "", "label selector: key=value, key!=value, key in (a,b), key notin (a,b), key, !key (comma-separated, all must hold)")
}

// parseSelector reads -l; as with kubectl, names and a selector do not go
// together.
func parseSelector(s string, names []string) (labels.Selector, error) {
	sel, err := labels.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("-l: %w", err)
	}
	if !sel.Empty() && len(names) > 0 {
		return nil, fmt.Errorf("-l: name models or select them, not both")
	}
	return sel, nil
}

// selectNames lists the models the selector matches (none may be named
// besides); without a selector, the names given.
func selectNames(ctx context.Context, b backend, selector string, names []string) ([]string, error) {
	if selector == "" {
		return names, nil
	}
	sel, err := parseSelector(selector, names)
	if err != nil {
		return nil, err
	}
	recs, err := b.Records(ctx, nil, sel)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Name
	}
	return out, nil
}
