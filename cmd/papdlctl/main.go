// Command papdlctl is papdl's command-line tool: it slices, profiles and runs
// ONNX models on files, plans placements, and drives the papdl controller.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/papdl/papdl/cmd/papdlctl/commands"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := commands.NewRootCommand().ExecuteContext(ctx)
	stop()
	if err != nil {
		code, shown := commands.ExitCode(err)
		if shown != nil {
			fmt.Fprintln(os.Stderr, "papdlctl:", shown)
		}
		os.Exit(code)
	}
}
