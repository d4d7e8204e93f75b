package commands

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// runtimeNames are the values of --runtime.
func runtimeNames() []string { return []string{"local", "swarm"} }

// completionTimeout bounds the lookups a completion makes (a remote list).
const completionTimeout = 5 * time.Second

// completeModelNames completes the names of the models the backend knows
// (the local state directory, or the API with a papdl config), leaving
// out those already on the command line.
func completeModelNames(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	ctx := cmd.Context()
	if ctx == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(ctx, completionTimeout)
	defer cancel()
	b, err := openBackend(cmd, dirsFromFlags(cmd))
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	recs, err := b.Records(ctx, nil, nil)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	var out []string
	for _, r := range recs {
		if strings.HasPrefix(r.Name, toComplete) && !slices.Contains(args, r.Name) {
			out = append(out, r.Name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeOneModelName completes a model name as the only argument.
func completeOneModelName(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return completeModelNames(cmd, args, toComplete)
}

// completeValues completes a flag from a fixed list of values.
func completeValues(values ...string) cobra.CompletionFunc {
	return cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp)
}

// mustCompleteFlag registers a flag's completion; the flag is the
// command's own, so an error is a programming error.
func mustCompleteFlag(cmd *cobra.Command, flag string, fn cobra.CompletionFunc) {
	if err := cmd.RegisterFlagCompletionFunc(flag, fn); err != nil {
		panic("papdlctl: complete --" + flag + ": " + err.Error())
	}
}

// bindOutputFlag adds -o/--output naming a print format, completed from
// formats (jsonpath as "jsonpath=").
func bindOutputFlag(cmd *cobra.Command, p *string, usage string, formats []string) {
	cmd.Flags().StringVarP(p, "output", "o", "", usage+": "+strings.Join(outputChoices(formats), ", ")+" (default: a table)")
	values := make([]string, len(formats))
	for i, f := range formats {
		values[i] = f
		if f == outputJSONPath {
			values[i] = f + "="
		}
	}
	mustCompleteFlag(cmd, "output", cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp|cobra.ShellCompDirectiveNoSpace))
}
