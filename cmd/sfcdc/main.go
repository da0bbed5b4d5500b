// Command sfcdc streams Salesforce Change Data Capture into UiPath
// Communications Mining. This file is the process edge only: subcommands,
// flags, signals and exit codes.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/checkpoint"
	"github.com/sfcdc/sfcdc/deadletter"
	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/redact"
	"github.com/sfcdc/sfcdc/registry"
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
	useLibraryLogs()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, os.LookupEnv, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// execute runs the command line args with the environment env (main:
// the process's; a test: its own, so commands running at once in one
// process never share one) until it ends or ctx ends (SIGINT or SIGTERM),
// and returns the exit code. A command that stopped because ctx
// ended is a normal stop, exit 0: its cancellation error is printed only
// when the command describes the interruption (what it kept unchanged),
// never a bare "context canceled" from whichever call the signal cut.
// Unknown commands, flags and arguments are usage errors (exit 2).
func execute(ctx context.Context, env integration.Env, args []string, stdout, stderr io.Writer) int {
	root := newRootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(withEnv(ctx, env))
	if err == nil {
		return 0
	}
	stoppedBySignal := ctx.Err() != nil && errors.Is(err, context.Canceled)
	if stoppedBySignal && !strings.Contains(err.Error(), "interrupted") {
		return 0
	}
	var logged loggedFailure
	if errors.As(err, &logged) {
		logged.log.Error("sfcdc stopped", "err", logged.err.Error())
	} else {
		fmt.Fprintln(stderr, "sfcdc:", redact.Text(err.Error()))
	}
	return exitCode(err, stoppedBySignal)
}

// exitCode maps a command's error to the documented exit codes.
func exitCode(err error, stoppedBySignal bool) int {
	var ue usageError
	var coded interface{ ExitCode() int }
	switch {
	case stoppedBySignal:
		return 0
	case errors.As(err, &ue) || isCobraUsageError(err) || slices.ContainsFunc(usageErrors, func(u error) bool { return errors.Is(err, u) }):
		return exitUsage
	case errors.As(err, &coded):
		return coded.ExitCode()
	}
	return exitFailure
}

// usageErrors are the packages' errors about what the operator gave
// (flags, files, names): exit 2.
var usageErrors = []error{integration.ErrInvalid, registry.ErrInvalid, deadletter.ErrChoice, checkpoint.ErrArgument, backfill.ErrRequest}

// isCobraUsageError recognises the errors cobra returns itself, without a
// type: an unknown command, and arguments a command does not take.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command ") || strings.HasPrefix(msg, "unknown flag") ||
		strings.Contains(msg, "accepts no arguments") || strings.Contains(msg, "arg(s), received")
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
	root.AddCommand(newStatusCommand(), newDeadLettersCommand(), newServeCommand(), newIntegrationsCommand())
	return root
}
