package phases_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flysim"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

const (
	testToken = "phases-test-token"
	// envFlyctlChild makes the test binary act as the stand-in flyctl: the
	// escape deploy runs it as a real child process, exactly as the drill runs
	// `jpops sim flyctl`, without needing the jpops binary built.
	envFlyctlChild = "JPOPS_PHASES_TEST_FLYCTL"
	simSpeed       = 600 // a 94 s simulated rolling deploy takes ~0.2 s
)

func TestMain(m *testing.M) {
	if os.Getenv(envFlyctlChild) == "1" {
		os.Exit(flysim.FlyctlMain(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
	}
	os.Exit(m.Run())
}

// rig is one simulated platform, a real client, a real journal and the
// options of one walk.
type rig struct {
	t     *testing.T
	sim   *flysim.Server
	url   string
	opts  phases.Options
	jr    *journal.Journal
	clock *simClock

	mu       sync.Mutex
	reported []journal.Event
	onEvent  func(journal.Event) // runs inside Report, after the event is journaled
}

type rigConfig struct {
	timeout time.Duration // the client's per-request timeout
	quirks  flysim.Quirks // real-platform behaviours the simulator shows
	token   string        // default testToken
	speed   float64       // the simulator's speed; default simSpeed
}

func newRig(t *testing.T, scenario string, cfgs ...rigConfig) *rig {
	t.Helper()
	var cfg rigConfig
	if len(cfgs) > 0 {
		cfg = cfgs[0]
	}
	token := testToken
	if cfg.token != "" {
		token = cfg.token
	}
	speed := float64(simSpeed)
	if cfg.speed > 0 {
		speed = cfg.speed
	}
	sim, err := flysim.New(flysim.Options{Scenario: scenario, Speed: speed, Token: token, Quirks: cfg.quirks})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(sim.Handler())
	t.Cleanup(ts.Close)
	clk := &simClock{c: sim.Clock()}
	fly, err := flyapi.New(flyapi.Config{
		MachinesBaseURL: ts.URL, LogsBaseURL: ts.URL, Token: token,
		Timeout: cfg.timeout,
		Clock:   clk,
		// The fault bursts here are counted in requests; the rate bound would
		// stretch them in simulated time (flyapi's own tests hold it).
		MachinesPerSecond: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, sim: sim, url: ts.URL, clock: clk}
	r.jr = newJournal(t, filepath.Join(t.TempDir(), "incidents"), sim)
	t.Cleanup(func() { r.jr.Close() })
	r.opts = phases.Options{
		App:     sim.App(),
		Runbook: runbook.Default(),
		Fly:     fly,
		Now:     clk.Now,
		Sleep:   clk.Sleep,
		Journal: r.jr,
		Report:  r.report,
		Mode:    journal.ModeDrill,
		Flyctl:  []string{exe},
		FlyctlEnv: append(os.Environ(), envFlyctlChild+"=1",
			"FLY_FLAPS_BASE_URL="+ts.URL, "FLY_API_BASE_URL="+ts.URL, "FLY_API_TOKEN="+token),
		Dir:      deployDir(t, "entrypoint.sh"),
		Yes:      true,
		SmokeURL: ts.URL + "/app",
		// The runbook's own hold: on the simulator's clock it takes no real time.
		Hold:     runbook.Default().Smoke.Hold.Duration,
		Interval: runbook.Default().Smoke.Interval.Duration,
		Settle:   30 * time.Minute,
	}
	return r
}

// simClock is the engine's and the client's clock in these tests: the
// simulator's time, where a wait moves the simulation forward at once, so
// the 5-minute hold and every retry backoff take no real time.
type simClock struct {
	c      *flysim.Clock
	mu     sync.Mutex
	sleeps []time.Duration
}

func (s *simClock) Now() time.Time { return s.c.Now() }
func (s *simClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	s.sleeps = append(s.sleeps, d)
	s.mu.Unlock()
	s.c.Advance(d)
	return nil
}

// slept is every wait asked of the clock, in order.
func (s *simClock) slept() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sleeps)
}

func newJournal(t *testing.T, dir string, sim *flysim.Server) *journal.Journal {
	t.Helper()
	jr, err := journal.Create(dir, journal.NewID(sim.App(), sim.Clock().Now()), journal.ModeDrill)
	if err != nil {
		t.Fatal(err)
	}
	jr.SetClock(sim.Clock().Now)
	return jr
}

// deployDir is a deploy directory holding one of the audit's boot-script
// fixtures (the post-mortem's post-fix or pre-fix entrypoint.sh) as entrypoint.sh.
func deployDir(t *testing.T, script string) string {
	t.Helper()
	fixture := map[string]string{"entrypoint.sh": "entrypoint-postfix.sh", "entrypoint-unguarded.sh": "entrypoint-prefix.sh"}[script]
	if fixture == "" {
		t.Fatalf("no boot-script fixture %q", script)
	}
	b, err := os.ReadFile(filepath.Join("..", "audit", "testdata", fixture))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "entrypoint.sh"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFlyToml(t, dir)
	return dir
}

// writeFlyToml makes dir the app's deploy directory, as phase 3 requires.
// shellFlyctl writes a shell script of body standing in for flyctl into
// dir, and returns its path.
func shellFlyctl(t *testing.T, dir, body string) string {
	t.Helper()
	path := filepath.Join(dir, "flyctl")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeFlyToml(t *testing.T, dir string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "fly.toml"), []byte("app = \"autonomath-api\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) report(e journal.Event) {
	r.mu.Lock()
	r.reported = append(r.reported, e)
	hook := r.onEvent
	r.mu.Unlock()
	if hook != nil {
		hook(e)
	}
}

func (r *rig) events() []journal.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reported)
}

