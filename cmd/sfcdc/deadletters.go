package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
	"github.com/spf13/cobra"
)

// retryWindowHalf is how far before and after a dead-lettered event's
// commit time its retry re-reads records: the change is stamped within
// moments of its commit, the margin absorbs clock skew and slow commits.
const retryWindowHalf = 5 * time.Minute

// deadLetterFlags are the knobs of `sfcdc deadletters …`.
type deadLetterFlags struct {
	configPath string
	json       bool
	limit      int
	ids        []string
	all        bool
	before     string
	verbose    bool
}

func newDeadLettersCommand() *cobra.Command {
	var f deadLetterFlags
	cmd := &cobra.Command{
		Use:   "deadletters list|retry|purge --config FILE",
		Short: "List, retry or purge the events and records the pipeline gave up on",
		Long: "Dead letters are kept in the configured store per org, with the reason, the attempt count and the\n" +
			"error, but no record body. list shows them newest first. retry re-reads a record dead letter's\n" +
			"record over REST, maps it and uploads it (a record deleted since removes its comment when\n" +
			"on_delete is delete); an event dead letter without a record ID cannot be re-read from the stream,\n" +
			"so retry backfills its objects over REST from 5 minutes before to 5 minutes after its commit time.\n" +
			"A success deletes the dead letter; a failure keeps it with attempts+1 and the new error.\n" +
			"purge deletes dead letters without retrying them.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return usageError{errors.New("deadletters needs a subcommand: list, retry or purge")}
		},
	}
	cmd.PersistentFlags().StringVar(&f.configPath, "config", "", "configuration file (YAML), required")

	list := &cobra.Command{
		Use:   "list --config FILE [--json] [--limit N]",
		Short: "List dead letters, newest first",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runDeadLettersList(cmd, f) },
	}
	list.Flags().BoolVar(&f.json, "json", false, "print a JSON array")
	list.Flags().IntVar(&f.limit, "limit", replay.DefaultDeadLetterPage, "show at most this many (0: all)")

	retry := &cobra.Command{
		Use:   "retry --config FILE (--id ID ... | --all)",
		Short: "Retry dead letters; each success deletes its dead letter",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runDeadLettersRetry(cmd, f) },
	}
	retry.Flags().StringSliceVar(&f.ids, "id", nil, "a dead letter ID, as list prints it (repeatable)")
	retry.Flags().BoolVar(&f.all, "all", false, "retry every dead letter of the org")
	retry.Flags().BoolVar(&f.verbose, "verbose", false, "log every REST and CM retry (never secrets)")

	purge := &cobra.Command{
		Use:   "purge --config FILE (--id ID ... | --all | --before RFC3339)",
		Short: "Delete dead letters without retrying them",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runDeadLettersPurge(cmd, f) },
	}
	purge.Flags().StringSliceVar(&f.ids, "id", nil, "a dead letter ID, as list prints it (repeatable)")
	purge.Flags().BoolVar(&f.all, "all", false, "purge every dead letter of the org")
	purge.Flags().StringVar(&f.before, "before", "", "purge those dead-lettered before this time (RFC 3339)")
	cmd.AddCommand(list, retry, purge)
	return cmd
}

// deadLetterJSON is one dead letter of `deadletters list --json`; its keys
// are stable. The body, if one was kept, is not printed (it may hold
// personal data): only its size.
type deadLetterJSON struct {
	ID        string     `json:"id"`
	At        time.Time  `json:"at"`
	EventTime *time.Time `json:"event_time"`
	RetriedAt *time.Time `json:"retried_at"`
	Topic     string     `json:"topic"`
	Object    string     `json:"object"`
	RecordID  string     `json:"record_id"`
	ReplayID  string     `json:"replay_id"` // hex
	Reason    string     `json:"reason"`
	Error     string     `json:"error"`
	Attempts  int        `json:"attempts"`
	BodyBytes int        `json:"body_bytes"`
}

func toDeadLetterJSON(d replay.DeadLetter) deadLetterJSON {
	return deadLetterJSON{
		ID: d.ID, At: d.At.UTC(), EventTime: timePtr(d.EventTime), RetriedAt: timePtr(d.RetriedAt),
		Topic: d.Topic, Object: d.Object, RecordID: d.RecordID, ReplayID: hex.EncodeToString(d.ReplayID),
		Reason: d.Reason, Error: d.Error, Attempts: d.Attempts, BodyBytes: len(d.Body),
	}
}

