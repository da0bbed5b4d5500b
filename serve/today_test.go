package serve_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/console"
	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sealed"
	"github.com/sfcdc/sfcdc/serve"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simworld"
	"github.com/sfcdc/sfcdc/uploader"
)

// "Comments today" on the console is the integration's own count of the
// comments CM accepted during the current UTC day, kept in its scope of
// the store: it survives a restart of the workers and a takeover (another
// instance adds to what the first one counted), two integrations of one org count apart,
// and midnight (UTC, on the injected clock) starts a new count while the
// day before keeps its own.
func TestCommentsTodaySurviveARestartCountApartAndStartAgainAtMidnight(t *testing.T) {
	t.Parallel()
	w := simworld.New(t, simworld.Options{Seed: 31, Project: "acme", Source: "cases", Store: simworld.Redis,
		CM: func(o *commsmining.Options) { o.Sources = []string{"acme/cases", "acme/emails"} }})
	keys, err := sealed.ParseKeys("k:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, sealed.KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	spec := func(name, source, object string) integration.Spec {
		return integration.Spec{
			Name: name,
			Salesforce: integration.Salesforce{PubSubEndpoint: w.Sim.PubSub.Addr(), Insecure: true,
				AccessToken: w.Sim.AccessToken, InstanceURL: w.Sim.InstanceURL, TenantID: w.Sim.Org.ID()},
			CommsMining: uploader.Config{BaseURL: w.CM.URL(), Token: uploader.Secret(w.CM.Token()), Project: "acme", Source: source,
				Linger: 10 * time.Millisecond},
			Objects: []mapper.ObjectMapping{{Object: object}},
			Run:     integration.Run{Start: "earliest", FlushInterval: 50 * time.Millisecond, ShutdownGrace: 10 * time.Second},
		}
	}
	reg := registry.New(w.Store, keys)
	if _, err := reg.Apply(t.Context(), []integration.Spec{spec("acme/cases", "cases", "Case"), spec("acme/emails", "emails", "EmailMessage")}); err != nil {
		t.Fatal(err)
	}
	day1 := time.Date(2026, 12, 7, 23, 30, 0, 0, time.UTC)
	var clock atomic.Pointer[time.Time]
	clock.Store(&day1)
	now := func() time.Time { return *clock.Load() }

	listen := freeAddr(t)
	start := func(instance string) (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- serve.Serve(ctx, serve.Settings{Instance: instance, LeaseTTL: 2 * time.Second, PollInterval: 50 * time.Millisecond, Listen: listen},
				serve.Deps{Store: w.Store, Keys: keys, Now: now, DailyInterval: 100 * time.Millisecond})
		}()
		var once atomic.Bool
		stop = func() {
			if once.CompareAndSwap(false, true) {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("Serve: %v", err)
				}
			}
		}
		t.Cleanup(stop)
		return stop
	}
	today := func() map[string]console.Integration {
		resp, err := http.Get("http://" + listen + "/api/v1/integrations")
		if err != nil {
			return nil // not listening yet, or between the two instances
		}
		defer resp.Body.Close()
		var got struct {
			Integrations []console.Integration `json:"integrations"`
		}
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&got) != nil {
			return nil
		}
		out := map[string]console.Integration{}
		for _, in := range got.Integrations {
			out[in.Name] = in
		}
		return out
	}
	counts := func(cases, emails int64) func() bool {
		return func() bool {
			got := today()
			return got["acme/cases"].CommentsToday == cases && got["acme/cases"].BillableToday == cases &&
				got["acme/emails"].CommentsToday == emails && got["acme/emails"].BillableToday == emails
		}
	}
	newCase := func(subject string) string {
		t.Helper()
		id, err := w.Sim.Org.Create("Case", sfsim.Values{"Subject": subject, "Status": "New", "Origin": "Email"})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	inCM := func(source, object string, ids ...string) func() bool {
		return func() bool {
			for _, id := range ids {
				if _, ok := w.CM.Comment("acme", source, mapper.CommentID(object, id)); !ok {
					return false
				}
			}
			return true
		}
	}

	stop := start("first")
	first, second := newCase("Printer on fire"), newCase("Printer still on fire")
	email, err := w.Sim.Org.Create("EmailMessage", sfsim.Values{"ParentId": first, "Subject": "Re: printer", "TextBody": "Smoke now."})
	if err != nil {
		t.Fatal(err)
	}
	simworld.Eventually(t, "the cases and the email in CM", func() bool {
		return inCM("cases", "Case", first, second)() && inCM("emails", "EmailMessage", email)()
	})
	simworld.Eventually(t, "2 comments today for the cases, 1 for the emails", counts(2, 1))

	// A restart: the workers stop, another instance takes the
	// integrations over and adds to the day's counts.
	stop()
	start("second")
	third := newCase("The printer again")
	simworld.Eventually(t, "the third case in CM", inCM("cases", "Case", third))
	simworld.Eventually(t, "3 comments today for the cases after the restart, still 1 for the emails", counts(3, 1))

	// Midnight UTC: a new day, a new count; the day before keeps its own.
	day2 := day1.Add(time.Hour)
	clock.Store(&day2)
	simworld.Eventually(t, "no comment yet on the new day", counts(0, 0))
	fourth := newCase("A new day, a new printer")
	simworld.Eventually(t, "the fourth case in CM", inCM("cases", "Case", fourth))
	simworld.Eventually(t, "1 comment on the new day", counts(1, 0))
	scoped := replay.NewScoped(w.Store, "acme/cases")
	if before, err := scoped.Daily(t.Context(), w.Sim.Org.ID(), day1); err != nil || before.Comments != 3 {
		t.Fatalf("the cases' counts of the day before: %+v, %v; want 3 comments", before, err)
	}
}