func (r *rig) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	r.t.Cleanup(cancel)
	return ctx
}

// readBack reads the journal file and checks that it holds every event the
// engine reported, in order, with contiguous sequence numbers from 1: the
// "no journal event already written is lost" property.
func (r *rig) readBack() []journal.Event {
	r.t.Helper()
	return checkJournal(r.t, r.jr.Path(), r.events())
}

func checkJournal(t *testing.T, path string, reported []journal.Event) []journal.Event {
	t.Helper()
	got, err := journal.Read(path)
	if err != nil {
		t.Fatalf("read the journal back: %v", err)
	}
	for i, e := range got {
		if e.Seq != i+1 {
			t.Fatalf("journal event %d has seq %d: sequence not contiguous", i, e.Seq)
		}
	}
	if len(got) < len(reported) {
		t.Fatalf("journal holds %d events, the engine reported %d: events lost", len(got), len(reported))
	}
	for i, e := range reported {
		if got[i].Seq != e.Seq || got[i].Kind != e.Kind || got[i].Phase != e.Phase {
			t.Fatalf("journal event %d is %s/%s seq %d, reported %s/%s seq %d", i, got[i].Phase, got[i].Kind, got[i].Seq, e.Phase, e.Kind, e.Seq)
		}
	}
	return got
}

// skeleton is the walk's shape: the structural events as phase/kind, with
// the status or verdict they carry. Repeated events (machines, evidence,
// output lines, smoke results, holds, notes, preconditions) are left out.
func skeleton(events []journal.Event) []string {
	var out []string
	for _, e := range events {
		s := e.Phase + "/" + e.Kind
		switch e.Kind {
		case journal.KindPhaseEnd:
			s += ":" + data[journal.PhaseEnd](e).Status
		case journal.KindVerdict:
			s += ":" + string(data[journal.Verdict](e).Verdict)
		case journal.KindIncidentEnd:
			s += ":" + string(data[journal.IncidentEnd](e).Verdict)
		case journal.KindGate:
			s += ":" + data[journal.Gate](e).ConfirmedBy
		case journal.KindIncidentStart, journal.KindPhaseStart, journal.KindCommandStart,
			journal.KindCommandExit, journal.KindAbort:
		default:
			continue
		}
		out = append(out, s)
	}
	return out
}

func kinds(events []journal.Event, kind string) []journal.Event {
	var out []journal.Event
	for _, e := range events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// data is e's payload as a T; the zero T when e is of another kind.
func data[T journal.Payload](e journal.Event) T {
	d, _ := e.Data.(T)
	return d
}

// exitCode is the process exit code the CLI gives a walk's outcome
// (internal/cli.ExitCode): the verdict's code, or for an error 130 when
// interrupted, 3 when not authorised, else 1.
func exitCode(res phases.Result, err error) int {
	switch {
	case err == nil:
		return res.ExitCode()
	case errors.Is(err, context.Canceled):
		return verdict.ExitInterrupted
	case flyapi.IsAuth(err):
		return verdict.ExitUnauthorized
	}
	return verdict.ExitError
}

// Skeletons of whole walks, shared by the engine tests and the fault matrix.
var (
	diagnoseHang = []string{
		"diagnose/phase_start", "diagnose/phase_end:passed",
		"bootlogs/phase_start", "bootlogs/phase_end:passed", "bootlogs/verdict:HANG_CONFIRMED",
	}
	recoveredWalk = concat([]string{"incident/incident_start"}, diagnoseHang, []string{
		"escape/phase_start", "escape/gate:--yes", "escape/command_start", "escape/command_exit", "escape/phase_end:passed",
		"smoke/phase_start", "smoke/phase_end:passed", "smoke/verdict:RECOVERED",
		"incident/incident_end:RECOVERED",
	})
)

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func wantSkeleton(t *testing.T, events []journal.Event, want []string) {
	t.Helper()
	if got := skeleton(events); !slices.Equal(got, want) {
		t.Errorf("event sequence:\n got  %s\n want %s", strings.Join(got, " "), strings.Join(want, " "))
	}
}
