// Package phases is the engine of the DB-boot-hang runbook: the four phases,
// their preconditions, the gate, the verdicts and the events every face of
// jpops renders. It never imports a UI: the TUI, the plain lines and the
// NDJSON stream are all fed from the same journal.Event values.
//
// Every event is appended (and fsynced) to the incident journal before the
// engine moves on; an event that cannot be written stops the run, because a
// runbook step that is not on record cannot be resumed or reviewed.
package phases

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jpops-dev/jpops/internal/advice"
	"github.com/jpops-dev/jpops/internal/clock"
	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// Gate is the typed confirmation before the escape deploy.
type Gate struct {
	Command string // the exact command line that will run
	Dir     string // where it runs
	Expect  string // what the operator must type: the app name
}

// Machines is what the smoke walk reads from Fly.
type Machines interface {
	ListMachines(ctx context.Context, app string) ([]flyapi.Machine, error)
}

// Fly is what a walk reads from Fly: the machines, and the logs phase 2
// pages through. *flyapi.HTTPClient is one; flyapitest.Fly fakes it.
type Fly interface {
	Machines
	flyapi.LogReader
}

// Options configure one walk of the runbook.
type Options struct {
	App     string
	Runbook *runbook.Runbook
	Fly     Fly
	Journal *journal.Journal    // nil: events are reported but not journaled
	Report  func(journal.Event) // every event, after it is journaled
	// Retried hears each retry of a Fly API call as it happens, with the
	// phase under way (see flyapi.Retry); it is not journaled per attempt:
	// each phase's retries are journaled as one note. nil: not shown.
	Retried func(phase string, r flyapi.Retry)
	// Now and Sleep are the engine's clock: the platform's time (simulated in
	// drills) and a wait on it. The settle and the hold run on them, so Hold,
	// Interval and Settle are durations of this clock. Default: the wall clock.
	Now     func() time.Time
	Sleep   func(context.Context, time.Duration) error
	Mode    string
	Machine string // focus: only this machine (from a watchdog alert)

	// Phase 2.
	LogPages    int // most log pages read per machine (bounds a flood)
	Concurrency int // machines read at once; 0: every machine, the API client bounding the requests in flight

	// Phase 3.
	Flyctl       []string // program and leading args of the flyctl to run
	FlyctlEnv    []string // nil: the process environment
	Dir          string
	Config       string // directory of the fly.toml that names the app (--config); "": Dir
	NoBootScript bool   // the operator says the app has no boot script to audit
	Force        bool
	Yes          bool
	DryRun       bool
	Confirm      func(context.Context, Gate) (bool, error) // nil: no one can be asked
	Interrupts   <-chan struct{}                           // operator's Ctrl-C during the deploy
	SkipDeploy   bool                                      // resume: the deploy already ran
	ResumeImage  string                                    // resume: the image it deployed
	ResumeReason string                                    // resume: what is true now, journaled with "resumed"

	// Phase 4.
	SmokeURL string
	HTTP     *http.Client
	Hold     time.Duration
	Interval time.Duration
	Settle   time.Duration // how long machines may take to pass before the hold starts
}

// Result is how a walk ended.
type Result struct {
	Verdict  verdict.Verdict
	Reason   string
	Next     advice.Advice // the next step: one command, and a note apart
	Image    string        // the deployed image, when phase 3 ran
	Digest   string
	Machines []MachineView
	Evidence []Evidence
	Failure  *SmokeFailure
}

// ExitCode is the process exit code for the result.
func (r Result) ExitCode() int { return r.Verdict.ExitCode() }

// engine carries one walk's state.
type engine struct {
	o  Options
	mu sync.Mutex // serialises emit: parallel fetches report too

	// before is each machine's state as phase 1 saw it, before the deploy:
	// it decides which machines the deploy starts (see smokeRule).
	before map[string]string

	retries retryLog
	shown   smokeShown // each machine as the smoke walk last journaled it
}

func newEngine(o Options) (*engine, error) {
	if o.Runbook == nil {
		o.Runbook = runbook.Default()
	}
	if o.App == "" {
		return nil, errors.New("no app given: pass -a APP, set FLY_APP, or run in a directory with fly.toml")
	}
	if o.Now == nil {
		o.Now = clock.Wall.Now
	}
	if o.Sleep == nil {
		o.Sleep = clock.Sleep
	}
	if o.Report == nil {
		o.Report = func(journal.Event) {}
	}
	if o.Mode == "" {
		o.Mode = journal.ModeLive
	}
	if o.LogPages <= 0 {
		o.LogPages = 50
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 15 * time.Second}
	}
	if o.Hold == 0 {
		o.Hold = o.Runbook.Smoke.Hold.Duration
	}
	if o.Interval <= 0 {
		o.Interval = o.Runbook.Smoke.Interval.Duration
	}
	if o.Settle == 0 {
		o.Settle = 2 * time.Minute
	}
	if err := CheckSmokeURL(o); err != nil {
		return nil, err
	}
	return &engine{o: o}, nil
}

// emit journals an event and then reports it. A journal failure is returned:
// the caller must stop.
func (e *engine) emit(phase string, p journal.Payload) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	ev := journal.New(phase, p)
	ev.TS, ev.Mode = e.o.Now().UTC(), e.o.Mode
	if e.o.Journal != nil {
		written, err := e.o.Journal.Append(ev)
		if err != nil {
			return err // it says "journal" and which file already
		}
		ev = written
	} else {
		ev = journal.Redacted(ev) // shown, so redacted, even when not journaled
	}
	e.o.Report(ev)
	return nil
}

func (e *engine) phaseStart(id string) error {
	e.retriesDuring(id, "")
	return e.emit(id, journal.PhaseStart{Title: e.o.Runbook.Phase(id).Title})
}

func (e *engine) phaseEnd(id, status, reason string) error {
	if err := e.noteRetries(id); err != nil {
		return err
	}
	return e.emit(id, journal.PhaseEnd{Status: status, Reason: reason})
}

func (e *engine) verdict(phase string, v verdict.Verdict, reason string, next advice.Advice) error {
	return e.emit(phase, journal.Verdict{Verdict: v, Reason: reason, Next: next.Command, NextNote: next.Note})
}

func seconds(d time.Duration) float64 { return float64(d.Round(time.Second)) / float64(time.Second) }

// shellJoin renders argv as a command line a person can paste.
func shellJoin(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"$`\\|&;<>()*?[]#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}
