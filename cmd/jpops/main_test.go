//go:build unix

package main

// End-to-end tests: the real jpops binary, run as a child process the way a
// script or a person runs it, against the simulated Fly platform served
// in-process on loopback. They drive it through sh, signals and process
// groups, so they build on unix only; the command tree's flags and exit
// codes are tested on every platform in internal/cli.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/flysim"
	"github.com/jpops-dev/jpops/internal/journal"
)

// jpopsBin is the binary under test, built once by TestMain.
var jpopsBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jpops-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: temp dir:", err)
		os.Exit(1)
	}
	jpopsBin = filepath.Join(dir, "jpops")
	build := exec.Command("go", "build", "-o", jpopsBin, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build jpops:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cmdTimeout bounds every child: a hung jpops fails the test, not the run.
const cmdTimeout = 60 * time.Second

// tenv is one test's clean environment: its own state dir and home, no FLY_*
// variables from the machine running the tests, no colour.
type tenv struct {
	t     *testing.T
	state string
	home  string
	vars  map[string]string
}

func newEnv(t *testing.T) *tenv {
	t.Helper()
	e := &tenv{t: t, state: t.TempDir(), home: t.TempDir(), vars: map[string]string{}}
	e.vars["JPOPS_STATE_DIR"] = e.state
	e.vars["HOME"] = e.home
	e.vars["NO_COLOR"] = "1"
	e.vars["TERM"] = "dumb"
	e.vars["PATH"] = os.Getenv("PATH")
	e.vars["JPOPS_BIN"] = jpopsBin
	return e
}

func (e *tenv) set(k, v string) *tenv { e.vars[k] = v; return e }

func (e *tenv) environ() []string {
	out := make([]string, 0, len(e.vars))
	for k, v := range e.vars {
		out = append(out, k+"="+v)
	}
	return out
}

// result is one finished child.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s\n--- stderr\n%s", r.code, clip(r.stdout), clip(r.stderr))
}

func clip(s string) string {
	if len(s) > 6000 {
		return s[:3000] + "\n…\n" + s[len(s)-3000:]
	}
	return s
}

// command prepares jpops with args in the test's environment.
func (e *tenv) command(ctx context.Context, stdin string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, jpopsBin, args...)
	cmd.Env = e.environ()
	cmd.Dir = e.home
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	cmd.WaitDelay = 5 * time.Second
	return cmd, &out, &errb
}

// run runs jpops to completion off a terminal.
func (e *tenv) run(args ...string) result { return e.runIn("", args...) }

func (e *tenv) runIn(stdin string, args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd, out, errb := e.command(ctx, stdin, args...)
	err := cmd.Run()
	if ctx.Err() != nil {
		e.t.Fatalf("jpops %s: still running after %s\n%s", strings.Join(args, " "), cmdTimeout, result{-1, out.String(), errb.String()})
	}
	return result{exitCode(e.t, err), out.String(), errb.String()}
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	t.Fatalf("jpops did not run: %v", err)
	return -1
}

func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("want exit %d, got:\n%s", code, r)
	}
}

func wantIn(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s lacks %q:\n%s", what, sub, clip(s))
		}
	}
}

// sim is a simulated Fly platform serving one test.
type sim struct {
	*flysim.Server
	url   string
	token string
}

const simToken = "FlyV1 fm2_e2eSimTokenNotSecretButMasked0123456789"

// startSim serves scenario on loopback and points e at it.
func (e *tenv) startSim(scenario string) *sim {
	return e.startSimToken(scenario, simToken)
}

