// Package incident is the one reading of an incident's event stream: a pure
// reducer from journal events to a View. The TUI, resume, the journal
// listing, the metrics and the post-mortem all render a View; none of them
// reads event data on its own (the plain and --json faces print each event
// as written). The reducer does no I/O and reads no
// clock: the same events always give the same View. (List alone reads
// files: the journals of a directory, each reduced.)
package incident

// The journals in testdata/recorded are recorded from drills of every
// scenario; this records them again and rewrites the goldens made from them.
//go:generate go test -run TestRecordJournals -record .
//go:generate go test ../postmortem ../tui -update
//go:generate go test ../mdterm -update
//go:generate go test ../cli -run TestReplayScorecard -update

import (
	"fmt"
	"strings"
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// StatusPending is the status of a phase that has not started, beside
// journal's running, passed, failed and skipped.
const StatusPending = "pending"

// MaxOutput bounds the deploy output a View keeps; the journal keeps all of it.
const MaxOutput = 5000

// At is one event's payload with when and in which phase it happened.
type At[T journal.Payload] struct {
	TS    time.Time
	Phase string
	Data  T
}

// Phase is one runbook phase as the events left it.
type Phase struct {
	ID, Title      string
	Status         string // pending, running, passed, failed, skipped
	Reason         string
	Started, Ended time.Time

	// What the phase's panel shows. Repeated machines, preconditions and
	// smoke checks replace their earlier row.
	Machines []journal.Machine
	Evidence []journal.Evidence
	Verdicts []journal.Verdict
	Checks   []journal.Precondition
	Smoke    []journal.SmokeResult
	Shown    []SmokeMachine // the smoke walk's machines, as they last changed
	Notes    []string
}

// SmokeMachine is one machine in the smoke walk as it last changed, and
// since when it has been good (zero while it is not).
type SmokeMachine struct {
	journal.SmokeMachine
	Changed   time.Time
	GoodSince time.Time
}

// Command is one command jpops ran (the escape deploy), start to exit.
type Command struct {
	Phase   string
	Started time.Time
	journal.CommandStart
	Exited bool
	ExitAt time.Time
	Exit   journal.CommandExit
}

// Signalled reports whether a signal, not the command, ended it.
func (c Command) Signalled() bool { return c.Exited && c.Exit.Signal != "" }

// Ended says how the command ended, as the journal shows it, after its
// name: "exited 0", "was interrupted and then exited 127", "was killed by
// a signal (killed)". An interrupted flyctl's exit code is its answer to the
// interrupt, never to be read as a failure of its own (127 is not "command
// not found" here).
func (c Command) Ended() string {
	switch {
	case !c.Exited:
		return "ended off the record"
	case c.Exit.Signal != "" && c.Exit.Interrupted:
		return fmt.Sprintf("was interrupted and then killed by a signal (%s)", c.Exit.Signal)
	case c.Exit.Signal != "":
		return fmt.Sprintf("was killed by a signal (%s)", c.Exit.Signal)
	case c.Exit.Interrupted:
		return fmt.Sprintf("was interrupted and then exited %d", c.Exit.Code)
	}
	return fmt.Sprintf("exited %d", c.Exit.Code)
}

// Line returns the command as the runbook names it, else the argv run.
func (c Command) Line() string {
	if c.Command != "" {
		return c.Command
	}
	return strings.Join(c.Argv, " ")
}

// Hold is the stability hold as the journal shows it. A resumed walk holds
// again from zero, possibly for another length: Met and HeldS are the hold
// that was met, never the one first asked for.
type Hold struct {
	Seen       bool
	ElapsedS   float64 // the latest progress mark
	RemainingS float64
	HoldS      float64
	Met        bool
	HeldS      float64 // the length of the hold that was met
	Starts     int     // holds begun (more than one after a resume)
}

// View is an incident as its events tell it.
type View struct {
	Incident string
	Mode     string
	Start    journal.IncidentStart // what was asked for at incident_start
	Started  time.Time             // incident_start; zero when missing
	Ended    time.Time             // incident_end; zero while open
	First    time.Time             // the first event
	Last     time.Time             // the newest event: "now" for a screen
	LastSeq  int
	Events   int
	Resumes  int // walks resumed after the first

	Phases  []Phase
	Current int // index of the phase shown: the latest started; -1 before any

	Verdict   verdict.Verdict            // the latest verdict
	Diagnosis *At[journal.Verdict]       // the boot-logs verdict, else the first one
	Final     verdict.Verdict            // incident_end's; empty while open
	ExitCode  int                        // incident_end's
	End       journal.IncidentEnd        // all of incident_end
	Abort     string                     // the latest abort's reason
	Signature []At[journal.Machine]      // the first sighting of each machine with the hang signature
	Evidence  []At[journal.Evidence]     // boot-op lines that had not completed, each once
	Preconds  []At[journal.Precondition] // every precondition, in order
	Gates     []At[journal.Gate]         // every gate, in order
	Commands  []Command                  // every command run, in order
	Output    []string                   // the latest command's output lines, the last MaxOutput
	OutputN   int                        // lines the latest command printed, MaxOutput or not
	SmokeFail []At[journal.SmokeResult]  // failed smoke checks, each once
	Hold      Hold
	Image     string             // the image the deploy reported, the latest non-empty
	Digest    string             // its digest
	Prior     map[string]string  // machine -> image seen before the deploy started
	Recorded  map[string]string  // machine -> image@digest the images_recorded precondition kept
	Timeline  []Moment           // what the post-mortem's timeline shows, in event order
	Pages     []At[journal.Page] // the watchdog's pages that opened the incident, in order

	metrics marks
	seen    map[string]bool // keys of what is shown once
}

// New returns the View of no events: every runbook phase pending.
func New() *View {
	v := &View{Current: -1, Prior: map[string]string{}, Recorded: map[string]string{}, seen: map[string]bool{}}
	rb := runbook.Default()
	for _, id := range runbook.PhaseIDs {
		v.Phases = append(v.Phases, Phase{ID: id, Title: rb.Phase(id).Title, Status: StatusPending})
	}
	return v
}

// Reduce folds events into a View.
func Reduce(events []journal.Event) *View {
	v := New()
	for _, e := range events {
		v.Apply(e)
	}
	return v
}

// PhaseByID returns the phase with id, or nil.
func (v *View) PhaseByID(id string) *Phase {
	for i := range v.Phases {
		if v.Phases[i].ID == id {
			return &v.Phases[i]
		}
	}
	return nil
}

// PhaseIndex is the index of phase id in Phases; -1 when none.
func (v *View) PhaseIndex(id string) int {
	for i := range v.Phases {
		if v.Phases[i].ID == id {
			return i
		}
	}
	return -1
}

// App is the incident's app.
func (v *View) App() string { return v.Start.App }

// HoldAsked is the stability hold asked for at incident_start.
func (v *View) HoldAsked() time.Duration { return secs(v.Start.HoldS) }

// Finished reports whether the incident has ended.
func (v *View) Finished() bool { return v.Final != "" }

// Deploy is the latest command of the escape phase; nil when none ran.
func (v *View) Deploy() *Command {
	for i := len(v.Commands) - 1; i >= 0; i-- {
		if v.Commands[i].Phase == runbook.PhaseEscape {
			return &v.Commands[i]
		}
	}
	return nil
}

// Deploying reports whether the deploy is between start and exit.
func (v *View) Deploying() bool { d := v.Deploy(); return d != nil && !d.Exited }

// Deployed reports whether the deploy ran to exit 0.
func (v *View) Deployed() bool {
	d := v.Deploy()
	return d != nil && d.Exited && d.Exit.Code == 0 && d.Exit.Signal == ""
}

// DeployInDoubt reports whether the deploy started but its exit was never
// recorded: it may have run to the end. Resume must ask before running it again.
func (v *View) DeployInDoubt() bool { return v.Deploying() }

// NextPhase is the first runbook phase that has not passed or been skipped;
// "" when the incident has ended or every phase is done.
func (v *View) NextPhase() string {
	if v.Finished() {
		return ""
	}
	for _, p := range v.Phases {
		if p.Status != journal.StatusPassed && p.Status != journal.StatusSkipped {
			return p.ID
		}
	}
	return ""
}

// Verified reports whether recovery was verified: the smoke walk passed or
// the incident ended RECOVERED.
func (v *View) Verified() bool { return !v.metrics.verified.IsZero() }

// panel returns the data of the event's phase, or of the current phase for
// events that name none of the four.
func (v *View) panel(id string) *Phase {
	if i := v.PhaseIndex(id); i >= 0 {
		return &v.Phases[i]
	}
	if v.Current >= 0 {
		return &v.Phases[v.Current]
	}
	return nil
}

func (v *View) once(key string) bool {
	if v.seen[key] {
		return false
	}
	v.seen[key] = true
	return true
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func upsert[T any](list []T, x T, same func(T) bool) []T {
	for i := range list {
		if same(list[i]) {
			list[i] = x
			return list
		}
	}
	return append(list, x)
}
