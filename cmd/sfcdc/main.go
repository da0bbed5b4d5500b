// Command sfcdc streams Salesforce Change Data Capture into UiPath
// Communications Mining. This file is the process edge only: subcommands,
// flags, signals and exit codes.

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes: 0 success, 1 runtime failure, 2 bad usage or configuration.
const (
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks errors the user fixes by changing flags or configuration.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// loggedFailure is a command's final error that goes out through the
// command's logger (sfcdc run --log-format json) instead of a plain line.
type loggedFailure struct {
	err error
	log *slog.Logger
}

func (e loggedFailure) Error() string { return e.err.Error() }
func (e loggedFailure) Unwrap() error { return e.err }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCommand()
	if err := root.ExecuteContext(ctx); err != nil {
		var logged loggedFailure
		if errors.As(err, &logged) {
			logged.log.Error("sfcdc stopped", "err", logged.err.Error())
		} else {
			fmt.Fprintln(os.Stderr, "sfcdc:", err)
		}
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(exitUsage)
		}
		var coded interface{ ExitCode() int }
		if errors.As(err, &coded) {
			os.Exit(coded.ExitCode())
		}
		os.Exit(exitFailure)
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "sfcdc",
		Short:         "Stream Salesforce changes into UiPath Communications Mining",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newVersionCommand(), newSimCommand(), newSubscribeCommand(), newAuthCommand(), newBackfillCommand(), newValidateCommand(), newReplayCommand(), newRunCommand(), newDemoCommand())
	root.AddCommand(newStatusCommand(), newDeadLettersCommand())
	return root
}
