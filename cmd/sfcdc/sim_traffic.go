package main

import (
	"context"
	"errors"
	"fmt"

	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/spf13/cobra"
)

// generateTraffic starts the activity generator: --events N generates N
// events as fast as possible and stops generating (the org keeps serving);
// otherwise --rate events per second until interrupted. Generation errors
// are reported on standard error and stop only the generator.
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
