package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"bytes"
	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
	"github.com/sfcdc/sfcdc/sim/simrun"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"regexp"
)

// These tests run `sfcdc sim` with its flags in this process and talk to
// it through the generated Pub/Sub client, as any client would.

// simCLI is a running `sfcdc sim`.
type simCLI struct {
	banner simBanner
	cmd    *runningCmd
	client eventbusv1.PubSubClient
}

// simCLIEvents is how many events each run generates before a test
// subscribes: enough for every fault below to fire with events to spare.
const simCLIEvents = 25

// simCommandEnv is the environment of a simulator run in the test process:
// this process's with GOGC set, so the simulator leaves the collector of
// the test process alone (its GOGC is for a process of its own).
func simCommandEnv() []string { return append(os.Environ(), "GOGC=100") }

// startSimCLI runs `sfcdc sim` on loopback with args, waits until it has
// generated its --events, and connects a client the way its banner says.
func startSimCLI(t *testing.T, events int, args ...string) *simCLI {
	t.Helper()
	return startSimCLIOrgs(t, events, 1, args...)
}

// startSimCLIOrgs is startSimCLI with --orgs orgs: it waits for --events in
// each org.
func startSimCLIOrgs(t *testing.T, events, orgs int, args ...string) *simCLI {
	t.Helper()
	args = append([]string{"sim", "--pubsub-addr", "127.0.0.1:0", "--ca-file", filepath.Join(t.TempDir(), "ca.pem"),
		"--seed", "4", "--rate", "0", "--events", fmt.Sprint(events), "--orgs", fmt.Sprint(orgs)}, args...)
	s := &simCLI{cmd: startInProcess(t, simCommandEnv(), args...)}
	line, ok := s.cmd.stdout.awaitLine(func(string) bool { return true })
	if !ok {
		t.Fatalf("sfcdc sim ended without a banner (exit %d): %s", s.cmd.code, s.cmd.stderr.String())
	}
	if err := json.Unmarshal([]byte(line), &s.banner); err != nil {
		t.Fatalf("the first line is not the banner: %v: %q", err, line)
	}
	s.awaitStderr(t, fmt.Sprintf("generated %d events", events*orgs))
	creds := insecure.NewCredentials()
	if !s.banner.Insecure {
		var err error
		if creds, err = credentials.NewClientTLSFromFile(s.banner.CAFile, ""); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := grpc.NewClient(s.banner.PubSubAddr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	s.client = eventbusv1.NewPubSubClient(conn)
	return s
}

// awaitStderr waits for a line of standard error starting with prefix; it
// fails when the simulator ends first.
func (s *simCLI) awaitStderr(t *testing.T, prefix string) {
	t.Helper()
	if _, ok := s.cmd.stderr.awaitLine(func(line string) bool { return strings.HasPrefix(line, prefix) }); !ok {
		t.Fatalf("sfcdc sim ended (exit %d) without %q; standard error: %q", s.cmd.code, prefix, s.cmd.stderr.String())
	}
}

// ctx carries the banner's credentials, bounded so a broken knob fails the
// test instead of hanging it.
func (s *simCLI) ctx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, "accesstoken", s.banner.AccessToken, "instanceurl", s.banner.InstanceURL, "tenantid", s.banner.TenantID)
}

// subscribeAll opens a stream on every change event from the earliest.
func (s *simCLI) subscribeAll(t *testing.T, ctx context.Context, numRequested int32) eventbusv1.PubSub_SubscribeClient {
	t.Helper()
	stream, err := s.client.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&eventbusv1.FetchRequest{TopicName: "/data/ChangeEvents", ReplayPreset: eventbusv1.ReplayPreset_EARLIEST, NumRequested: numRequested}); err != nil {
		t.Fatal(err)
	}
	return stream
}

