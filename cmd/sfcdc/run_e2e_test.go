package main

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/sfcdc/sfcdc/mapper"
)

// runProcess is a started `sfcdc run` binary, for what needs a real
// process: its signals.
type runProcess struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{}
}

func startRunBinary(t *testing.T, env []string, config string) *runProcess {
	t.Helper()
	// --listen: the default address belongs to the README walk-through,
	// which e2e runs beside this package.
	p := &runProcess{cmd: exec.Command(sfcdcBinary, "run", "--config", config, "--listen", "127.0.0.1:0"), out: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// terminate sends SIGTERM and fails the test unless the process exits 0.
func (p *runProcess) terminate(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-p.exited // run.shutdown_grace bounds the drain
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("sfcdc run exited %d after SIGTERM, want 0:\n%s", code, p.out.String())
	}
}

// startRun starts `sfcdc run --config config` in this process.
func startRun(t *testing.T, env []string, config string) *runningCmd {
	t.Helper()
	return startInProcess(t, env, "run", "--config", config)
}

// missingComments lists the live records of object that CM holds no
// comment for. Records deleted meanwhile are not live, so the generator's
// deletes do not count as losses.
func missingComments(t *testing.T, b simBanner, object string) []string {
	t.Helper()
	inCM := cmCommentIDs(t, b)
	var missing []string
	for _, id := range sfRecordIDs(t, b, object) {
		if !inCM[mapper.CommentID(object, id)] {
			missing = append(missing, id)
		}
	}
	return missing
}

func TestRunStreamsUntilSIGTERMAndARestartLosesNothing(t *testing.T) {
	t.Parallel()
	const seeded = 200
	b := startSimProcess(t, "--rate", "40", "--seed-records", "200")
	config := backfillConfig(t, b, redisKeyPrefix(t), "run:\n  flush_interval: 50ms\n  shutdown_grace: 20s\n")
	env := backfillEnv(b)

	first := startRunBinary(t, env, config)
	waitFor(t, first.cmd, first.exited, "the seeded records and streamed traffic in CM", func() bool {
		return simStats(t, b).New > seeded+5
	})
	first.terminate(t)

	atStop := len(sfRecordIDs(t, b, "EmailMessage"))
	second := startRunBinary(t, env, config)
	waitFor(t, second.cmd, second.exited, "traffic made while sfcdc was down", func() bool {
		return len(sfRecordIDs(t, b, "EmailMessage")) > atStop+5
	})
	// Then the traffic pauses, so "every live record has its comment" is
	// a state the daemon reaches, not a chase of the generator that a
	// loaded machine stretched to a minute; what the restart had to
	// catch up (the traffic made while it was down, and since) is all
	// checked.
	simAdmin(t, b, "POST", "/_sim/traffic/pause")
	waitFor(t, second.cmd, second.exited, "every live EmailMessage has its comment", func() bool {
		return len(missingComments(t, b, "EmailMessage")) == 0
	})
	second.terminate(t)
	t.Logf("CM stats: %+v", simStats(t, b))
}

func TestRunPollsObjectsWithoutChangeEvents(t *testing.T) {
	t.Parallel()
	const n = 50
	b := startSim(t, "--rate", "0", "--seed-records", "50", "--seed-object", "CaseComment")
	config := backfillConfig(t, b, redisKeyPrefix(t), "  - object: CaseComment\nbackfill:\n  poll_interval: 50ms\n")
	p := startRun(t, backfillEnv(b), config)
	p.await(t, "every case comment in CM", func() bool {
		return len(sfRecordIDs(t, b, "CaseComment")) == n && len(missingComments(t, b, "CaseComment")) == 0
	})
	p.terminate(t)
	if !strings.Contains(p.output(), "polling_objects=[CaseComment]") {
		t.Fatalf("CaseComment was not detected as a polling object:\n%s", p.output())
	}
}
