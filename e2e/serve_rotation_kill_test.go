package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/clitest"
	"github.com/sfcdc/sfcdc/custody"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/notify"
	"github.com/sfcdc/sfcdc/onboard"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sealed"
	"github.com/sfcdc/sfcdc/serve"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simrun"
)

// The acceptance runs 20 integrations for 5 minutes with a kill
// every 10–20 s (`go test ./cmd/sfcdc -run RotatingGrantsSurviveSIGKILL
// -rotation-kill-integrations 20 -rotation-kill-for 5m -timeout 20m`);
// the suite's default keeps it to seconds with two or three kills.
var (
	rotationKillIntegrations = flag.Int("rotation-kill-integrations", 4, "hosted integrations (one simulated org each) in TestRotatingGrantsSurviveSIGKILL…")
	rotationKillFor          = flag.Duration("rotation-kill-for", 8*time.Second, "how long TestRotatingGrantsSurviveSIGKILL… serves traffic and kills instances")
	rotationKillAimed        = flag.Int("rotation-kill-aimed", 0, "how many of TestRotatingGrantsSurviveSIGKILL…'s kills aim at a refresh in flight (the store's marker) instead of a random moment")
)

// killedInstance is one SIGKILL: when, whom, and the refreshes the store
// showed in flight by that instance right after it died (integration →
// the marker's time).
type killedInstance struct {
	at        time.Time
	victim    string
	inRefresh map[string]time.Time
}

