package incident_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flysim"
	"github.com/jpops-dev/jpops/internal/incident"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/notify"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/watch"
	"github.com/jpops-dev/jpops/runbook"
)

// The journals in testdata/recorded are recorded from drills: the engine
// walks the runbook against the simulated platform, with a real journal and
// flyctl's stand-in run as a real child process. `go generate
// ./internal/incident` records them again and rewrites the goldens made
// from them (the post-mortem's and the TUI's).
var record = flag.Bool("record", false, "record testdata/recorded/*.ndjson again from drills")

const (
	recordedDir = "testdata/recorded"
	// recordToken has the shape of a Fly token, so the redactor must mask it
	// wherever it would reach a journal.
	recordToken = "fo1_recordRecordRecordRecordRecord00"
	// envFlyctl makes the test binary act as flyctl's stand-in.
	envFlyctl = "JPOPS_INCIDENT_TEST_FLYCTL"
	// deployDirShown is where the recorded journals say the deploy ran.
	deployDirShown = "/srv/autonomath-api"
)

func TestMain(m *testing.M) {
	if os.Getenv(envFlyctl) == "1" {
		os.Exit(flysim.FlyctlMain(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
	}
	os.Exit(m.Run())
}

// drill is one recorded journal: a scenario, how the walk is steered, and
// what happens after the first walk stops (a resume).
type drill struct {
	name, scenario string
	mode           string // the journal's mode; drill when empty
	paged          bool   // the watchdog runs first and the walk answers its page (the replay)
	steer          func(o *phases.Options, stop context.CancelFunc, interrupts chan<- struct{}) func(journal.Event)
	resume         func(o *phases.Options, v *incident.View)
}

var drills = []drill{
	{name: "db-boot-hang", scenario: "db-boot-hang", steer: operatorConfirms(true)},
	{name: "healthy", scenario: "healthy"},
	{name: "other-failure", scenario: "other-failure"},
	{name: "deploy-fails", scenario: "deploy-fails"},
	{name: "fix-missing", scenario: "fix-missing"},
	{name: "flaky-api", scenario: "flaky-api"},
	{name: "autoscaled", scenario: "autoscaled"},
	{name: "replay-2026-05-11", scenario: flysim.ReplayScenario, paged: true},
	{name: "gate-refused", scenario: "db-boot-hang", steer: operatorConfirms(false)},
	{name: "no-terminal", scenario: "db-boot-hang", steer: func(o *phases.Options, _ context.CancelFunc, _ chan<- struct{}) func(journal.Event) {
		o.Yes, o.Confirm = false, nil
		return nil
	}},
	{name: "dry-run", scenario: "db-boot-hang", mode: journal.ModeDryRun, steer: func(o *phases.Options, _ context.CancelFunc, _ chan<- struct{}) func(journal.Event) {
		o.DryRun = true
		return nil
	}},
	// jpops is stopped 1m30s into the 5-minute hold, and resumed with a
	// 20-second one.
	{name: "hold-resumed", scenario: "db-boot-hang",
		steer: func(o *phases.Options, stop context.CancelFunc, _ chan<- struct{}) func(journal.Event) {
			return func(e journal.Event) {
				if h, ok := e.Data.(journal.Hold); ok && h.ElapsedS >= 90 {
					stop()
				}
			}
		},
		resume: func(o *phases.Options, v *incident.View) {
			o.SkipDeploy, o.ResumeImage = true, v.Digest
			o.Hold = 20 * time.Second
		}},
	// The operator presses Ctrl-C while flyctl deploys, then resumes, which
	// walks again and deploys again.
	{name: "deploy-interrupted", scenario: "db-boot-hang",
		steer: func(o *phases.Options, _ context.CancelFunc, interrupts chan<- struct{}) func(journal.Event) {
			var once sync.Once
			return func(e journal.Event) {
				if _, ok := e.Data.(journal.CommandOutput); ok {
					once.Do(func() { interrupts <- struct{}{} })
				}
			}
		},
		resume: func(o *phases.Options, v *incident.View) {}},
}

func operatorConfirms(yes bool) func(o *phases.Options, _ context.CancelFunc, _ chan<- struct{}) func(journal.Event) {
	return func(o *phases.Options, _ context.CancelFunc, _ chan<- struct{}) func(journal.Event) {
		o.Yes = false
		o.Confirm = func(context.Context, phases.Gate) (bool, error) { return yes, nil }
		return nil
	}
}

func TestRecordJournals(t *testing.T) {
	if !*record {
		t.Skip("records the journals in testdata/recorded: go generate ./internal/incident")
	}
	if err := os.MkdirAll(recordedDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range drills {
		t.Run(d.name, func(t *testing.T) {
			raw := recordDrill(t, d)
			if err := os.WriteFile(filepath.Join(recordedDir, d.name+journal.Ext), raw, 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// recordDrill walks one drill (and its resume) and returns its journal,
// with what differs from run to run on this machine (the deploy
// directory, the loopback port, the test binary standing in for flyctl)
// made stable.
func recordDrill(t *testing.T, d drill) []byte {
	sim, err := flysim.New(flysim.Options{Scenario: d.scenario, Speed: 600, Token: recordToken})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(sim.Handler())
	defer ts.Close()
	clk := simClock{sim.Clock()}
	fly, err := flyapi.New(flyapi.Config{MachinesBaseURL: ts.URL, LogsBaseURL: ts.URL, Token: recordToken, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script, err := os.ReadFile(filepath.Join("..", "audit", "testdata", "entrypoint-postfix.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "entrypoint.sh"), script, 0o755); err != nil {
		t.Fatal(err)
	}
	// The deploy directory is the app's: phase 3 refuses one whose fly.toml
	// names no app, or another.
	if err := os.WriteFile(filepath.Join(dir, "fly.toml"), []byte(fmt.Sprintf("app = %q\n", sim.App())), 0o644); err != nil {
		t.Fatal(err)
	}
	id := "20260511T121800Z-" + sim.App() + "-" + d.name
	mode := d.mode
	if mode == "" {
		mode = journal.ModeDrill
	}
	jr, err := journal.Create(t.TempDir(), id, mode)
	if err != nil {
		t.Fatal(err)
	}
	jr.SetClock(clk.Now)
	path := jr.Path()

	interrupts := make(chan struct{}, 1)
	o := phases.Options{
		App: sim.App(), Runbook: runbook.Default(), Fly: fly, Now: clk.Now, Sleep: clk.Sleep,
		Journal: jr, Mode: mode,
		Flyctl: []string{exe},
		FlyctlEnv: append(os.Environ(), envFlyctl+"=1",
			"FLY_FLAPS_BASE_URL="+ts.URL, "FLY_API_BASE_URL="+ts.URL, "FLY_API_TOKEN="+recordToken),
		Dir: dir, Yes: true, SmokeURL: ts.URL + "/app", Interrupts: interrupts,
		Hold: runbook.Default().Smoke.Hold.Duration, Interval: runbook.Default().Smoke.Interval.Duration,
		Settle: 30 * time.Minute,
	}
	ctx, stop := context.WithTimeout(context.Background(), time.Minute)
	defer stop()
	if d.steer != nil {
		o.Report = d.steer(&o, stop, interrupts)
	}
	if d.paged {
		err := watch.PagesUntilHung(ctx, watch.Config{App: o.App, Runbook: o.Runbook, Fly: fly, Now: clk.Now, Sleep: clk.Sleep, Drill: true},
			func(a notify.Alert) error { _, err := jr.Append(watch.PageEvent(a, mode)); return err })
		if err != nil {
			t.Fatalf("drill %s: the watchdog did not page: %v", d.name, err)
		}
	}
	_, runErr := phases.Run(ctx, o)
	jr.Close()
	if d.resume == nil {
		if runErr != nil && !errors.Is(runErr, phases.ErrNoConfirmer) {
			t.Fatalf("drill %s: %v", d.name, runErr)
		}
	} else {
		if runErr == nil {
			t.Fatalf("drill %s was to be stopped, and ran to the end", d.name)
		}
		jr, events, err := journal.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		jr.SetClock(clk.Now)
		o.Journal, o.Report, o.Yes, o.Confirm = jr, nil, true, nil
		d.resume(&o, incident.Reduce(events))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err = phases.Continue(ctx, o)
		jr.Close()
		if err != nil {
			t.Fatalf("resume of drill %s: %v", d.name, err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.ReplaceAll(raw, []byte(dir), []byte(deployDirShown))
	raw = bytes.ReplaceAll(raw, []byte(exe), []byte("flyctl"))
	raw = bytes.ReplaceAll(raw, []byte(filepath.Base(exe)), []byte("flyctl")) // errors name the program
	return regexp.MustCompile(`127\.0\.0\.1:\d+`).ReplaceAll(raw, []byte("127.0.0.1:8080"))
}

// simClock is the simulator's time: a wait moves the simulation forward at
// once, so the hold and the retry backoffs take no real time.
type simClock struct{ c *flysim.Clock }

func (s simClock) Now() time.Time { return s.c.Now() }
func (s simClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.c.Advance(d)
	return nil
}
