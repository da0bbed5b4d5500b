package clitest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/net/html"

	"github.com/sfcdc/sfcdc/sim/simrun"
	"github.com/sfcdc/sfcdc/sim/simworld"
)

// builds are this test process's builds of sfcdc, by build tag, in one
// temporary folder that RemoveBuilds deletes.
var builds struct {
	mu    sync.Mutex
	dir   string
	paths map[string]string
	errs  map[string]error
}

// BuildOnce builds the sfcdc command with the build tag (none: "") the
// first time this process asks for that tag, and returns the binary's
// path (the same path, and the same error, every later time). It is built
// as the Dockerfile builds the image's binary (static, -trimpath, -s -w), so the
// builds of the tests (the plain one, the failpoints one, the packaging
// test's and the README's) share their compiled packages: only the
// packages a tag changes are compiled again, and a build costs a link.
func BuildOnce(tag string) (string, error) {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if path, ok := builds.paths[tag]; ok {
		return path, builds.errs[tag]
	}
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "sfcdc-bin-")
		if err != nil {
			return "", fmt.Errorf("a folder for the sfcdc builds: %w", err)
		}
		builds.dir, builds.paths, builds.errs = dir, map[string]string{}, map[string]error{}
	}
	// -s -w as the Dockerfile's: a link without the symbol table and DWARF
	// costs a third less CPU, and goroutine dumps and panics still name
	// every function (they read the binary's pclntab, which stays).
	name, args := "sfcdc", []string{"build", "-trimpath", "-ldflags=-s -w"}
	if tag != "" {
		name += "-" + tag
		args = append(args, "-tags", tag)
	}
	path := filepath.Join(builds.dir, name)
	build := exec.Command("go", append(args, "-o", path, "github.com/sfcdc/sfcdc/cmd/sfcdc")...)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	var err error
	if out, berr := build.CombinedOutput(); berr != nil {
		err = fmt.Errorf("go build of sfcdc (tags %q): %v\n%s", tag, berr, out)
	}
	builds.paths[tag], builds.errs[tag] = path, err
	return path, err
}

// Binary is BuildOnce's binary, or the test's failure naming why the
// build failed.
func Binary(t testing.TB, tag string) string {
	t.Helper()
	path, err := BuildOnce(tag)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// RemoveBuilds deletes the binaries BuildOnce built; TestMain calls it
// after the tests ran.
func RemoveBuilds() {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
	}
	builds.dir, builds.paths, builds.errs = "", nil, nil
}

// RedisKeyPrefix is a key prefix of the test Redis (simworld.RedisAddr)
// no other test uses; its keys are deleted at cleanup. It fails the test
// at once, naming SFCDC_TEST_REDIS_ADDR, when no Redis answers.
func RedisKeyPrefix(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "sfcdctest:cmd:" + hex.EncodeToString(b) + ":"
	addr := simworld.RedisAddr()
	client := redis.NewClient(&redis.Options{Addr: addr})
	if err := client.Ping(t.Context()).Err(); err != nil {
		client.Close()
		t.Fatalf("no Redis at %s (%v): run ./scripts/test.sh or set SFCDC_TEST_REDIS_ADDR", addr, err)
	}
	t.Cleanup(func() {
		defer client.Close()
		ctx := context.Background()
		keys, _ := client.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			client.Del(ctx, keys...)
		}
	})
	return prefix
}

// WriteFile writes a file into the test's folder and returns its path.
func WriteFile(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Buffer is a bytes.Buffer that several goroutines may write (a
// process's standard output and error, a logger) while a test reads it.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Result is a finished run of the binary.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Run runs binary with args and the environment env (nil: this
// process's) to its end.
func Run(t testing.TB, binary string, env []string, args ...string) Result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run %s: %v", filepath.Base(binary), err)
	}
	return Result{Stdout: stdout.String(), Stderr: stderr.String(), Code: cmd.ProcessState.ExitCode()}
}

// InterruptAtCleanup stops a started process when the test ends: SIGINT
// first, as an operator would, then SIGKILL after 10 s.
func InterruptAtCleanup(t testing.TB, cmd *exec.Cmd) {
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
}

// StartSim runs the `sfcdc sim` binary with args (on a free Pub/Sub port,
// its CA file in the test's folder) until the test ends, and returns its
// banner: for the tests of real processes, whose thousands of records go
// faster through a simulator without the race detector.
func StartSim(t testing.TB, binary string, args ...string) simrun.Banner {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"sim", "--pubsub-addr", "127.0.0.1:0", "--ca-file", filepath.Join(t.TempDir(), "ca.pem")}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	InterruptAtCleanup(t, cmd)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read the sim banner: %v", err)
	}
	var b simrun.Banner
	if err := json.Unmarshal([]byte(line), &b); err != nil {
		t.Fatalf("the first line is not the banner: %v: %q", err, line)
	}
	return b
}

// Readme is the repository's README.md, found from the test's folder up
// to the module's root.
func Readme(t testing.TB) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(ModuleRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// ModuleRoot is the folder of the go.mod above the test's working folder
// (go test runs a package's tests in the package's folder).
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(data), "module github.com/sfcdc/sfcdc\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod of github.com/sfcdc/sfcdc above the working folder: run the tests with go test inside the repository")
		}
		dir = parent
	}
}

// Page is an HTML page as a test reads it: where it ended (after the
// redirects), its status and its body.
type Page struct {
	URL    *url.URL
	Status int
	Body   string
}

// Browse GETs target with c, following redirects as a browser would.
func Browse(t testing.TB, c *http.Client, target string) Page {
	t.Helper()
	resp, err := c.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	return readPage(t, resp)
}

func readPage(t testing.TB, resp *http.Response) Page {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Page{URL: resp.Request.URL, Status: resp.StatusCode, Body: string(b)}
}

// SubmitForm posts the page's form with its hidden inputs and the button
// whose value is choice (a login page's Allow or Deny), following the
// redirects back to the callback.
func SubmitForm(t testing.TB, c *http.Client, p Page, choice string) Page {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(p.Body))
	if err != nil {
		t.Fatal(err)
	}
	action, fields := "", url.Values{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			attr := map[string]string{}
			for _, a := range n.Attr {
				attr[a.Key] = a.Val
			}
			switch {
			case n.Data == "form":
				action = attr["action"]
			case n.Data == "input" && attr["type"] == "hidden", n.Data == "button" && attr["value"] == choice:
				fields.Set(attr["name"], attr["value"])
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
	}
	walk(doc)
	if action == "" {
		t.Fatalf("no form on the page: %s", p.Body)
	}
	resp, err := c.PostForm(p.URL.ResolveReference(&url.URL{Path: action}).String(), fields)
	if err != nil {
		t.Fatal(err)
	}
	return readPage(t, resp)
}

// CMCommentIDs pages through the banner's simulated CM source with CM's
// API and returns every comment ID there.
func CMCommentIDs(t testing.TB, b simrun.Banner) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	after := ""
	for {
		q := url.Values{"limit": {"256"}}
		if after != "" {
			q.Set("after", after)
		}
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/_private/sources/%s/%s/comments?%s",
			b.CommsMiningURL, b.CommsMiningProject, b.CommsMiningSource, q.Encode()), nil)
		req.Header.Set("Authorization", "Bearer "+b.CommsMiningToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Comments     []struct{ ID string } `json:"comments"`
			Continuation *string               `json:"continuation"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Comments {
			ids[c.ID] = true
		}
		if page.Continuation == nil {
			return ids
		}
		after = *page.Continuation
	}
}