func runDeadLettersList(cmd *cobra.Command, f deadLetterFlags) error {
	if f.limit < 0 {
		return usageError{fmt.Errorf("--limit %d: want 0 (all) or a positive number", f.limit)}
	}
	ctx := cmd.Context()
	t, err := openReplayTarget(ctx, f.configPath)
	if err != nil {
		return err
	}
	defer t.store.Close()
	var shown []replay.DeadLetter
	err = eachDeadLetter(ctx, t.store, t.org, func(d replay.DeadLetter) bool {
		shown = append(shown, d)
		return f.limit == 0 || len(shown) < f.limit
	})
	if err != nil {
		return err
	}
	total, err := t.store.CountDeadLetters(ctx, t.org)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if f.json {
		out := make([]deadLetterJSON, len(shown))
		for i, d := range shown {
			out[i] = toDeadLetterJSON(d)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(shown) == 0 {
		fmt.Fprintf(w, "org %s has no dead letters\n", t.org)
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDEAD-LETTERED\tEVENT TIME\tTOPIC/OBJECT\tRECORD/REPLAY ID\tREASON\tATTEMPTS\tERROR")
	for _, d := range shown {
		event := "-"
		if !d.EventTime.IsZero() {
			event = d.EventTime.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", d.ID, d.At.UTC().Format(time.RFC3339), event,
			deadLetterSource(d), deadLetterSubject(d), d.Reason, d.Attempts, orDash(oneLine(d.Error, maxTableError)))
	}
	_ = tw.Flush()
	more := ""
	if len(shown) < total {
		more = "; --limit 0 shows all"
	}
	fmt.Fprintf(w, "showing %d of %d dead letters of org %s%s\n", len(shown), total, t.org, more)
	return nil
}

// deadLetterSource is the object, or the topic of an event without one.
func deadLetterSource(d replay.DeadLetter) string {
	if d.Object != "" {
		return d.Object
	}
	return d.Topic
}

// deadLetterSubject is the record ID, or the replay ID in hex.
func deadLetterSubject(d replay.DeadLetter) string {
	if d.RecordID != "" {
		return d.RecordID
	}
	return "replay " + hex.EncodeToString(d.ReplayID)
}

// describeDeadLetter names a dead letter in one line of output.
func describeDeadLetter(d replay.DeadLetter) string {
	return fmt.Sprintf("%s %s: %s, %d attempts, dead-lettered %s", deadLetterSource(d), deadLetterSubject(d),
		d.Reason, d.Attempts, d.At.UTC().Format(time.RFC3339))
}

// eachDeadLetter pages through the org's dead letters, newest first, until
// fn returns false or they run out.
func eachDeadLetter(ctx context.Context, s replay.DeadLetterStore, org string, fn func(replay.DeadLetter) bool) error {
	before := ""
	for {
		page, err := s.ListDeadLetters(ctx, org, before, replay.MaxDeadLetterPage)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		for _, d := range page {
			if !fn(d) {
				return nil
			}
		}
		before = page[len(page)-1].ID
	}
}

// selectDeadLetters reads the dead letters --id names, or all of them.
// IDs that do not exist are printed and counted.
func selectDeadLetters(ctx context.Context, s replay.DeadLetterStore, org string, f deadLetterFlags, w io.Writer) ([]replay.DeadLetter, int, error) {
	var out []replay.DeadLetter
	if f.all {
		err := eachDeadLetter(ctx, s, org, func(d replay.DeadLetter) bool { out = append(out, d); return true })
		return out, 0, err
	}
	missing := 0
	for _, id := range slices.Compact(slices.Sorted(slices.Values(f.ids))) {
		d, err := s.DeadLetter(ctx, org, id)
		switch {
		case errors.Is(err, replay.ErrInvalid):
			return nil, 0, usageError{fmt.Errorf("--id %s: want a dead letter ID as `sfcdc deadletters list` prints it", quote.Value(id))}
		case errors.Is(err, replay.ErrNotFound):
			fmt.Fprintf(w, "%s: not found (retried or purged already?)\n", id)
			missing++
		case err != nil:
			return nil, 0, err
		default:
			out = append(out, d)
		}
	}
	return out, missing, nil
}

// selection checks that exactly one way of choosing dead letters is given.
func (f deadLetterFlags) selection(withBefore bool) error {
	n := 0
	for _, set := range []bool{len(f.ids) > 0, f.all, f.before != ""} {
		if set {
			n++
		}
	}
	choices := "--id ID (repeatable) or --all"
	if withBefore {
		choices = "--id ID (repeatable), --all or --before RFC3339"
	}
	if n != 1 {
		return usageError{fmt.Errorf("name the dead letters with exactly one of %s", choices)}
	}
	return nil
}

func runDeadLettersPurge(cmd *cobra.Command, f deadLetterFlags) error {
	if err := f.selection(true); err != nil {
		return err
	}
	before, err := parseFlagTime("--before", f.before)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	t, err := openReplayTarget(ctx, f.configPath)
	if err != nil {
		return err
	}
	defer t.store.Close()
	w := cmd.OutOrStdout()
	var chosen []replay.DeadLetter
	missing := 0
	if before.IsZero() {
		if chosen, missing, err = selectDeadLetters(ctx, t.store, t.org, f, w); err != nil {
			return err
		}
	} else {
		err = eachDeadLetter(ctx, t.store, t.org, func(d replay.DeadLetter) bool {
			if d.At.Before(before) {
				chosen = append(chosen, d)
			}
			return true
		})
		if err != nil {
			return err
		}
	}
	purged := 0
	for _, d := range chosen {
		err := t.store.DeleteDeadLetter(ctx, t.org, d.ID)
		switch {
		case errors.Is(err, replay.ErrNotFound):
			fmt.Fprintf(w, "%s: gone already (retried or purged meanwhile)\n", d.ID)
		case err != nil:
			return fmt.Errorf("purged %d dead letters, then: %w", purged, err)
		default:
			purged++
			fmt.Fprintf(w, "%s: purged (%s)\n", d.ID, describeDeadLetter(d))
		}
	}
	fmt.Fprintf(w, "purged %d dead letters of org %s\n", purged, t.org)
	if missing > 0 {
		return fmt.Errorf("%d of the given IDs do not exist; `sfcdc deadletters list` shows the current ones", missing)
	}
	return nil
}

// retryTally counts what a retry did.
type retryTally struct{ done, failed, skipped, missing int }

// retrySession is one `deadletters retry`: the connections, the output,
// and the tally.
type retrySession struct {
	conf       fileConfig
	configPath string
	d          *deps
	log        *slog.Logger
	w          io.Writer
	tally      retryTally
}

func runDeadLettersRetry(cmd *cobra.Command, f deadLetterFlags) error {
	if err := f.selection(false); err != nil {
		return err
	}
	ctx := cmd.Context()
	conf, err := loadConfig(f.configPath)
	if err != nil {
		return err
	}
	log := backfillLogger(cmd.ErrOrStderr(), f.verbose)
	d, err := openDeps(ctx, conf, log)
	if err != nil {
		return err
	}
	defer d.close()
	s := &retrySession{conf: conf, configPath: f.configPath, d: d, log: log, w: cmd.OutOrStdout()}
	chosen, missing, err := selectDeadLetters(ctx, d.store, d.org, f, s.w)
	if err != nil {
		return err
	}
	s.tally.missing = missing
	var records, events []replay.DeadLetter
	for _, dl := range chosen {
		if dl.Object != "" && dl.RecordID != "" {
			records = append(records, dl)
		} else {
			events = append(events, dl)
		}
	}
	// Oldest first: the order the failures happened in.
	slices.Reverse(records)
	slices.Reverse(events)
	if err := s.retryRecords(ctx, records); err != nil {
		return err
	}
	if err := s.retryEvents(ctx, events); err != nil {
		return err
	}
	t := s.tally
	fmt.Fprintf(s.w, "retried %d dead letters of org %s: %d done (deleted), %d failed again (kept), %d skipped, %d not found\n",
		len(chosen), d.org, t.done, t.failed, t.skipped, t.missing)
	var problems []string
	if t.failed > 0 {
		problems = append(problems, fmt.Sprintf("%d failed again (kept with attempts+1 and the new error; fix the cause and retry)", t.failed))
	}
	if t.missing > 0 {
		problems = append(problems, fmt.Sprintf("%d of the given IDs do not exist (`sfcdc deadletters list` shows the current ones)", t.missing))
	}
	if len(problems) > 0 {
		return errors.New("retry incomplete: " + strings.Join(problems, "; "))
	}
	return nil
}

// succeeded deletes the dead letter of a retry that worked.
func (s *retrySession) succeeded(ctx context.Context, dl replay.DeadLetter, what string) error {
	err := s.d.store.DeleteDeadLetter(ctx, s.d.org, dl.ID)
	if err != nil && !errors.Is(err, replay.ErrNotFound) {
		return fmt.Errorf("%s: %s, but deleting the dead letter failed: %w", dl.ID, what, err)
	}
	s.tally.done++
	fmt.Fprintf(s.w, "%s: %s; dead letter deleted\n", dl.ID, what)
	return nil
}

// failed records a retry that did not work: attempts+1 and the new error.
func (s *retrySession) failed(ctx context.Context, dl replay.DeadLetter, cause string) error {
	updated, err := s.d.store.RecordDeadLetterRetry(ctx, s.d.org, dl.ID, cause)
	switch {
	case errors.Is(err, replay.ErrNotFound):
		fmt.Fprintf(s.w, "%s: failed again (%s), and the dead letter is gone meanwhile\n", dl.ID, cause)
	case err != nil:
		return fmt.Errorf("%s: failed again (%s), and recording the attempt failed: %w", dl.ID, cause, err)
	default:
		fmt.Fprintf(s.w, "%s: failed again, attempt %d: %s\n", dl.ID, updated.Attempts, cause)
	}
	s.tally.failed++
	return nil
}

// recordUpload is one mapped record of a retry on its way to CM.
type recordUpload struct {
	dl   replay.DeadLetter
	res  mapper.Result
	gone bool // the record no longer exists: res deletes its comment
}

// retryRecords re-reads the records of record dead letters, one
// Collections retrieve per object (split in 2,000s by the client), maps
// them and uploads the comments in batches.
func (s *retrySession) retryRecords(ctx context.Context, dls []replay.DeadLetter) error {
	byObject := map[string][]replay.DeadLetter{}
	for _, dl := range dls {
		byObject[dl.Object] = append(byObject[dl.Object], dl)
	}
	var uploads []recordUpload
	for _, object := range slices.Sorted(maps.Keys(byObject)) {
		group := byObject[object]
		got, err := s.fetchRecords(ctx, object, group)
		if err != nil && ctx.Err() != nil {
			return fmt.Errorf("interrupted while fetching %s records; the dead letters not yet settled are kept unchanged: %w", object, err)
		}
		if err != nil {
			for _, dl := range group {
				if err := s.failed(ctx, dl, err.Error()); err != nil {
					return err
				}
			}
			continue
		}
		for _, dl := range group {
			rec, exists := got[dl.RecordID]
			res, err := s.d.mapper.Map(mapper.Record{Object: object, ID: dl.RecordID, Fields: rec, Deleted: !exists})
			switch {
			case err != nil:
				if err := s.failed(ctx, dl, "map the record: "+err.Error()); err != nil {
					return err
				}
			case res.Kind == mapper.ResultKeep:
				what := fmt.Sprintf("record %s no longer exists in Salesforce; on_delete is keep, so its comment %s stays in CM; dropped",
					dl.RecordID, res.CommentID)
				if err := s.succeeded(ctx, dl, what); err != nil {
					return err
				}
			default:
				uploads = append(uploads, recordUpload{dl: dl, res: res, gone: !exists})
			}
		}
	}
	return s.upload(ctx, uploads)
}

// fetchRecords retrieves the records of group by ID; absent ones no
// longer exist (or are not readable by the integration user).
func (s *retrySession) fetchRecords(ctx context.Context, object string, group []replay.DeadLetter) (map[string]salesforce.Record, error) {
	fields, err := s.d.mapper.FetchFields(object)
	if err != nil {
		return nil, fmt.Errorf("object %s is not in the configuration's objects: add it to objects: in %s, or purge the dead letter", object, s.configPath)
	}
	var ids []string
	for _, dl := range group {
		ids = append(ids, dl.RecordID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	recs, err := s.d.sf.Retrieve(ctx, object, ids, fields)
	if err != nil {
		return nil, fmt.Errorf("fetch the records over REST: %w", err)
	}
	out := make(map[string]salesforce.Record, len(recs))
	for i, rec := range recs {
		if rec != nil {
			out[ids[i]] = rec
		}
	}
	return out, nil
}

// upload sends the mapped records through one uploader, configured like
// the pipeline's (commsmining:, the org's content hashes), and settles
// each dead letter by its outcome.
func (s *retrySession) upload(ctx context.Context, uploads []recordUpload) error {
	if len(uploads) == 0 {
		return nil
	}
	var mu sync.Mutex
	outcomes := map[string]uploader.Outcome{}
	up, err := uploader.New(s.conf.CommsMining, uploader.Options{
		Hashes: backfill.HashStore{Store: s.d.store, Org: s.d.org},
		Report: func(o uploader.Outcome) {
			mu.Lock()
			outcomes[o.Token.(string)] = o
			mu.Unlock()
		},
		Logger: s.log,
	})
	if err != nil {
		return usageError{err}
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- up.Run(runCtx) }()
	var submitErr error
	for _, u := range uploads {
		if submitErr = up.Submit(ctx, uploader.Item{Result: u.res, Token: u.dl.ID}); submitErr != nil {
			break // the uploader stopped (a fatal CM answer) or ctx ended
		}
	}
	flushErr := up.Flush(ctx)
	stop()
	runErr := <-done
	mu.Lock()
	defer mu.Unlock()
	for _, u := range uploads {
		o, reported := outcomes[u.dl.ID]
		if reported && o.Delivered() {
			if err := s.succeeded(ctx, u.dl, uploadedWhat(u, o)); err != nil {
				return err
			}
			continue
		}
		if ctx.Err() != nil {
			// Interrupted, not failed: the attempt does not count.
			fmt.Fprintf(s.w, "%s: interrupted before CM confirmed it; kept unchanged\n", u.dl.ID)
			continue
		}
		var cause error
		switch {
		case reported && o.Err != nil:
			cause = o.Err
		case runErr != nil:
			cause = runErr
		default:
			cause = firstErr(submitErr, flushErr, uploader.ErrStopped)
		}
		if errors.Is(cause, uploader.ErrStopped) && runErr != nil {
			cause = runErr // the fatal answer explains the stop better
		}
		if err := s.failed(ctx, u.dl, cause.Error()); err != nil {
			return err
		}
	}
	return nil
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func uploadedWhat(u recordUpload, o uploader.Outcome) string {
	if u.gone {
		return fmt.Sprintf("record %s no longer exists in Salesforce: deleted its comment %s in CM (on_delete is delete)",
			u.dl.RecordID, u.res.CommentID)
	}
	return fmt.Sprintf("record %s re-read and its comment %s is in CM (%s)", u.dl.RecordID, u.res.CommentID, o.Action)
}

// retryEvents re-reads, for each event dead letter (no record ID: its
// payload could not be decoded or its records fetched), the records of
// its objects changed within retryWindowHalf of its commit time. The
// stream cannot serve one event by replay ID, and Salesforce keeps no way
// to look an event up; a REST window over SystemModstamp re-delivers
// every change it could have carried.
func (s *retrySession) retryEvents(ctx context.Context, dls []replay.DeadLetter) error {
	var fill *backfill.Backfill
	for _, dl := range dls {
		objects := s.eventObjects(dl)
		if len(objects) == 0 {
			cause := fmt.Sprintf("neither topic %q nor object %q is in the configuration's objects: add it to objects: in %s, or purge the dead letter",
				dl.Topic, dl.Object, s.configPath)
			if err := s.failed(ctx, dl, cause); err != nil {
				return err
			}
			continue
		}
		if dl.EventTime.IsZero() {
			s.tally.skipped++
			since := dl.At.Add(-time.Hour).UTC().Format(time.RFC3339)
			fmt.Fprintf(s.w, "%s: skipped: no event time was recorded, so there is no window to re-read; run "+
				"`sfcdc backfill --config %s --object %s --since T` with T before the change (it was dead-lettered at %s; e.g. --since %s), "+
				"then `sfcdc deadletters purge --id %s`\n",
				dl.ID, s.configPath, strings.Join(objects, ","), dl.At.UTC().Format(time.RFC3339), since, dl.ID)
			continue
		}
		if fill == nil {
			var err error
			if fill, err = s.d.engine.Backfill(ctx, nil); err != nil {
				return asUsage(err)
			}
		}
		req := backfill.Request{Objects: objects, Since: dl.EventTime.Add(-retryWindowHalf), Until: dl.EventTime.Add(retryWindowHalf)}
		sum, err := fill.Run(ctx, req)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s: interrupted during its backfill window; the dead letter is kept: %w", dl.ID, err)
			}
			if err := s.failed(ctx, dl, "backfill window: "+err.Error()); err != nil {
				return err
			}
			continue
		}
		c := sum.Counts
		what := fmt.Sprintf("re-read %s changed %s..%s over REST: %d created, %d updated, %d unchanged, %d deleted, %d dead-lettered",
			strings.Join(objects, ","), req.Since.UTC().Format(time.RFC3339), req.Until.UTC().Format(time.RFC3339),
			c.Created, c.TextUpdated+c.MetadataUpdated, c.Unchanged, c.Deleted, c.DeadLettered)
		if err := s.succeeded(ctx, dl, what); err != nil {
			return err
		}
	}
	return nil
}

// eventObjects are the configured objects an event dead letter concerns:
// its object, or those streamed on its topic.
func (s *retrySession) eventObjects(dl replay.DeadLetter) []string {
	var out []string
	for _, om := range s.d.mapper.Objects() {
		if (dl.Object != "" && om.Object == dl.Object) || (dl.Object == "" && dl.Topic != "" && om.Topic == dl.Topic) {
			out = append(out, om.Object)
		}
	}
	return out
}
