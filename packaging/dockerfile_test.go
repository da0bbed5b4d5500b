package packaging

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is the module root, where the Dockerfile and the build context are.
const repoRoot = ".."

// instruction is one Dockerfile instruction: its keyword (upper case) and
// the rest of its (continuation-joined) line.
type instruction struct {
	cmd, args string
	line      int
}

// stage is one FROM and the instructions under it.
type stage struct {
	image, name string
	body        []instruction
}

// parseDockerfile splits the file into stages. It understands what this
// repository's Dockerfile uses: comments, blank lines and backslash
// continuations; parser directives and heredocs are not used here.
func parseDockerfile(t *testing.T, file string) (args map[string]string, stages []stage) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatalf("the repository needs a Dockerfile: %v", err)
	}
	defer f.Close()
	args = map[string]string{}
	var pending string
	var pendingLine int
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if pending == "" && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if pending == "" {
			pendingLine = n
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			pending += cont + " "
			continue
		}
		pending += line
		cmd, rest, _ := strings.Cut(pending, " ")
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(rest), line: pendingLine}
		pending = ""
		switch {
		case in.cmd == "FROM":
			fields := strings.Fields(in.args)
			s := stage{image: fields[0]}
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				s.name = fields[2]
			}
			stages = append(stages, s)
		case len(stages) == 0:
			t.Fatalf("Dockerfile line %d: %s before the first FROM", in.line, in.cmd)
		default:
			stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
		}
		if in.cmd == "ARG" {
			name, def, _ := strings.Cut(in.args, "=")
			args[name] = def
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return args, stages
}

