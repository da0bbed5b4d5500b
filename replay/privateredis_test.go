package replay_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// privateRedis is a redis-server of one test: its own loopback port and
// directory, stopped and restarted by the test, never the shared one.
type privateRedis struct {
	t    testing.TB
	dir  string
	addr string
	args []string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
}

// startPrivateRedis starts redis-server with the given persistence options
// and stops it (by PID) at cleanup.
func startPrivateRedis(t testing.TB, options ...string) *privateRedis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server not installed (apt-get install redis-server): %v", err)
	}
	r := &privateRedis{t: t, dir: t.TempDir(), addr: freeLoopbackAddr(t)}
	_, port, _ := net.SplitHostPort(r.addr)
	r.args = append([]string{"--port", port, "--bind", "127.0.0.1", "--dir", r.dir, "--daemonize", "no", "--logfile", r.dir + "/redis.log"}, options...)
	r.start()
	t.Cleanup(r.kill)
	return r
}

// freeLoopbackAddr returns a loopback address nothing listens on right now.
func freeLoopbackAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// start runs the server and waits until it answers PING.
func (r *privateRedis) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", r.args...)
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	done := make(chan struct{})
	r.done = done
	cmd := r.cmd
	go func() { cmd.Wait(); close(done) }()
	deadline := time.Now().Add(30 * time.Second)
	for !r.answers() {
		select {
		case <-done:
			r.t.Fatalf("redis-server exited at start; see %s/redis.log", r.dir)
		default:
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server at %s does not answer", r.addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *privateRedis) answers() bool {
	client := newRedisClient(r.addr)
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := client.Ping(ctx).Err()
	// A server with requirepass answers too, by refusing the PING.
	return err == nil || strings.HasPrefix(err.Error(), "NOAUTH")
}

// shutdown stops the server the way an operator would, without an RDB
// snapshot: whatever survives comes from the append-only file.
func (r *privateRedis) shutdown() {
	r.t.Helper()
	client := newRedisClient(r.addr)
	defer client.Close()
	client.ShutdownNoSave(context.Background()) // the reply is the closed connection
	<-r.done
}

// kill9 stops the server like a crash: SIGKILL, no chance to flush.
func (r *privateRedis) kill9() {
	r.t.Helper()
	r.kill()
}

func (r *privateRedis) kill() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	r.cmd.Process.Kill()
	<-r.done
}

func (r *privateRedis) port() int {
	_, port, _ := net.SplitHostPort(r.addr)
	n, _ := strconv.Atoi(port)
	return n
}

// startPrivateSentinel runs a Sentinel that monitors master as "mymaster".
// Sentinel insists on a writable config file of its own.
func startPrivateSentinel(t testing.TB, master *privateRedis) *privateRedis {
	t.Helper()
	return startPrivateSentinelWith(t, master, "")
}

// startPrivateSentinelWith starts a Sentinel that, with a password,
// refuses clients that do not AUTH with it (requirepass).
func startPrivateSentinelWith(t testing.TB, master *privateRedis, password string) *privateRedis {
	t.Helper()
	r := &privateRedis{t: t, dir: t.TempDir(), addr: freeLoopbackAddr(t)}
	_, port, _ := net.SplitHostPort(r.addr)
	conf := r.dir + "/sentinel.conf"
	body := "port " + port + "\nbind 127.0.0.1\ndir " + r.dir + "\n" +
		"sentinel monitor mymaster 127.0.0.1 " + strconv.Itoa(master.port()) + " 1\n" +
		"sentinel down-after-milliseconds mymaster 60000\n"
	if password != "" {
		body += "requirepass " + password + "\n"
	}
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	r.args = []string{conf, "--sentinel", "--logfile", r.dir + "/sentinel.log"}
	r.start()
	t.Cleanup(r.kill)
	return r
}