// A `sfcdc sim` process of N orgs whose connected apps rotate refresh
// tokens and whose sessions die after 2 s without a call, three `sfcdc
// serve` processes on one Redis serving N hosted integrations, each
// authorised through the instances' onboarding pages (behind a front, as
// a load balancer) and the simulated login page's Allow; cases created in
// every org throughout; one instance SIGKILLed at random moments (the
// first -rotation-kill-aimed kills aimed at a refresh in flight instead)
// and replaced by a new one. A kill that did not land inside a refresh (no
// marker by the victim in the store right after it died) costs no grant:
// at the end no grant was revoked and none needs re-authorisation unless
// a kill landed inside its refresh, and such a loss is visible (the
// grant's reason, the overview and the webhook name the cut-off refresh's
// instance and time) and touches no other integration; once authorised
// again it streams. Every case created reaches its own CM source; no
// secret is in any instance's output. The refreshes' unstored windows
// (from the logs) and the chance a random kill lands in one are logged.
func TestRotatingGrantsSurviveSIGKILLedInstances(t *testing.T) {
	t.Parallel()
	n, runFor := *rotationKillIntegrations, *rotationKillFor
	prefix := redisKeyPrefix(t)
	front := newInstanceFront(t)
	simStarted := time.Now()
	b := startSimProcess(t, "--insecure", "--orgs", fmt.Sprint(n), "--rate", "0", "--seed", "900", "--keepalive", "500ms",
		"--rotate-refresh-tokens", "--token-idle-timeout", "2s", "--fault-token-ttl", "2s", "--callback-url", front.url+onboard.CallbackPath)
	key, err := sealed.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := sealed.ParseKeys(key)
	if err != nil {
		t.Fatal(err)
	}
	hook := newNotifyHook(t)
	const webhookSecret = "CANARY-kill-webhook-secret-5e1d"
	env := append(os.Environ(), "SFCDC_SECRET_KEY="+key, "CM_TOKEN="+b.CommsMiningToken,
		"WEBHOOK_URL="+hook.URL+"/hooks/sfcdc", "WEBHOOK_SECRET="+webhookSecret)
	secrets := map[string]string{"secret key": key, "CM token": b.CommsMiningToken, "webhook secret": webhookSecret}

	var hosts []string
	for _, org := range b.Orgs {
		u, _ := url.Parse(org.InstanceURL)
		hosts = append(hosts, fmt.Sprintf("%q", u.Host))
	}
	var specs strings.Builder
	names := make([]string, n)
	for i, org := range b.Orgs {
		source := fmt.Sprintf("org-%02d", i)
		names[i] = "acme/" + source
		createCMSource(t, b.CommsMiningURL, b.CommsMiningToken, "acme", source)
		env = append(env, fmt.Sprintf("CLIENT_SECRET_%02d=%s", i, org.ClientSecret))
		secrets["client secret of "+source] = org.ClientSecret
		fmt.Fprintf(&specs, `- name: acme/%[1]s
  salesforce:
    pubsub_endpoint: %[2]q
    insecure: true
    auth: {flow: web_server, login_url: %[3]q, client_id: %[4]q, client_secret: "${CLIENT_SECRET_%02[5]d}", trusted_hosts: [%[6]s]}
  commsmining: {base_url: %[7]q, token: "${CM_TOKEN}", project: acme, source: %[1]s, linger: 10ms}
  objects: [{object: Case}, {object: EmailMessage}, {object: Task}]
  run: {start: earliest, flush_interval: 50ms, lease_ttl: 2s, shutdown_grace: 5s}
`, source, b.PubSubAddr, b.LoginURL, org.ClientID, i, strings.Join(hosts, ", "), b.CommsMiningURL)
	}
	conf := writeFile(t, "serve.yaml", fmt.Sprintf(`store:
  redis_url: redis://%s/0
  key_prefix: %q
instance: ${INSTANCE}
listen: ${LISTEN}
public_url: %s
webhook_url: ${WEBHOOK_URL}
webhook_secret: ${WEBHOOK_SECRET}
lease_ttl: 2s
poll_interval: 100ms
`, testRedisAddr(), prefix, front.url))
	if r := runSfcdc(t, env, "integrations", "apply", "--offline", "-f", writeFile(t, "orgs.yaml", specs.String()), "--config", conf); r.code != 0 {
		t.Fatalf("apply: exit %d:\n%s", r.code, r.output())
	}
	store, err := replay.Open(t.Context(), replay.Config{RedisURL: "redis://" + testRedisAddr() + "/0", KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	vault, reg := custody.NewVault(store, keys), registry.New(store, keys)

	fleet := &serveFleet{t: t, env: env, conf: conf, front: front}
	for range 3 {
		fleet.start()
	}
	for _, name := range names {
		authorise(t, front.url+"/integrations/"+name+"/oauth2/authenticate")
	}
	allStreaming := func() bool {
		views, err := serve.ReadOverview(t.Context(), reg, store)
		if err != nil || len(views) != n {
			return false
		}
		for _, v := range views {
			if v.State != serve.StateStreaming {
				return false
			}
		}
		return true
	}
	// Traffic and kills start at once: the integrations start streaming
	// meanwhile (and the end waits for every one streaming).
	t.Logf("%d integrations authorised through the onboarding pages of 3 instances %s after the simulator started",
		n, time.Since(simStarted).Round(100*time.Millisecond))

	traffic := startCaseTraffic(t, b)
	began := time.Now()
	kills := fleet.kill(vault, names, runFor, *rotationKillAimed)
	traffic.stop()
	ran := time.Since(began)

	// Every grant either good, or lost to a kill inside its refresh.
	inRefresh := map[string][]killedInstance{}
	for _, k := range kills {
		for name := range k.inRefresh {
			inRefresh[name] = append(inRefresh[name], k)
		}
	}
	lost := map[string]custody.Grant{}
	var counts sfsim.OAuthCounts
	// Settled: every integration streaming or, its grant lost in a refresh
	// cut off, needing re-authorisation, and as many grants revoked as lost.
	settled := awaitOr(2*time.Minute, func() bool {
		if counts = simOAuthCounts(t, b); counts.GrantsRevoked != counts.ReplayRevocations {
			return false
		}
		clear(lost)
		for _, name := range names {
			g, err := vault.Load(t.Context(), name)
			if err != nil {
				return false
			}
			if g.NeedsReauth != "" {
				lost[name] = g
			}
		}
		views, err := serve.ReadOverview(t.Context(), reg, store)
		if err != nil || counts.GrantsRevoked != len(lost) {
			return false
		}
		for _, v := range views {
			_, gone := lost[v.Name]
			if !(v.State == serve.StateStreaming || gone && v.State == serve.StateNeedsReauth) {
				return false
			}
		}
		return true
	})
	for name, g := range lost {
		cut := slices.IndexFunc(inRefresh[name], func(k killedInstance) bool {
			return strings.Contains(g.NeedsReauth, fmt.Sprintf("%q", k.victim)) &&
				strings.Contains(g.NeedsReauth, k.inRefresh[name].UTC().Format(time.RFC3339Nano))
		})
		if len(inRefresh[name]) == 0 {
			t.Fatalf("%s needs re-authorisation (%s), but no kill landed inside one of its refreshes: a kill outside a refresh cost a grant; the instances' warnings about it:\n%s",
				name, g.NeedsReauth, fleet.warningsAbout(name))
		}
		if cut < 0 {
			t.Fatalf("%s's reason %q does not name the cut-off refresh (its instance and time) of any kill inside its refreshes: %v", name, g.NeedsReauth, inRefresh[name])
		}
		k := inRefresh[name][cut]
		since := k.inRefresh[name].UTC().Format(time.RFC3339Nano)
		awaitFor(t, "the needs_reauth notification of "+name, time.Minute, func() bool {
			return slices.ContainsFunc(hook.received(), func(e notify.Event) bool {
				return e.Integration == name && e.State == serve.StateNeedsReauth && strings.Contains(e.Reason, since) && strings.Contains(e.Reason, k.victim)
			})
		})
		t.Logf("%s lost its grant to the kill of %s inside its refresh of %s; the reason says: %s", name, k.victim, since, g.NeedsReauth)
	}
	for _, e := range hook.received() {
		if _, ok := lost[e.Integration]; !ok {
			t.Errorf("a notification about %s, whose grant was not lost: %+v", e.Integration, e)
		}
	}
	if !settled || counts.GrantsRevoked != len(lost) || counts.ReplayRevocations != len(lost) {
		t.Fatalf("OAuth counts %+v: %d grants revoked (%d by a replayed token), but only %d lost in a cut-off refresh", counts,
			counts.GrantsRevoked, counts.ReplayRevocations, len(lost))
	}
	if counts.Refreshes < n {
		t.Fatalf("%d refreshes for %d integrations whose sessions die after 2 s idle: the test did not exercise the refresh", counts.Refreshes, n)
	}
	// A lost grant authorised again streams; then every case reaches CM.
	for name := range lost {
		authorise(t, front.url+"/integrations/"+name+"/oauth2/authenticate")
	}
	awaitFor(t, "every integration streaming at the end", 2*time.Minute, allStreaming)
	delivered := traffic.awaitDelivered(t, b)

	// No secret in any instance's output, the grants' last tokens among them.
	for _, name := range names {
		g, err := vault.Load(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		secrets["refresh token of "+name], secrets["access token of "+name] = g.RefreshToken.Reveal(), g.AccessToken.Reveal()
	}
	logs := fleet.outputs()
	for what, secret := range secrets {
		for inst, out := range logs {
			if secret != "" && strings.Contains(out, secret) {
				t.Errorf("the %s is in the output of instance %s", what, inst)
			}
		}
	}

	windows := refreshWindows(t, logs)
	inside := 0
	for _, k := range kills {
		if len(k.inRefresh) > 0 {
			inside++
		}
	}
	t.Logf("%d integrations on 3 instances for %s, %d SIGKILLs (%d inside a refresh, %d grants lost): %d refreshes (%d rotations, %d refused in flight), %d grants revoked, %d cases delivered",
		n, ran.Round(time.Second), len(kills), inside, len(lost), counts.Refreshes, counts.Rotations, counts.InFlightRefusals, counts.GrantsRevoked, delivered)
	t.Logf("refresh windows logged by the instances (%d): %s", len(windows.send), windows)
	if inst := fleet.instanceTime(); inst > 0 {
		t.Logf("a uniformly random SIGKILL lands inside one of the victim's refreshes (sent → stored) with a chance of about %.2g (%s of windows over %s of instance time), inside the answer → stored part with %.2g",
			float64(windows.sum(windows.send))/float64(inst), windows.sum(windows.send).Round(time.Microsecond), inst.Round(time.Second),
			float64(windows.sum(windows.answer))/float64(inst))
	}
}

// instanceFront is the deployment's public URL: a reverse proxy to a live
// instance's listener, as a load balancer would be.
type instanceFront struct {
	url  string
	mu   sync.Mutex
	live []string // listen addresses
}

func newInstanceFront(t *testing.T) *instanceFront {
	f := &instanceFront{}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		f.mu.Lock()
		target := f.live[rand.IntN(len(f.live))]
		f.mu.Unlock()
		r.SetURL(&url.URL{Scheme: "http", Host: target})
	}}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *instanceFront) set(add, remove string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.live = slices.DeleteFunc(f.live, func(a string) bool { return a == remove })
	if add != "" {
		f.live = append(f.live, add)
	}
}

// serveFleet is the `sfcdc serve` processes: three live at a time, each
// killed one replaced by a new instance of a new name.
type serveFleet struct {
	t     *testing.T
	env   []string
	conf  string
	front *instanceFront

	mu      sync.Mutex
	all     []*serveProcess
	started int
}

type serveProcess struct {
	name, listen string
	cmd          *exec.Cmd
	out          *syncBuffer
	began, ended time.Time
}

// start starts a new instance and waits until its listener answers.
func (f *serveFleet) start() *serveProcess {
	t := f.t
	f.mu.Lock()
	f.started++
	p := &serveProcess{name: fmt.Sprintf("s%d", f.started), listen: freeLoopbackAddr(t), out: &syncBuffer{}}
	f.mu.Unlock()
	p.cmd = exec.Command(sfcdcBinary, "serve", "--config", f.conf, "--log-format", "json")
	p.cmd.Env = append(slices.Clone(f.env), "INSTANCE="+p.name, "LISTEN="+p.listen)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.began = time.Now()
	interruptAtCleanup(t, p.cmd)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s:\n%s", p.name, lastBytes(p.out.String(), 3000))
		}
	})
	awaitFor(t, p.name+"'s listener", time.Minute, func() bool {
		resp, err := http.Get("http://" + p.listen + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})
	f.mu.Lock()
	f.all = append(f.all, p)
	f.mu.Unlock()
	f.front.set(p.listen, "")
	return p
}

