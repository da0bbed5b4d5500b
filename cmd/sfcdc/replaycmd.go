package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/checkpoint"
	"github.com/sfcdc/sfcdc/engine"
	"github.com/sfcdc/sfcdc/health"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// replayToolName names the replay tool's lease holders (checkpoint.Holder).
const replayToolName = "sfcdc-replay-tool"

// replayFlags are the knobs of `sfcdc replay …`.
type replayFlags struct {
	configPath string
	topic      string
	yes        bool
	replayID   string
	commitTime string
}

func newReplayCommand() *cobra.Command {
	var f replayFlags
	cmd := &cobra.Command{
		Use:   "replay show|set|reset --config FILE [--topic T]",
		Short: "Show or change the saved replay checkpoints of the configured topics",
		Long: "Operator tools for the checkpoints in the configured store (store: section).\n" +
			"show lists each configured topic's replay ID, commit and write times and its age against\n" +
			"the 72 h replay retention. set and reset change one topic's checkpoint; they take the\n" +
			"topic's lease first, so they refuse while a worker streams the topic, and ask for\n" +
			"confirmation unless --yes.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return usageError{errors.New("replay needs a subcommand: show, set or reset")}
		},
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.configPath, "config", "", "configuration file (YAML), required")
	pf.StringVar(&f.topic, "topic", "", "one configured topic, e.g. /data/CaseChangeEvent")

	show := &cobra.Command{
		Use:   "show --config FILE [--topic T]",
		Short: "List the checkpoint of every configured topic (or of --topic)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runReplayShow(cmd, f) },
	}
	set := &cobra.Command{
		Use:   "set --config FILE --topic T --replay-id HEX [--commit-time RFC3339] [--yes]",
		Short: "Make the topic resume after the given replay ID",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runReplaySet(cmd, f) },
	}
	set.Flags().StringVar(&f.replayID, "replay-id", "", "replay ID in `HEX`, as replay show and subscribe print it; required")
	set.Flags().StringVar(&f.commitTime, "commit-time", "", "commit time of that event, `RFC3339` (e.g. 2026-05-01T12:00:00Z), if known; it dates the 72 h retention")
	set.Flags().BoolVar(&f.yes, "yes", false, "do not ask for confirmation")
	reset := &cobra.Command{
		Use:   "reset --config FILE --topic T [--yes]",
		Short: "Delete the topic's checkpoint: the next run starts from the configured start",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runReplayReset(cmd, f) },
	}
	reset.Flags().BoolVar(&f.yes, "yes", false, "do not ask for confirmation")
	cmd.AddCommand(show, set, reset)
	return cmd
}

// replayTarget is the store, org and topics a replay command works on.
type replayTarget struct {
	store  replay.Store
	org    string
	topics []string // configured topics, sorted
	// health judges the topics as `sfcdc run`'s /readyz does, with the
	// configured monitoring.ready_window.
	health health.Policy
}

// openReplayTarget reads the configuration, opens the store and names the
// org from salesforce.tenant_id or the store: it needs no Salesforce.
func openReplayTarget(ctx context.Context, path string) (*replayTarget, error) {
	conf, err := loadConfig(ctx, path)
	if err != nil {
		return nil, err
	}
	topics, err := engine.Topics(conf.Spec)
	if err != nil {
		return nil, usageError{err}
	}
	store, err := openStore(ctx, conf.Store)
	if err != nil {
		return nil, err
	}
	org, err := engine.StoredOrg(ctx, conf.Salesforce, store)
	if err != nil {
		_ = store.Close()
		return nil, asUsage(err)
	}
	return &replayTarget{store: store, org: org, topics: topics,
		health: health.Policy{ReadyWindow: conf.Monitoring.ReadyWindow}}, nil
}

func runReplayShow(cmd *cobra.Command, f replayFlags) error {
	ctx := cmd.Context()
	t, err := openReplayTarget(ctx, f.configPath)
	if err != nil {
		return err
	}
	defer t.store.Close()
	topics, err := checkpoint.PickTopic(t.topics, f.topic, false)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "org %s, replay retention %s\n", t.org, health.ReplayRetention)
	for _, topic := range topics {
		d, err := checkpoint.Describe(ctx, t.store, t.org, topic, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s: %s\n", topic, d)
	}
	return nil
}

func runReplaySet(cmd *cobra.Command, f replayFlags) error {
	id, err := checkpoint.ParseReplayID(f.replayID)
	if err != nil {
		return err
	}
	commit, err := parseFlagTime("--commit-time", f.commitTime)
	if err != nil {
		return err
	}
	return changeCheckpoint(cmd, f, fmt.Sprintf("set the checkpoint to replay_id=%x", id),
		func(ctx context.Context, s replay.Store, lease replay.Lease) error {
			return checkpoint.Set(ctx, s, lease, id, commit)
		})
}

func runReplayReset(cmd *cobra.Command, f replayFlags) error {
	return changeCheckpoint(cmd, f, "delete the checkpoint (the next run starts from the configured start)", checkpoint.Reset)
}

// changeCheckpoint shows the topic's checkpoint, asks for confirmation and
// applies change under the topic's lease.
func changeCheckpoint(cmd *cobra.Command, f replayFlags, what string, change func(context.Context, replay.Store, replay.Lease) error) error {
	ctx := cmd.Context()
	t, err := openReplayTarget(ctx, f.configPath)
	if err != nil {
		return err
	}
	defer t.store.Close()
	topics, err := checkpoint.PickTopic(t.topics, f.topic, true)
	if err != nil {
		return err
	}
	topic, w := topics[0], cmd.OutOrStdout()
	after, err := checkpoint.Change(ctx, t.store, t.org, topic, checkpoint.Holder(replayToolName),
		func(before checkpoint.Description) (bool, error) {
			fmt.Fprintf(w, "%s now: %s\n", topic, before)
			if f.yes {
				return false, nil
			}
			return true, confirm(cmd.InOrStdin(), w, fmt.Sprintf("%s of %s in org %s?", what, topic, t.org))
		}, change)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s done: %s\n", topic, after)
	return nil
}

// confirm asks on a terminal; anything else than "yes" declines. Without
// a terminal it refuses: a script must say --yes.
func confirm(in io.Reader, out io.Writer, question string) error {
	if !isTerminal(in) {
		return usageError{errors.New("refusing to change a checkpoint without confirmation: standard input is not a terminal; pass --yes to confirm non-interactively")}
	}
	fmt.Fprintf(out, "%s Type yes to continue: ", question)
	var answer string
	_, _ = fmt.Fscanln(in, &answer)
	if strings.ToLower(strings.TrimSpace(answer)) != "yes" {
		return errors.New("not confirmed; nothing changed")
	}
	return nil
}

// isTerminal reports whether stream (standard input or output) is a
// terminal.
func isTerminal(stream any) bool {
	f, ok := stream.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