func (s stage) all(cmd string) []instruction {
	var out []instruction
	for _, in := range s.body {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// shellWords splits a RUN command the way sh would for the simple forms
// allowed here (quotes, backslash escapes, ${ARG} and $ARG expansion), and
// refuses anything else (;, &&, |, redirections), so the test runs exactly
// the command the image build runs.
func shellWords(t *testing.T, s string, vars map[string]string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	expand := func(i int) int { // s[i] == '$'; returns the index after the reference
		j := i + 1
		var name string
		if j < len(s) && s[j] == '{' {
			end := strings.IndexByte(s[j:], '}')
			if end < 0 {
				t.Fatalf("unterminated ${ in %q", s)
			}
			name, j = s[j+1:j+end], j+end+1
		} else {
			for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			name = s[i+1 : j]
		}
		v, ok := vars[name]
		if !ok {
			t.Fatalf("the build command uses $%s, which no ARG declares", name)
		}
		cur.WriteString(v)
		return j
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
			i++
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				t.Fatalf("unterminated ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+end])
			inWord, i = true, i+end+2
		case c == '"':
			inWord = true
			i++
			for i < len(s) && s[i] != '"' {
				switch {
				case s[i] == '\\' && i+1 < len(s) && strings.ContainsRune(`$"\`, rune(s[i+1])):
					cur.WriteByte(s[i+1])
					i += 2
				case s[i] == '$':
					i = expand(i)
				default:
					cur.WriteByte(s[i])
					i++
				}
			}
			if i == len(s) {
				t.Fatalf("unterminated \" in %q", s)
			}
			i++
		case c == '$':
			inWord = true
			i = expand(i)
		case c == '\\' && i+1 < len(s):
			cur.WriteByte(s[i+1])
			inWord, i = true, i+2
		case strings.IndexByte(";&|<>()`", c) >= 0:
			t.Fatalf("the build RUN %q must be one plain command (found %q) so that the test can run exactly it", s, c)
		default:
			cur.WriteByte(c)
			inWord, i = true, i+1
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// goVersion is the go directive of go.mod, e.g. "1.26".
func goVersion(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(raw)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return string(m[1])
}

// dockerBuild is what the test reads out of the Dockerfile.
type dockerBuild struct {
	env      []string // assignments before `go`
	goArgs   []string // after `go`
	output   string   // the -o path inside the build stage
	final    stage
	buildTag string // the build stage's name
}

func readDockerBuild(t *testing.T) dockerBuild {
	t.Helper()
	args, stages := parseDockerfile(t, filepath.Join(repoRoot, "Dockerfile"))
	if len(stages) < 2 {
		t.Fatalf("the Dockerfile has %d stage(s); want a multi-stage build (a Go builder, then a minimal run stage)", len(stages))
	}
	builder, final := stages[0], stages[len(stages)-1]
	if want := "golang:" + goVersion(t); builder.image != want && !strings.HasPrefix(builder.image, want+"-") && !strings.HasPrefix(builder.image, want+".") {
		t.Errorf("the build stage is FROM %s; want %s (go.mod's Go version)", builder.image, want)
	}
	if builder.name == "" {
		t.Error("the build stage has no name (FROM golang:… AS build); the run stage must copy from it by name")
	}
	var b dockerBuild
	b.final, b.buildTag = final, builder.name
	var builds []instruction
	for _, in := range builder.all("RUN") {
		if strings.Contains(in.args, "go build") {
			builds = append(builds, in)
		}
	}
	if len(builds) != 1 {
		t.Fatalf("the build stage has %d RUN lines with `go build`; want exactly one", len(builds))
	}
	words := shellWords(t, builds[0].args, args)
	goAt := slices.Index(words, "go")
	if goAt < 0 || goAt+1 >= len(words) || words[goAt+1] != "build" {
		t.Fatalf("the build RUN %q is not `[VAR=value…] go build …`", builds[0].args)
	}
	for _, w := range words[:goAt] {
		if !strings.Contains(w, "=") {
			t.Fatalf("the build RUN %q: %q before `go` is not a VAR=value assignment", builds[0].args, w)
		}
	}
	b.env, b.goArgs = words[:goAt], words[goAt+1:]
	for i, a := range b.goArgs {
		if a == "-o" && i+1 < len(b.goArgs) {
			b.output = b.goArgs[i+1]
		}
	}
	if b.output == "" {
		t.Fatalf("the build RUN %q has no -o PATH", builds[0].args)
	}
	return b
}

func TestTheDockerfileBuildsAStaticBinaryForAMinimalNonRootImage(t *testing.T) {
	b := readDockerBuild(t)

	t.Run("static build flags", func(t *testing.T) {
		if !slices.Contains(b.env, "CGO_ENABLED=0") {
			t.Errorf("the build runs with %v; want CGO_ENABLED=0 (a static binary for a base image without libc)", b.env)
		}
		if !slices.Contains(b.goArgs, "-trimpath") {
			t.Errorf("go %v: want -trimpath (no build paths in the binary)", b.goArgs)
		}
		var ldflags string
		for i, a := range b.goArgs {
			if v, ok := strings.CutPrefix(a, "-ldflags="); ok {
				ldflags = v
			} else if a == "-ldflags" && i+1 < len(b.goArgs) {
				ldflags = b.goArgs[i+1]
			}
		}
		if f := strings.Fields(ldflags); !slices.Contains(f, "-s") || !slices.Contains(f, "-w") {
			t.Errorf("-ldflags=%q: want -s -w (no symbol table, no DWARF)", ldflags)
		}
		if b.goArgs[len(b.goArgs)-1] != "./cmd/sfcdc" {
			t.Errorf("go %v builds %s; want ./cmd/sfcdc", b.goArgs, b.goArgs[len(b.goArgs)-1])
		}
	})

	t.Run("minimal base and non-root user", func(t *testing.T) {
		f := b.final
		switch {
		case f.image == "scratch":
			copiesCAs := false
			for _, in := range f.all("COPY") {
				copiesCAs = copiesCAs || strings.Contains(in.args, "ca-certificates")
			}
			if !copiesCAs {
				t.Error("a scratch image needs the CA certificates copied in (Salesforce, CM and rediss:// use TLS)")
			}
		case strings.HasPrefix(f.image, "gcr.io/distroless/static"):
			// static: CA certificates, tzdata and /etc/passwd only; no libc, no shell.
		default:
			t.Errorf("the run stage is FROM %s; want gcr.io/distroless/static-… or scratch (nothing but the binary)", f.image)
		}
		users := f.all("USER")
		if len(users) == 0 {
			t.Fatal("the run stage sets no USER; the image would run as root")
		}
		user := users[len(users)-1].args
		uid, gid, hasGID := strings.Cut(user, ":")
		for _, id := range append([]string{uid}, map[bool][]string{true: {gid}}[hasGID]...) {
			n, err := strconv.Atoi(id)
			if err != nil {
				t.Errorf("USER %s: %q is not numeric; Kubernetes' runAsNonRoot can only verify a numeric user", user, id)
			} else if n == 0 {
				t.Errorf("USER %s: 0 is root", user)
			}
		}
		copied := false
		for _, in := range f.all("COPY") {
			fields := strings.Fields(in.args)
			if slices.Contains(fields, "--from="+b.buildTag) && slices.Contains(fields, b.output) && fields[len(fields)-1] == "/sfcdc" {
				copied = true
			}
		}
		if !copied {
			t.Errorf("the run stage does not COPY --from=%s %s /sfcdc", b.buildTag, b.output)
		}
	})

	t.Run("entry point, command and metrics port", func(t *testing.T) {
		f := b.final
		execForm := func(cmd string) []string {
			ins := f.all(cmd)
			if len(ins) != 1 {
				t.Fatalf("the run stage has %d %s instructions; want one", len(ins), cmd)
			}
			var v []string
			if err := json.Unmarshal([]byte(ins[0].args), &v); err != nil {
				t.Fatalf("%s %s is not the JSON exec form (a signal must reach sfcdc, not a shell): %v", cmd, ins[0].args, err)
			}
			return v
		}
		if got := execForm("ENTRYPOINT"); !slices.Equal(got, []string{"/sfcdc"}) {
			t.Errorf("ENTRYPOINT %q; want [\"/sfcdc\"]", got)
		}
		if got, want := execForm("CMD"), []string{"run", "--config", "/etc/sfcdc/sfcdc.yaml"}; !slices.Equal(got, want) {
			t.Errorf("CMD %q; want %q", got, want)
		}
		exposed := false
		for _, in := range f.all("EXPOSE") {
			exposed = exposed || slices.Contains(strings.Fields(in.args), "9464") || slices.Contains(strings.Fields(in.args), "9464/tcp")
		}
		if !exposed {
			t.Error("the run stage does not EXPOSE 9464 (monitoring: /metrics, /healthz, /readyz)")
		}
	})

	t.Run("the build command makes a statically linked binary", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "sfcdc")
		args := slices.Clone(b.goArgs)
		args[slices.Index(args, "-o")+1] = out
		cmd := exec.Command("go", args...)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), b.env...)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
		}
		if why := dynamicLinking(t, out); why != "" {
			t.Fatalf("the Dockerfile's build command made a dynamically linked binary (%s); it would not start on a base image without libc", why)
		}
		// The version stamp of the Dockerfile's -X reaches the binary.
		v, err := exec.Command(out, "version").CombinedOutput()
		if err != nil || !strings.HasPrefix(string(v), "sfcdc dev ") {
			t.Fatalf("%s version: %v: %q; want \"sfcdc dev …\" (ARG VERSION's default through -X main.version)", out, err, v)
		}
	})
}

// dynamicLinking says why the ELF file needs a dynamic loader, or "" when
// it is static: an interpreter (PT_INTERP) or a dynamic section.
func dynamicLinking(t *testing.T, file string) string {
	t.Helper()
	f, err := elf.Open(file)
	if err != nil {
		t.Fatalf("%s is not an ELF binary: %v", file, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			return "it has a PT_INTERP program header"
		case elf.PT_DYNAMIC:
			return "it has a PT_DYNAMIC program header"
		}
	}
	if s := f.Section(".dynamic"); s != nil {
		return "it has a .dynamic section"
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		return fmt.Sprintf("it imports %v", libs)
	}
	return ""
}

// TestTheStaticCheckRecognisesADynamicBinary keeps the check above honest:
// the system's own dynamically linked programs fail it.
func TestTheStaticCheckRecognisesADynamicBinary(t *testing.T) {
	for _, p := range []string{"/bin/sh", "/usr/bin/env", "/bin/ls"} {
		if _, err := os.Stat(p); err == nil {
			if dynamicLinking(t, p) == "" {
				t.Fatalf("%s passed as static; the check reads the wrong headers", p)
			}
			return
		}
	}
	t.Fatal("no system binary to check against (/bin/sh, /usr/bin/env, /bin/ls)")
}

// dockerignored reports whether rel (slash-separated, relative to the
// context) matches a .dockerignore pattern: Go's path.Match per pattern,
// with a leading **/ matching any depth and a pattern matching a directory
// excluding what is under it. Exceptions (!) are not used here.
func dockerignored(patterns []string, rel string) bool {
	parts := strings.Split(rel, "/")
	for _, p := range patterns {
		p = strings.TrimSuffix(strings.TrimPrefix(p, "/"), "/")
		anyDepth := strings.HasPrefix(p, "**/")
		p = strings.TrimPrefix(p, "**/")
		for end := 1; end <= len(parts); end++ {
			starts := []int{0}
			if anyDepth {
				starts = nil
				for s := 0; s < end; s++ {
					starts = append(starts, s)
				}
			}
			for _, s := range starts {
				if ok, _ := path.Match(p, strings.Join(parts[s:end], "/")); ok {
					return true
				}
			}
		}
	}
	return false
}

func TestTheDockerContextKeepsEveryFileTheBuildNeeds(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatalf("the repository needs a .dockerignore (keeps .git, binaries and keys out of the build context): %v", err)
	}
	var patterns []string
	for _, line := range strings.Split(string(raw), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			if strings.HasPrefix(line, "!") {
				t.Fatalf(".dockerignore: exceptions (%s) are not understood by this test; extend dockerignored", line)
			}
			patterns = append(patterns, line)
		}
	}
	for _, keep := range []string{".git/config", "sfcdc", "bin/sfcdc", "salesforce-key.pem"} {
		if !dockerignored(patterns, keep) {
			t.Errorf(".dockerignore lets %s into the build context; exclude it", keep)
		}
	}
	needed := 0
	err = filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		if rel == "go.mod" || rel == "go.sum" || strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, "_test.go") && !strings.Contains(rel, "/testdata/") {
			needed++
			if dockerignored(patterns, rel) {
				t.Errorf(".dockerignore excludes %s, which the build needs", rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if needed < 10 {
		t.Fatalf("found only %d source files under %s; the walk is wrong", needed, repoRoot)
	}
}