// kill SIGKILLs a live instance every lo..2lo (lo a fifth of the run,
// between 2 s and 10 s) until runFor has passed, reads the grants right
// after each death for refreshes it left in flight, and starts a
// replacement. The victim is a random instance at a random moment, except
// for the first aimed kills: those poll the store for a refresh marker
// and kill its instance at once (a kill inside a refresh, which random
// moments hit a few times in ten thousand), or a random one if none shows
// within lo.
func (f *serveFleet) kill(vault *custody.Vault, names []string, runFor time.Duration, aimed int) []killedInstance {
	t := f.t
	lo := min(max(runFor/5, 2*time.Second), 10*time.Second)
	end := time.Now().Add(runFor)
	var kills []killedInstance
	for {
		wait := lo + rand.N(lo)
		if time.Now().Add(wait).After(end) {
			time.Sleep(time.Until(end))
			return kills
		}
		time.Sleep(wait)
		f.mu.Lock()
		live := map[string]*serveProcess{}
		var victim *serveProcess
		for _, p := range f.all {
			if p.ended.IsZero() {
				live[p.name] = p
			}
		}
		f.mu.Unlock()
		for _, p := range live {
			victim = p // map order: a random one
			break
		}
		aim := len(kills) < aimed
		if aim {
			victim = f.inRefresh(vault, names, live, time.Now().Add(lo), victim)
		}
		if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = victim.cmd.Wait() // dead: nothing it had in flight gets stored any more
		k := killedInstance{at: time.Now(), victim: victim.name, inRefresh: map[string]time.Time{}}
		f.mu.Lock()
		victim.ended = k.at
		f.mu.Unlock()
		f.front.set("", victim.listen)
		for _, name := range names {
			g, err := vault.Load(t.Context(), name)
			if err != nil {
				t.Fatal(err)
			}
			if g.RefreshingBy == victim.name && !g.RefreshingSince.IsZero() {
				k.inRefresh[name] = g.RefreshingSince
			}
		}
		kills = append(kills, k)
		t.Logf("SIGKILLed %s (aimed at a refresh: %t) at %s, %s after it started; refreshes it left in flight: %v", victim.name, aim,
			k.at.UTC().Format(time.RFC3339Nano), k.at.Sub(victim.began).Round(time.Millisecond), k.inRefresh)
		f.start()
	}
}