// readUntilEnd counts the events a stream delivers until it ends, or until
// the first keepalive when untilKeepalive (the stream has caught up).
func readUntilEnd(stream eventbusv1.PubSub_SubscribeClient, untilKeepalive bool) (events, responses int, err error) {
	for {
		resp, err := stream.Recv()
		if err != nil {
			return events, responses, err
		}
		responses++
		events += len(resp.GetEvents())
		if untilKeepalive && len(resp.GetEvents()) == 0 {
			return events, responses, nil
		}
	}
}

func trailerErrorCode(stream grpc.ClientStream) string {
	if v := stream.Trailer().Get("error-code"); len(v) > 0 {
		return v[0]
	}
	return ""
}

func TestSimGeneratesExactlyTheRequestedNumberOfEvents(t *testing.T) {
	t.Parallel()
	// 7 is fewer than the generator's first ordinary step makes; 25 and 61
	// ended a few events past the count before.
	for _, n := range []int{7, 25, 61} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s := startSimCLI(t, n, "--keepalive", "100ms")
			stream := s.subscribeAll(t, s.ctx(t, 30*time.Second), 100)
			got, _, err := readUntilEnd(stream, true)
			if err != nil || got != n {
				t.Fatalf("the org holds %d events (%v), want exactly --events %d", got, err, n)
			}
		})
	}
}

func TestSimInsecureServesPlaintextOnLoopbackOnly(t *testing.T) {
	t.Parallel()
	s := startSimCLI(t, simCLIEvents, "--insecure", "--keepalive", "100ms")
	if !s.banner.Insecure || s.banner.CAFile != "" {
		t.Fatalf("banner says insecure %v, ca_file %q; want plaintext and no CA", s.banner.Insecure, s.banner.CAFile)
	}
	// startSimCLI dialled without TLS, as the banner said.
	if got, _, err := readUntilEnd(s.subscribeAll(t, s.ctx(t, 30*time.Second), 100), true); err != nil || got != simCLIEvents {
		t.Fatalf("a plaintext client read %d events (%v), want %d", got, err, simCLIEvents)
	}

	for _, args := range [][]string{
		{"--pubsub-addr", "0.0.0.0:0"},
		{"--pubsub-addr", ":0"},
		{"--pubsub-addr", "127.0.0.1:0", "--rest-addr", "0.0.0.0:0"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			// A simulator that started anyway would serve until its
			// context ends, and then exit 0.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var stdout, stderr syncBuffer
			code := execute(ctx, envOf(simCommandEnv()), append([]string{"sim", "--insecure", "--rate", "0"}, args...), &stdout, &stderr)
			if out := stdout.String(); code != exitUsage || out != "" {
				// Not the banner itself: it holds credentials.
				t.Fatalf("exit %d after %d bytes on standard output; want exit %d and no banner", code, len(out), exitUsage)
			}
			msg := stderr.String()
			flag := args[len(args)-2]
			for _, want := range []string{"--insecure", "loopback", flag + " 127.0.0.1:<port>", "drop --insecure"} {
				if !strings.Contains(msg, want) {
					t.Errorf("the error does not say %q:\n%s", want, msg)
				}
			}
		})
	}
}

