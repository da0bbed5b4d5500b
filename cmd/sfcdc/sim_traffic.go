package main

import (
	"context"
	"errors"
	"fmt"

	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/spf13/cobra"
)

// generateTraffic starts the activity generator: --events N generates
// exactly N events as fast as possible, whatever --rate says, and stops
// generating (the org keeps serving); otherwise --rate events per second
// until interrupted. A failed --events run ends the command; an error of
// the --rate generator is reported on standard error and stops only it.
func generateTraffic(cmd *cobra.Command, s *sfsim.Sim, f simFlags) error {
	gen := sfsim.NewGenerator(s.Org, f.seed)
	ctx := cmd.Context()
	switch {
	case f.events > 0:
		n, err := gen.Generate(ctx, f.events)
		if err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("generate %d events: %w", f.events, err)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "generated %d events; serving until interrupted\n", n)
	case f.rate > 0:
		go func() {
			if err := gen.Run(ctx, f.rate); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "sfcdc sim: generator stopped:", err)
			}
		}()
	}
	return nil
}