// inRefresh polls the grants until one holds a fresh refresh marker by a
// live instance, and returns that instance; fallback after until.
func (f *serveFleet) inRefresh(vault *custody.Vault, names []string, live map[string]*serveProcess, until time.Time, fallback *serveProcess) *serveProcess {
	for time.Now().Before(until) {
		for _, name := range names {
			g, err := vault.Load(f.t.Context(), name)
			if err != nil {
				f.t.Fatal(err)
			}
			if p, ok := live[g.RefreshingBy]; ok && time.Since(g.RefreshingSince) < time.Second {
				return p
			}
		}
	}
	return fallback
}

// outputs is every instance's output, by instance.
func (f *serveFleet) outputs() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for _, p := range f.all {
		out[p.name] = p.out.String()
	}
	return out
}

// warningsAbout is every instance's warnings and errors naming the
// integration, for a failure's message.
func (f *serveFleet) warningsAbout(name string) string {
	var out strings.Builder
	for inst, text := range f.outputs() {
		for line := range strings.Lines(text) {
			if strings.Contains(line, `"integration":"`+name+`"`) && !strings.Contains(line, `"level":"INFO"`) {
				out.WriteString(inst + ": " + line)
			}
		}
	}
	return out.String()
}

// instanceTime is the instances' lifetimes added up (the live ones to now).
func (f *serveFleet) instanceTime() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var sum time.Duration
	for _, p := range f.all {
		end := p.ended
		if end.IsZero() {
			end = time.Now()
		}
		sum += end.Sub(p.began)
	}
	return sum
}

