package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/figures"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/replay"
)

// Daemon runs a whole deployment: one topic supervisor per Pub/Sub topic
// of the mapped objects (objects sharing a topic share its worker), and
// one REST polling backfill for the objects without change events.
type Daemon struct {
	cfg     DaemonConfig
	opts    Options
	fill    *backfill.Backfill
	log     *slog.Logger
	topics  map[string][]string // topic → its objects, in mapping order
	polling []string
	// stats holds each topic's state and counters for as long as the
	// Daemon lives; the map itself is fixed by NewDaemon.
	stats map[string]*topicStats
	// daily gathers every topic's sent comments of the day for the store.
	daily *dailyTally
}

// NewDaemon checks the configuration. opts are the collaborators every
// worker shares; fill runs initial loads, recoveries and polling.
func NewDaemon(cfg DaemonConfig, opts Options, fill *backfill.Backfill) (*Daemon, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configure daemon: %w", err)
	}
	if opts.Mapper == nil || fill == nil {
		return nil, errors.New("configure daemon: a mapper and a backfill are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Renewer == nil {
		opts.Renewer = &replay.Renewer{} // every topic's lease in one round trip
	}
	d := &Daemon{cfg: cfg.withDefaults(), opts: opts, fill: fill, log: opts.Logger, topics: map[string][]string{},
		stats: map[string]*topicStats{}}
	if d.opts.Statuses == nil {
		d.opts.Statuses = &replay.StatusBatcher{Interval: d.cfg.StatusInterval} // every topic's document in one round trip
	}
	if err := d.planObjects(); err != nil {
		return nil, err
	}
	d.daily = newDailyTally(opts.Store, d.cfg.Org, opts.Now, d.log)
	for topic, objects := range d.topics {
		d.stats[topic] = newTopicStats(topic, objects, d.log, opts.Incidents)
		d.stats[topic].onState = opts.StateChanged
		d.stats[topic].daily = d.daily
	}
	return d, nil
}

// planObjects splits the mapped objects into streamed topics and polled
// objects.
func (d *Daemon) planObjects() error {
	mapped := map[string]bool{}
	for _, om := range d.opts.Mapper.Objects() {
		mapped[om.Object] = true
		if slices.Contains(d.cfg.PollingObjects, om.Object) {
			d.polling = append(d.polling, om.Object)
			continue
		}
		topic := om.Topic
		if topic == "" {
			topic = mapper.DefaultTopic(om.Object)
		}
		d.topics[topic] = append(d.topics[topic], om.Object)
	}
	for _, name := range d.cfg.PollingObjects {
		if !mapped[name] {
			return fmt.Errorf("configure daemon: polling object %s has no mapping under objects", name)
		}
	}
	if d.cfg.Topics != nil {
		for topic := range d.topics {
			if !slices.Contains(d.cfg.Topics, topic) {
				delete(d.topics, topic)
			}
		}
	}
	if d.cfg.SkipPolling {
		d.polling = nil
	}
	return nil
}

// Topics returns the streamed topics and their objects.
func (d *Daemon) Topics() map[string][]string { return d.topics }

// Snapshot returns every streamed topic's figures, in topic
// order. It is safe to call at any time, from any goroutine, also before
// and after Run; it costs no I/O.
func (d *Daemon) Snapshot() []figures.Topic {
	now := time.Now()
	out := make([]figures.Topic, 0, len(d.stats))
	for _, ts := range d.stats {
		out = append(out, ts.snapshot(now))
	}
	slices.SortFunc(out, func(a, b figures.Topic) int { return strings.Compare(a.Topic, b.Topic) })
	return out
}

// Run works until ctx ends (then every worker drains and it returns nil)
// or a topic stops for good (then the others are stopped and drained, and
// that error is returned). Every goroutine it starts has ended when it
// returns.
func (d *Daemon) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		fatal error
	)
	stopAll := func(err error) {
		if err != nil {
			once.Do(func() { fatal = err })
			cancel()
		}
	}
	for topic, objects := range d.topics {
		wg.Go(func() { stopAll(d.superviseTopic(ctx, topic, objects)) })
	}
	if len(d.polling) > 0 {
		wg.Go(func() { d.poll(ctx) })
	}
	stopSummaries := d.summarize()
	defer stopSummaries()
	stopDaily := d.daily.start(ctx, d.cfg.DailyInterval)
	if d.opts.DeadLetters != nil {
		wg.Go(func() {
			if err := d.opts.DeadLetters.Run(ctx); err != nil {
				d.log.Error("dead-letter retrier stopped; dead letters are retried only by `sfcdc deadletters retry`", "err", err)
			}
		})
	}
	wg.Wait()
	stopDaily()
	// Every worker has stopped: what they sent since the last flush.
	d.daily.flush(context.WithoutCancel(ctx))
	return fatal
}

// poll runs the polling objects as a following backfill. Following stops
// at the API budget or when a call keeps failing; it is started again
// after RetryInterval, resuming at its watermark.
func (d *Daemon) poll(ctx context.Context) {
	for {
		_, err := d.fill.Run(ctx, backfill.Request{Objects: d.polling, Follow: true})
		if ctx.Err() != nil {
			return
		}
		wait := d.cfg.RetryInterval
		var budget *backfill.BudgetError
		if errors.As(err, &budget) {
			// Each try costs a call: wait for the budget, as the topics do.
			wait = min(d.cfg.BudgetRetry, max(time.Until(budget.ResumeAfter), 0))
		}
		d.log.Warn("polling backfill stopped; starting it again", "objects", d.polling, "err", err, "after", wait)
		if sleep(ctx, wait) != nil {
			return
		}
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