func TestSimFaultFlagsTakeEffect(t *testing.T) {
	t.Parallel()
	t.Run("--fault-end-stream-after", func(t *testing.T) {
		t.Parallel()
		s := startSimCLI(t, simCLIEvents, "--fault-end-stream-after", "4")
		stream := s.subscribeAll(t, s.ctx(t, 30*time.Second), 100)
		got, _, err := readUntilEnd(stream, false)
		if got != 4 || status.Code(err) != codes.Unavailable || trailerErrorCode(stream) != sfsim.CodeServiceUnavailable {
			t.Fatalf("%d events then %v (%q); want 4 then UNAVAILABLE with %s", got, err, trailerErrorCode(stream), sfsim.CodeServiceUnavailable)
		}
	})

	t.Run("--fault-reset-after", func(t *testing.T) {
		t.Parallel()
		s := startSimCLI(t, simCLIEvents, "--fault-reset-after", "3")
		stream := s.subscribeAll(t, s.ctx(t, 30*time.Second), 100)
		got, _, err := readUntilEnd(stream, false)
		// A reset connection carries no status of the service's own.
		if got != 3 || status.Code(err) != codes.Unavailable || trailerErrorCode(stream) != "" {
			t.Fatalf("%d events then %v (%q); want 3 then UNAVAILABLE from the broken connection", got, err, trailerErrorCode(stream))
		}
	})

	t.Run("--fault-stall-after", func(t *testing.T) {
		t.Parallel()
		// Keepalives every 20 ms: a stream that is not stalled answers many
		// times within the two seconds it is watched.
		s := startSimCLI(t, simCLIEvents, "--fault-stall-after", "2", "--keepalive", "20ms")
		stream := s.subscribeAll(t, s.ctx(t, 2*time.Second), 100)
		got, responses, err := readUntilEnd(stream, false)
		ended := status.Code(err) == codes.DeadlineExceeded || errors.Is(err, io.EOF)
		if got != 2 || responses != 1 || !ended {
			t.Fatalf("%d events in %d responses then %v; want 2 events in one response, then silence until the deadline", got, responses, err)
		}
	})

	t.Run("--fault-latency", func(t *testing.T) {
		t.Parallel()
		const latency = 200 * time.Millisecond
		s := startSimCLI(t, simCLIEvents, "--fault-latency", latency.String())
		stream := s.subscribeAll(t, s.ctx(t, 30*time.Second), 1)
		start := time.Now()
		for i := range 3 {
			resp, err := stream.Recv()
			if err != nil || len(resp.GetEvents()) != 1 {
				t.Fatalf("response %d: %v", i, err)
			}
			if err := stream.Send(&eventbusv1.FetchRequest{NumRequested: 1}); err != nil {
				t.Fatal(err)
			}
		}
		// A lower bound only: each response waited for the injected delay.
		if elapsed := time.Since(start); elapsed < 3*latency {
			t.Fatalf("3 responses took %v, want at least 3 × %v of injected latency", elapsed, latency)
		}
	})

	t.Run("--fault-token-ttl", func(t *testing.T) {
		t.Parallel()
		s := startSimCLI(t, simCLIEvents, "--fault-token-ttl", "5s")
		topic := &eventbusv1.TopicRequest{TopicName: "/data/CaseChangeEvent"}
		if _, err := s.client.GetTopic(s.ctx(t, 10*time.Second), topic); err != nil {
			t.Fatalf("the banner's token failed before its lifetime ran out: %v", err)
		}
		// Poll, bounded, until the token's 5 s are over.
		deadline := time.Now().Add(30 * time.Second)
		for {
			var trailer metadata.MD
			_, err := s.client.GetTopic(s.ctx(t, 10*time.Second), topic, grpc.Trailer(&trailer))
			if status.Code(err) == codes.Unauthenticated {
				if code := trailer.Get("error-code"); len(code) == 0 || code[0] != sfsim.CodeAuthError {
					t.Fatalf("expired token: %v with trailer %v, want error-code %s", err, trailer, sfsim.CodeAuthError)
				}
				return
			}
			if err != nil {
				t.Fatalf("waiting for the token to expire: %v", err)
			}
			if time.Now().After(deadline) {
				t.Fatal("the banner's token still works 30 s after a 5 s --fault-token-ttl")
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("--fault-once", func(t *testing.T) {
		t.Parallel()
		s := startSimCLI(t, simCLIEvents, "--fault-end-stream-after", "3", "--fault-once", "--keepalive", "100ms")
		first := s.subscribeAll(t, s.ctx(t, 30*time.Second), 100)
		if got, _, err := readUntilEnd(first, false); got != 3 || status.Code(err) != codes.Unavailable {
			t.Fatalf("first stream: %d events then %v; want 3 then UNAVAILABLE", got, err)
		}
		second := s.subscribeAll(t, s.ctx(t, 30*time.Second), 100)
		if got, _, err := readUntilEnd(second, true); err != nil || got != simCLIEvents {
			t.Fatalf("second stream: %d events then %v; want all %d and a keepalive, the fault spent", got, err, simCLIEvents)
		}
	})

	t.Run("--keepalive", func(t *testing.T) {
		t.Parallel()
		s := startSimCLI(t, simCLIEvents, "--keepalive", "50ms")
		stream := s.subscribeAll(t, s.ctx(t, 30*time.Second), 100)
		var last []byte
		got := 0
		for {
			resp, err := stream.Recv()
			if err != nil {
				t.Fatalf("after %d events: %v", got, err)
			}
			got += len(resp.GetEvents())
			if len(resp.GetEvents()) > 0 {
				last = resp.GetEvents()[len(resp.GetEvents())-1].GetReplayId()
				continue
			}
			if got != simCLIEvents || binary.BigEndian.Uint64(resp.GetLatestReplayId()) != binary.BigEndian.Uint64(last) {
				t.Fatalf("keepalive after %d events with latest %x; want it after all %d, at the last replay ID %x", got, resp.GetLatestReplayId(), simCLIEvents, last)
			}
			return
		}
	})
}

// This one runs the binary: the folder is made in the process's TMPDIR,
// and removed when Ctrl-C ends the process.
func TestSimRemovesItsFolderWhenItExits(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	cmd := exec.Command(sfcdcBinary, "sim", "--pubsub-addr", "127.0.0.1:0", "--rate", "0")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	interruptAtCleanup(t, cmd)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	var b simBanner
	if err != nil || json.Unmarshal([]byte(line), &b) != nil {
		t.Fatalf("read the banner: %v: %q", err, line)
	}
	dir := filepath.Dir(b.CAFile)
	if filepath.Dir(dir) != tmp || !strings.HasPrefix(filepath.Base(dir), "sfcdc-sim-") || filepath.Dir(b.StateFile) != dir {
		t.Fatalf("ca_file %q and state_file %q; want both in one sfcdc-sim-* folder of TMPDIR %s", b.CAFile, b.StateFile, tmp)
	}
	if _, err := os.Stat(b.CAFile); err != nil {
		t.Fatalf("the CA file of a running simulator: %v", err)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sfcdc sim after Ctrl-C: %v, want a clean exit", err)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "sfcdc-sim-*")); len(left) != 0 {
		t.Fatalf("a clean exit left %v behind", left)
	}
}

// simAdmin calls an admin endpoint of a running simulator.
func simAdmin(t *testing.T, b simBanner, method, path string) simrun.TrafficStatus {
	t.Helper()
	req, err := http.NewRequest(method, b.CommsMiningURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st simrun.TrafficStatus
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&st) != nil {
		t.Fatalf("%s %s answered %s", method, path, resp.Status)
	}
	return st
}

func TestSimTrafficPausesAndResumesThroughTheAdminEndpoint(t *testing.T) {
	t.Parallel()
	b := startSim(t, "--rate", "500")
	awaitGenerated := func(above int64) simrun.TrafficStatus {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			st := simAdmin(t, b, "GET", "/_sim/traffic")
			if st.Generated > above {
				return st
			}
			if time.Now().After(deadline) {
				t.Fatalf("the traffic is %+v after 60 s; want more than %d generated events", st, above)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if st := awaitGenerated(0); st.State != simrun.TrafficRunning {
		t.Fatalf("traffic %+v; want running", st)
	}
	paused := simAdmin(t, b, "POST", "/_sim/traffic/pause")
	if paused.State != simrun.TrafficPaused {
		t.Fatalf("pause answered %+v; want paused", paused)
	}
	// The answer came once the generator was idle: nothing follows it.
	if st := simAdmin(t, b, "GET", "/_sim/traffic"); st != paused {
		t.Fatalf("after the pause answered %+v the traffic is %+v", paused, st)
	}
	if st := simAdmin(t, b, "POST", "/_sim/traffic/resume"); st.State != simrun.TrafficRunning {
		t.Fatalf("resume answered %+v; want running", st)
	}
	awaitGenerated(paused.Generated)
}

// cmSync sends one valid sync request to the simulated CM.
func cmSync(t *testing.T, c *http.Client, b simBanner, id string) (*http.Response, error) {
	t.Helper()
	body := `{"comments":[{"id":"` + id + `","timestamp":"2026-05-01T10:00:00Z","messages":[{"body":{"text":"Hello"}}]}]}`
	req, err := http.NewRequest("POST", b.CommsMiningURL+"/api/v1/sources/"+b.CommsMiningProject+"/"+b.CommsMiningSource+"/sync", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+b.CommsMiningToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return resp, err
}

func TestSimCMFaultFlagsTakeEffect(t *testing.T) {
	t.Parallel()
	t.Run("--cm-fault-status 429 --cm-fault-retry-after 7 --cm-fault-times 2", func(t *testing.T) {
		t.Parallel()
		b := startSim(t, "--rate", "0", "--cm-fault-status", "429", "--cm-fault-retry-after", "7", "--cm-fault-times", "2")
		for i := range 3 {
			resp, err := cmSync(t, http.DefaultClient, b, fmt.Sprintf("sf.Case.%d", i))
			if err != nil {
				t.Fatal(err)
			}
			want, retry := http.StatusTooManyRequests, "7"
			if i == 2 {
				want, retry = http.StatusOK, ""
			}
			if resp.StatusCode != want || resp.Header.Get("Retry-After") != retry {
				t.Fatalf("sync %d: %d with Retry-After %q; want %d with %q", i+1, resp.StatusCode, resp.Header.Get("Retry-After"), want, retry)
			}
		}
	})

	t.Run("--cm-fault-status 503 without --cm-fault-retry-after", func(t *testing.T) {
		t.Parallel()
		b := startSim(t, "--rate", "0", "--cm-fault-status", "503")
		for i := range 2 { // every request, not only the first
			resp, err := cmSync(t, http.DefaultClient, b, "sf.Case.1")
			if err != nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "" {
				t.Fatalf("sync %d: %v %v; want 503 without Retry-After", i+1, resp, err)
			}
		}
	})

	t.Run("--cm-fault-latency", func(t *testing.T) {
		t.Parallel()
		const latency = 300 * time.Millisecond
		b := startSim(t, "--rate", "0", "--cm-fault-latency", latency.String())
		start := time.Now()
		resp, err := cmSync(t, http.DefaultClient, b, "sf.Case.1")
		// A lower bound only: the answer waited for the injected delay.
		if err != nil || resp.StatusCode != http.StatusOK || time.Since(start) < latency {
			t.Fatalf("sync: %v %v after %v; want 200 after at least %v", resp, err, time.Since(start), latency)
		}
	})

	t.Run("--cm-fault-accept-then-timeout", func(t *testing.T) {
		t.Parallel()
		b := startSim(t, "--rate", "0", "--cm-fault-accept-then-timeout", "--cm-fault-times", "1")
		impatient := &http.Client{Timeout: 500 * time.Millisecond}
		if resp, err := cmSync(t, impatient, b, "sf.Case.1"); err == nil {
			t.Fatalf("sync answered %d; want no answer until the client gives up", resp.StatusCode)
		}
		if st := simStats(t, b); st.New != 1 {
			t.Fatalf("CM counted %d new comments; want the unanswered request's comment stored", st.New)
		}
		if resp, err := cmSync(t, http.DefaultClient, b, "sf.Case.1"); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("the retry: %v %v; want 200, the fault spent", resp, err)
		}
	})

	t.Run("refused combinations", func(t *testing.T) {
		t.Parallel()
		for _, args := range [][]string{
			{"--cm-fault-status", "200"},
			{"--cm-fault-retry-after", "5"},
			{"--cm-fault-status", "503", "--cm-fault-accept-then-timeout"},
			{"--cm-fault-endpoint", "everything", "--cm-fault-status", "503"},
		} {
			r := runInProcess(t, simCommandEnv(), append([]string{"sim", "--rate", "0", "--pubsub-addr", "127.0.0.1:0"}, args...)...)
			wantExit(t, r, exitUsage, args[0])
			if r.stdout != "" {
				t.Fatalf("%v printed a banner: %s", args, r.stdout)
			}
		}
	})
}

// simHeapAfter runs `sfcdc sim` in this process with args until its
// standard error or output says ready, and returns how much heap it added,
// measured after a collection (live memory, not a timing).
func simHeapAfter(t *testing.T, ready string, args ...string) uint64 {
	t.Helper()
	t.Setenv("GOGC", "100") // keep the simulator from retuning this test process
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := newRootCommand()
	out, errOut := &syncBuffer{}, &syncBuffer{}
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SetArgs(append([]string{"sim", "--pubsub-addr", "127.0.0.1:0", "--rate", "0"}, args...))
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("sfcdc sim: %v", err)
		}
	}()
	deadline := time.Now().Add(5 * time.Minute)
	for !strings.Contains(out.String()+errOut.String(), ready) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q from sfcdc sim %v within 5 minutes: %s", ready, args, errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	return after.HeapAlloc - min(before.HeapAlloc, after.HeapAlloc)
}

func TestSimHoldsBoundedMemoryWhateverItGeneratesOrSeeds(t *testing.T) {
	// It measures this process's heap, so no other test may run in the
	// process meanwhile; rather than hold every parallel test of the
	// package back for its 15-25 s, it runs alone in a test process of its
	// own while they run here.
	if !runAloneInAChildProcess(t) {
		return
	}
	// The volumes are small, since every event is compressed under the race
	// detector in this process (some 4 ms each on the shared machine), and
	// the bounds are tight enough to fail without the bounds they guard.
	t.Run("generated traffic", func(t *testing.T) {
		// 12,000 events held 140 MB before the bus was bounded and the
		// generator forgot cold records. 6,000 events with the bus
		// unbounded (--retain-events 100000) hold 24 MB; bounded to the
		// newest 1,000, about 16 MB.
		heap := simHeapAfter(t, "generated 6000 events", "--events", "6000", "--retain-events", "1000")
		t.Logf("heap after 6,000 generated events: %d MB", heap>>20)
		if heap > 20<<20 {
			t.Fatalf("sfcdc sim holds %d MB after 6,000 events with --retain-events 1000; want at most 20 MB", heap>>20)
		}
	})
	t.Run("seeded records", func(t *testing.T) {
		// 7.3 KB a record before (its text allocated alone, every change
		// event kept). 6,000 records with every change event kept hold
		// 3.3 KB a record; with the bus bounded to the newest 1,000 events
		// about 2.3 KB, the corpus the texts share included.
		const n = 6000
		heap := simHeapAfter(t, "\n", "--seed-records", fmt.Sprint(n), "--retain-events", "1000")
		t.Logf("heap after %d seeded emails: %d MB (%d bytes a record)", n, heap>>20, heap/n)
		if heap/n > 3000 {
			t.Fatalf("sfcdc sim holds %d bytes a seeded record with --retain-events 1000; want at most 3,000", heap/n)
		}
	})
}

// `sfcdc sim --help` names every field of the banner line, so a reader
// knows what the line holds without starting the simulator.
func TestSimHelpListsEveryBannerField(t *testing.T) {
	t.Parallel()
	raw, err := json.Marshal(simBanner{})
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	help := runInProcess(t, simCommandEnv(), "sim", "--help")
	wantExit(t, help, 0)
	for name := range fields {
		if !strings.Contains(help.output(), name) {
			t.Errorf("sim --help does not name the banner field %s:\n%s", name, help.output())
		}
	}
	if len(fields) < 15 {
		t.Errorf("the banner has %d fields; want at least the 15 the README lists", len(fields))
	}
}

// `sfcdc sim --orgs 3`: the banner lists three orgs, the first being the
// one its top keys describe, and each org's stream, reached through the one
// Pub/Sub endpoint with that org's own keys, holds --events events of its
// own (--events is per org).
func TestSimOrgsServesEveryOrgBehindTheOneEndpoint(t *testing.T) {
	t.Parallel()
	const events = 6
	s := startSimCLIOrgs(t, events, 3, "--insecure", "--keepalive", "100ms")
	b := s.banner
	if len(b.Orgs) != 3 || b.Orgs[0].TenantID != b.TenantID || b.Orgs[0].AccessToken != b.AccessToken {
		t.Fatalf("banner orgs %d, first %s; want 3, the first being the top keys' %s", len(b.Orgs), b.Orgs[0].TenantID, b.TenantID)
	}
	tenants := map[string]bool{}
	for i, org := range b.Orgs {
		tenants[org.TenantID] = true
		if org.ClientID == "" || org.ClientSecret == "" || org.Username == "" || org.InstanceURL == "" {
			t.Errorf("org %d lacks its connected app, user or instance: %+v", i+1, org.TenantID)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		ctx = metadata.AppendToOutgoingContext(ctx, "accesstoken", org.AccessToken, "instanceurl", org.InstanceURL, "tenantid", org.TenantID)
		got, _, err := readUntilEnd(s.subscribeAll(t, ctx, 100), true)
		if err != nil || got != events {
			t.Errorf("org %d's stream held %d events (%v); want its own %d", i+1, got, err, events)
		}
	}
	if len(tenants) != 3 {
		t.Fatalf("tenants %v; want three distinct orgs", tenants)
	}

	for _, n := range []string{"0", "5001"} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var stdout, stderr syncBuffer
		code := execute(ctx, envOf(simCommandEnv()), []string{"sim", "--insecure", "--pubsub-addr", "127.0.0.1:0", "--orgs", n}, &stdout, &stderr)
		if code != exitUsage || stdout.String() != "" || !strings.Contains(stderr.String(), "--orgs "+n+": want 1 to 5000") {
			t.Errorf("--orgs %s: exit %d, %d bytes of output, %q; want exit %d naming --orgs and its range", n, code, len(stdout.String()), stderr.String(), exitUsage)
		}
	}
}

// aloneEnv marks the test process runAloneInAChildProcess starts.
const aloneEnv = "SFCDC_TEST_ALONE"

// runAloneInAChildProcess is, in the test process go test started, a
// parallel test that runs this test alone in a child test process (this
// binary with -test.run naming it) and fails with its output when it
// fails; it returns false there. In the child, it returns true: the test
// runs on, the only one in its process. The child builds no sfcdc binary
// (TestMain).
func runAloneInAChildProcess(t *testing.T) bool {
	if os.Getenv(aloneEnv) == t.Name() {
		return true
	}
	// Started before t.Parallel, so it runs from the package's first
	// moment rather than whenever the parallel tests' turn comes.
	child := exec.Command(os.Args[0], "-test.run=^"+regexp.QuoteMeta(t.Name())+"$", "-test.count=1", "-test.v")
	child.Env = append(os.Environ(), aloneEnv+"="+t.Name())
	var output bytes.Buffer
	child.Stdout, child.Stderr = &output, &output
	err := child.Start()
	if err == nil {
		t.Parallel()
		err = child.Wait()
	}
	out := output.String()
	if err != nil || !strings.Contains(out, "--- PASS: "+t.Name()) {
		t.Fatalf("%s alone in a test process of its own: %v\n%s", t.Name(), err, out)
	}
	t.Logf("alone in a test process of its own:\n%s", out)
	return false
}