// freeLoopbackAddr is a loopback address with a port free right now.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// authorise opens an integration's authenticate link as its admin would:
// the onboarding page redirects to the simulated login page, whose Allow
// form leads back through the callback to the "set up" page.
func authorise(t *testing.T, link string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Jar: jar, Timeout: 30 * time.Second}
	login := clitest.Browse(t, c, link)
	if login.Status != http.StatusOK || !strings.Contains(login.Body, `value="allow"`) {
		t.Fatalf("%s led to %s (%d), not the login page:\n%s", link, login.URL, login.Status, login.Body)
	}
	done := clitest.SubmitForm(t, c, login, "allow")
	if done.Status != http.StatusOK || !strings.Contains(done.Body, "The integration is set up") {
		t.Fatalf("Allow landed on %s (%d):\n%s", done.URL, done.Status, done.Body)
	}
}

// createCMSource creates a source in the simulated CM through its API.
func createCMSource(t *testing.T, base, token, project, source string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, base+"/api/v1/sources/"+project+"/"+source, strings.NewReader(`{"source":{}}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("create CM source %s/%s: %d", project, source, resp.StatusCode)
	}
}

// simOAuthCounts reads what the simulated connected apps did.
func simOAuthCounts(t *testing.T, b simBanner) sfsim.OAuthCounts {
	t.Helper()
	resp, err := http.Get(b.CommsMiningURL + "/_sim/oauth")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c sfsim.OAuthCounts
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// notifyHook is the deployment's webhook: it keeps every event.
type notifyHook struct {
	*httptest.Server
	mu     sync.Mutex
	events []notify.Event
}

func newNotifyHook(t *testing.T) *notifyHook {
	h := &notifyHook{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e notify.Event
		if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.events = append(h.events, e)
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *notifyHook) received() []notify.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.events)
}

// caseTraffic creates a case in every org twice a second through the
// org's REST API, with a session of the org's client credentials (the
// test's own, apart from the integrations' grants), until stop.
type caseTraffic struct {
	cancel  context.CancelFunc
	done    chan struct{}
	mu      sync.Mutex
	created map[string][]string // CM source → case IDs
	err     error
}

func startCaseTraffic(t *testing.T, b simBanner) *caseTraffic {
	ctx, cancel := context.WithCancel(context.Background())
	c := &caseTraffic{cancel: cancel, done: make(chan struct{}), created: map[string][]string{}}
	tokens := make([]string, len(b.Orgs))
	go func() {
		defer close(c.done)
		for k := 0; ctx.Err() == nil; k++ {
			for i, org := range b.Orgs {
				id, err := createCase(b, org, &tokens[i], fmt.Sprintf("org %d case %d", i, k))
				c.mu.Lock()
				if err != nil && c.err == nil {
					c.err = err
				} else if err == nil {
					c.created[fmt.Sprintf("org-%02d", i)] = append(c.created[fmt.Sprintf("org-%02d", i)], id)
				}
				c.mu.Unlock()
			}
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(c.stop)
	return c
}

func (c *caseTraffic) stop() { c.cancel(); <-c.done }

// awaitDelivered waits until every case created is a comment of its own
// CM source, and returns how many.
func (c *caseTraffic) awaitDelivered(t *testing.T, b simBanner) int {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		t.Fatalf("creating cases: %v", c.err)
	}
	total := 0
	for source, ids := range c.created {
		sb := b
		sb.CommsMiningProject, sb.CommsMiningSource = "acme", source
		awaitFor(t, "every case of "+source+" in CM", 2*time.Minute, func() bool {
			got := cmCommentIDs(t, sb)
			for _, id := range ids {
				if !got[mapper.CommentID("Case", id)] {
					return false
				}
			}
			return true
		})
		total += len(ids)
	}
	return total
}

// createCase creates a case in org; *token is the session (client
// credentials), renewed when the org refuses it.
func createCase(b simBanner, org simrun.OrgBanner, token *string, subject string) (string, error) {
	for attempt := 0; ; attempt++ {
		if *token == "" {
			tok, err := clientCredentials(b.LoginURL, org)
			if err != nil {
				return "", err
			}
			*token = tok
		}
		body, _ := json.Marshal(map[string]string{"Subject": subject, "Status": "New", "Origin": "Email"})
		req, _ := http.NewRequest(http.MethodPost, org.InstanceURL+"/services/data/v62.0/sobjects/Case/", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+*token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		var out struct {
			ID string `json:"id"`
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusUnauthorized && attempt == 0:
			*token = "" // idle past the session timeout: a new session
		case resp.StatusCode != http.StatusCreated || err != nil || out.ID == "":
			return "", fmt.Errorf("create a case in %s: %d %v", org.TenantID, resp.StatusCode, err)
		default:
			return out.ID, nil
		}
	}
}

// clientCredentials is a session of org's connected app by the client
// credentials flow.
func clientCredentials(loginURL string, org simrun.OrgBanner) (string, error) {
	resp, err := http.PostForm(loginURL+"/services/oauth2/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {org.ClientID}, "client_secret": {org.ClientSecret}})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok struct {
		Access string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.Access == "" {
		return "", fmt.Errorf("client credentials of %s: %d %v", org.TenantID, resp.StatusCode, err)
	}
	return tok.Access, nil
}

// refreshTimes are the instances' "stored the refreshed grant" lines:
// how long each refresh's result went unstored after the request was
// sent, and after its answer arrived.
type refreshTimes struct{ send, answer []time.Duration }

func refreshWindows(t *testing.T, logs map[string]string) refreshTimes {
	var w refreshTimes
	for _, out := range logs {
		sc := bufio.NewScanner(strings.NewReader(out))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line struct {
				Msg    string        `json:"msg"`
				Send   time.Duration `json:"unstored_after_send"`
				Answer time.Duration `json:"unstored_after_answer"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "stored the refreshed grant" {
				w.send, w.answer = append(w.send, line.Send), append(w.answer, line.Answer)
			}
		}
	}
	if len(w.send) == 0 {
		t.Fatal("no instance logged a stored refresh")
	}
	slices.Sort(w.send)
	slices.Sort(w.answer)
	return w
}

func (w refreshTimes) sum(d []time.Duration) time.Duration {
	var s time.Duration
	for _, x := range d {
		s += x
	}
	return s
}

func (w refreshTimes) String() string {
	q := func(d []time.Duration) string {
		at := func(p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
		return fmt.Sprintf("min %s p50 %s p99 %s max %s", d[0], at(0.5), at(0.99), d[len(d)-1])
	}
	return "sent → stored " + q(w.send) + "; answer → stored " + q(w.answer)
}

// awaitFor polls cond every 50 ms until it holds, or fails the test
// after limit.
func awaitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	if !awaitOr(limit, cond) {
		t.Fatalf("gave up after %s waiting for %s", limit, what)
	}
}

// awaitOr polls cond every 50 ms until it holds (true) or limit passed
// (false), for a caller whose checks then say what is wrong.
func awaitOr(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}