func (e *tenv) startSimToken(scenario, token string) *sim {
	e.t.Helper()
	s, err := flysim.New(flysim.Options{Scenario: scenario, Speed: 60, Token: token, Start: time.Now().UTC()})
	if err != nil {
		e.t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	e.t.Cleanup(srv.Close)
	e.vars["FLY_FLAPS_BASE_URL"] = srv.URL
	e.vars["FLY_API_BASE_URL"] = srv.URL
	e.vars["FLY_API_TOKEN"] = token
	return &sim{Server: s, url: srv.URL, token: token}
}

// bootScript names one of the audit's boot-script fixtures, the one copy of
// the post-mortem's pre-fix and post-fix entrypoint.sh that every test uses.
func bootScript(t *testing.T, name string) string {
	t.Helper()
	fixture := map[string]string{"entrypoint-guarded.sh": "entrypoint-postfix.sh", "entrypoint-unguarded.sh": "entrypoint-prefix.sh"}[name]
	if fixture == "" {
		t.Fatalf("no boot-script fixture %q", name)
	}
	return filepath.Join("..", "..", "internal", "audit", "testdata", fixture)
}

// deployDir lays out a deploy directory with a boot script and fly.toml.
func deployDir(t *testing.T, script string) string {
	t.Helper()
	body, err := os.ReadFile(bootScript(t, script))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "entrypoint.sh"), body, 0o755); err != nil {
		t.Fatal(err)
	}
	toml := "app = \"autonomath-api\"\nprimary_region = \"nrt\"\n\n[[http_service.checks]]\n  grace_period = \"60s\"\n  path = \"/v1/healthz\"\n"
	if err := os.WriteFile(filepath.Join(dir, "fly.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// flyctlWrapper writes a flyctl that records its pid, runs prelude, then
// the body (by default exec of the stand-in flyctl). It returns the script
// and the pid file.
func flyctlWrapper(t *testing.T, prelude, body string) (script, pidfile string) {
	t.Helper()
	dir := t.TempDir()
	pidfile = filepath.Join(dir, "flyctl.pid")
	if body == "" {
		body = `exec "$JPOPS_BIN" sim flyctl "$@"`
	}
	script = filepath.Join(dir, "flyctl")
	text := "#!/bin/sh\necho $$ > '" + pidfile + "'\n" + prelude + "\n" + body + "\n"
	if err := os.WriteFile(script, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	// A flyctl left behind by a killed jpops must not outlive the test.
	t.Cleanup(func() {
		if pid := readPid(pidfile); pid > 0 {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return script, pidfile
}

func readPid(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	var pid int
	fmt.Sscanf(strings.TrimSpace(string(b)), "%d", &pid)
	return pid
}

// deployArgs are the flags of a short run against sim.
func deployArgs(s *sim, dir, flyctl string) []string {
	return []string{"-a", "autonomath-api", "--dir", dir, "--flyctl", flyctl, "--smoke-url", s.url + "/app", "--hold", "2s", "--interval", "200ms", "--settle", "2s"}
}

// journals lists the incident journals in the state dir.
func (e *tenv) journals() []string {
	e.t.Helper()
	paths, err := filepath.Glob(filepath.Join(e.state, "incidents", "*.ndjson"))
	if err != nil {
		e.t.Fatal(err)
	}
	return paths
}

// onlyJournal reads the one journal a test wrote.
func (e *tenv) onlyJournal() (string, []journal.Event) {
	e.t.Helper()
	paths := e.journals()
	if len(paths) != 1 {
		e.t.Fatalf("want one journal, got %d: %v", len(paths), paths)
	}
	evs, err := journal.Read(paths[0])
	if err != nil {
		e.t.Fatalf("read journal: %v", err)
	}
	return paths[0], evs
}

func kinds(evs []journal.Event) map[string]int {
	n := map[string]int{}
	for _, ev := range evs {
		n[ev.Kind]++
	}
	return n
}

func lastOf(evs []journal.Event, kind string) (journal.Event, bool) {
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind == kind {
			return evs[i], true
		}
	}
	return journal.Event{}, false
}

// finalVerdict is the verdict of the journal's incident_end.
func finalVerdict(t *testing.T, evs []journal.Event) string {
	t.Helper()
	ev, ok := lastOf(evs, journal.KindIncidentEnd)
	if !ok {
		t.Fatalf("journal has no incident_end (%d events)", len(evs))
	}
	return string(data[journal.IncidentEnd](ev).Verdict)
}

// data is e's payload as a T; the zero T when e is of another kind.
func data[T journal.Payload](e journal.Event) T {
	d, _ := e.Data.(T)
	return d
}

// strictLines decodes every line of a journal file, failing on any that
// does not parse: a kill -9 must not leave a torn line behind an fsync.
func strictLines(t *testing.T, path string) []journal.Event {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var evs []journal.Event
	for i, line := range bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n")) {
		var ev journal.Event
		if err := json.Unmarshal(line, &ev); err != nil {
			t.Fatalf("journal line %d does not parse: %v: %q", i+1, err, line)
		}
		evs = append(evs, ev)
	}
	return evs
}

// waitFor polls f until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// journalHas reports whether the state dir holds a journal with an event
// of kind whose data line contains sub ("" matches any).
func (e *tenv) journalHas(kind, sub string) bool {
	for _, p := range e.journals() {
		evs, err := journal.Read(p)
		if err != nil {
			continue
		}
		for _, ev := range evs {
			if ev.Kind != kind {
				continue
			}
			if sub == "" {
				return true
			}
			if strings.Contains(data[journal.CommandOutput](ev).Line, sub) {
				return true
			}
		}
	}
	return false
}

// gone reports whether pid no longer exists.
func gone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// testdata is the absolute path of a file under testdata: children run in
// their own home directory, not here.
func testdata(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
