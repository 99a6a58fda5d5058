package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/jpops-dev/jpops/internal/advice"

	tea "charm.land/bubbletea/v2"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/lock"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/redact"
	"github.com/jpops-dev/jpops/internal/report"
	"github.com/jpops-dev/jpops/internal/state"
	"github.com/jpops-dev/jpops/internal/tui"
	"github.com/jpops-dev/jpops/internal/verdict"
)

// walk is one run of the runbook through one face: the TUI on a terminal,
// NDJSON with --json, plain lines otherwise.
type walk struct {
	opts     phases.Options
	jsonOut  bool
	tui      bool
	drill    bool
	scenario string
	journal  *journal.Journal // created by start, or given for resume
	resume   bool
	lock     *lock.Lock // held from start (or resume's hold) to the end of run

	// rehearse, in a drill, may stop the walk as the operator's Ctrl-C
	// would, to rehearse jpops resume; done closes when the walk ends.
	rehearse func(done <-chan struct{}, interrupt func())
}

// walkOutcome is what the command reports after the walk.
type walkOutcome struct {
	result   phases.Result
	incident string
	path     string
}

// start takes the app's lock and opens the incident journal under the
// state directory.
func (w *walk) start(env walkEnv, mode string) error {
	if w.journal != nil {
		return nil
	}
	dir, err := env.StateDir()
	if err != nil {
		return err
	}
	id := journal.NewID(w.opts.App, env.Now())
	if err := w.hold(dir, mode, id); err != nil {
		return err
	}
	j, err := journal.Create(filepath.Join(dir, state.IncidentsDir), id, mode)
	if err != nil {
		w.lock.Release()
		return err
	}
	w.journal = j
	return nil
}

// hold takes the lock that makes this jpops the only one on the app's
// incident: two runs could deploy twice, and a resume beside a live run
// would write one journal from two processes. A dry run deploys nothing
// and takes no lock; a drill's platform is its own, so its lock is its
// incident's. The kernel drops the lock when jpops exits, however it exits.
func (w *walk) hold(stateDir, mode, incident string) error {
	key := lockKey(mode, w.opts.App, incident)
	if key == "" {
		return nil
	}
	verb := "run"
	switch {
	case w.resume:
		verb = "resume " + incident
	case w.drill:
		verb = "drill"
	}
	l, err := lock.Acquire(stateDir, key, lock.Holder{Command: "jpops " + verb + " -a " + w.opts.App, Incident: incident})
	var held *lock.HeldError
	if errors.As(err, &held) {
		return &ExitError{Code: verdict.ExitEscapeFailed, Err: fmt.Errorf("refused: %w", err)}
	}
	if err != nil {
		return err
	}
	w.lock = l
	return nil
}

// lockKey names the lock an incident's walk holds; "" means none.
func lockKey(mode, app, incident string) string {
	switch mode {
	case journal.ModeDryRun:
		return ""
	case journal.ModeDrill:
		return "drill-" + incident
	}
	if app == "" {
		return "incident-" + incident
	}
	return app
}

// errHangUp ends a walk whose terminal went away before the gate was
// passed: nobody is left to answer it, and nothing has been deployed.
var errHangUp = fmt.Errorf("the terminal hung up before the deploy; nothing was deployed: %w", context.Canceled)

// walkState is what the signal handlers and the faces share while a walk runs.
type walkState struct {
	mu        sync.Mutex
	deploying bool // flyctl runs: Ctrl-C goes to it
	committed bool // the gate was passed (or resume skips the deploy): a hang-up must not stop the walk
	headless  bool // the terminal is gone: nothing is shown any more
	phase     string
	face      func(journal.Event)
	retried   func(phase string, r flyapi.Retry) // nil: retries are not shown
}

// showRetry shows a retry of a Fly API call on the face, if there is one.
func (s *walkState) showRetry(phase string, r flyapi.Retry) {
	s.mu.Lock()
	show := s.retried
	s.mu.Unlock()
	if show != nil {
		show(phase, r)
	}
}

func (s *walkState) track(ev journal.Event) {
	s.mu.Lock()
	switch ev.Kind {
	case journal.KindCommandStart:
		s.deploying = true
	case journal.KindCommandExit:
		s.deploying = false
	case journal.KindGate:
		if gate, _ := ev.Data.(journal.Gate); gate.OK {
			s.committed = true
		}
	}
	if ev.Phase != "" && ev.Phase != journal.PhaseIncident {
		s.phase = ev.Phase
	}
	face := s.face
	s.mu.Unlock()
	face(ev)
}

func (s *walkState) setFace(f func(journal.Event)) {
	s.mu.Lock()
	s.face = f
	s.mu.Unlock()
}

// run walks the runbook and returns its outcome. Interrupts are routed to
// flyctl while it deploys and cancel the walk otherwise. A hang-up (SIGHUP,
// or the TUI losing its terminal) before the gate ends the walk; after it,
// the walk goes on without a face and journals to the end, because stopping
// a rolling deploy halfway is worse than finishing it unwatched.
func (w *walk) run(ctx context.Context, env walkEnv) (walkOutcome, error) {
	defer w.lock.Release()
	ctx, cancelCause := context.WithCancelCause(ctx)
	defer cancelCause(nil)
	cancel := func() { cancelCause(context.Canceled) }
	interrupts := make(chan struct{}, 2)
	st := &walkState{committed: w.opts.SkipDeploy, face: func(journal.Event) {}}
	interrupt := func() {
		st.mu.Lock()
		d := st.deploying
		st.mu.Unlock()
		if d {
			select {
			case interrupts <- struct{}{}:
			default:
			}
			return
		}
		cancel()
	}
	var program *tea.Program    // set before any hang-up can reach it
	done := make(chan struct{}) // closed when the engine returns
	hangUp := func() {
		select {
		case <-done: // the walk is over: only the screen is left to close
			if program != nil {
				go program.Kill()
			}
			return
		default:
		}
		st.mu.Lock()
		if st.headless {
			st.mu.Unlock()
			return
		}
		st.headless, st.face, st.retried = true, func(journal.Event) {}, nil
		committed, phase := st.committed, st.phase
		st.mu.Unlock()
		text := fmt.Sprintf("the terminal hung up during phase %s, after the gate: jpops goes on without a screen and journals to the end", orDash(phase))
		if !committed {
			text = fmt.Sprintf("the terminal hung up during phase %s, before the gate: the walk ends here and nothing is deployed", orDash(phase))
		}
		_, _ = w.journal.Append(journal.Event{TS: w.opts.Now().UTC(), Phase: journal.PhaseIncident, Kind: journal.KindNote, Mode: w.journal.Mode(), Data: journal.Note{Text: text, Hangup: true}})
		if !committed {
			cancelCause(errHangUp)
		}
		if program != nil {
			go program.Kill()
		}
	}
	release := env.takeInterrupts(interrupt)
	defer release()
	if w.rehearse != nil {
		w.rehearse(done, interrupt)
	}

	o := w.opts
	o.Journal = w.journal
	o.Mode = w.journal.Mode()
	o.Interrupts = interrupts
	o.Report = st.track
	o.Retried = st.showRetry
	out := walkOutcome{incident: w.journal.ID(), path: w.journal.Path()}
	engine := func() (phases.Result, error) {
		if w.resume {
			return phases.Continue(ctx, o)
		}
		return phases.Run(ctx, o)
	}

	if !w.tui {
		prefix := ""
		if w.drill {
			prefix = "DRILL\t" // a rehearsal must never be mistaken for the real thing
		}
		// Events and retries come from different goroutines: one lock
		// keeps their lines whole.
		var lines sync.Mutex
		face := plainFace(env, w.jsonOut, prefix)
		st.setFace(func(ev journal.Event) { lines.Lock(); defer lines.Unlock(); face(ev) })
		if !w.jsonOut { // NDJSON carries the journal's events only
			st.mu.Lock()
			st.retried = plainRetries(env, prefix, o.Now, &lines)
			st.mu.Unlock()
		}
		releaseHangups := env.takeHangups(hangUp)
		defer releaseHangups()
		res, err := engine()
		close(done)
		out.result = res
		return out, hangUpCause(ctx, err)
	}

	model := tui.New(tui.Options{
		App: o.App, Runbook: o.Runbook, Drill: w.drill, Scenario: w.scenario,
		Interrupt: interrupt, Quit: cancel, Now: o.Now,
	})
	p := tea.NewProgram(model, tea.WithContext(context.WithoutCancel(ctx)), tea.WithInput(env.IO.In), tea.WithOutput(env.IO.Out))
	program = p
	releaseHangups := env.takeHangups(hangUp)
	defer releaseHangups()
	st.setFace(func(ev journal.Event) { p.Send(tui.EventMsg{Event: ev}) })
	st.mu.Lock()
	st.retried = func(phase string, r flyapi.Retry) {
		p.Send(tui.RetryMsg{Phase: phase, Call: r.Call, Attempt: r.Attempt, Max: r.Max, Wait: r.Wait, Reason: redact.String(r.Reason), Done: r.Done, Failed: r.Err != nil})
	}
	st.mu.Unlock()
	if !o.Yes {
		o.Confirm = func(ctx context.Context, g phases.Gate) (bool, error) {
			reply := make(chan bool, 1)
			p.Send(tui.GateMsg{Command: g.Command, Dir: g.Dir, Expect: g.Expect, Reply: reply})
			select {
			case ok := <-reply:
				return ok, nil
			case <-ctx.Done():
				return false, context.Cause(ctx)
			}
		}
	}
	var res phases.Result
	var runErr error
	go func() {
		defer close(done)
		res, runErr = engine()
		msg := tui.DoneMsg{Verdict: res.Verdict, ExitCode: res.ExitCode(), Incident: out.incident, JournalPath: out.path, Next: res.Next, Err: runErr}
		if runErr != nil {
			msg.ExitCode = ExitCode(runErr)
		}
		if errors.Is(runErr, context.Canceled) {
			// Whatever the last verdict advised, what works now is resume.
			msg.Next = advice.Cmd("it picks up where this run stopped, from the journal and what the machines run now", "jpops", "resume", out.incident)
		}
		p.Send(msg)
	}()
	final, perr := p.Run()
	m, _ := final.(tui.Model)
	if _, finished := m.Done(); !finished && !m.Quitting() {
		// The UI ended on its own, not by the operator's hand: its terminal
		// is gone (a hang-up, a closed window, a dropped link).
		hangUp()
	}
	<-done
	st.mu.Lock()
	headless := st.headless
	st.mu.Unlock()
	if !headless {
		fmt.Fprint(env.IO.Out, tui.Summary(m))
	}
	out.result = res
	if perr != nil && !headless && !errors.Is(perr, tea.ErrProgramKilled) && runErr == nil {
		return out, fmt.Errorf("terminal UI: %w", perr)
	}
	return out, hangUpCause(ctx, runErr)
}

// hangUpCause names the hang-up as the reason a walk stopped, when it was.
func hangUpCause(ctx context.Context, err error) error {
	if err != nil && errors.Is(context.Cause(ctx), errHangUp) && !errors.Is(err, errHangUp) {
		return errHangUp
	}
	return err
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// finishWalk maps the outcome to the exit code, after telling the operator
// where the journal is (off the TUI, which prints its own summary).
func finishWalk(env walkEnv, w *walk, out walkOutcome, err error) error {
	if err != nil {
		if errors.Is(err, phases.ErrNoConfirmer) {
			return &ExitError{Code: verdict.ExitUsage, Err: err}
		}
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(env.IO.ErrOut, "jpops: interrupted; the journal is at %s (jpops resume %s)\n", out.path, out.incident)
			return &ExitError{Code: verdict.ExitInterrupted, Silent: true, Err: err}
		}
		return fmt.Errorf("%w (journal: %s)", err, out.path)
	}
	if !w.tui && !w.jsonOut {
		fmt.Fprintf(env.IO.ErrOut, "verdict %s (exit %d); incident %s; journal %s\n", out.result.Verdict, out.result.ExitCode(), out.incident, out.path)
		report.WriteAdvice(env.IO.ErrOut, "next: ", "note: ", out.result.Next.Map(redact.String))
	}
	return verdictExit(out.result.Verdict)
}

// plainRetries prints, off the TUI, one line per call the Fly API client
// retries (at its first retry), not one per attempt: a flaky API must not
// bury the walk's own lines.
func plainRetries(env walkEnv, prefix string, now func() time.Time, mu *sync.Mutex) func(string, flyapi.Retry) {
	if now == nil {
		now = time.Now
	}
	return func(phase string, r flyapi.Retry) {
		if r.Done || r.Attempt != 1 {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(env.IO.Out, "%s%s	%s	retry	%s: %s; asking again, up to %d attempts (next in %s)\n",
			prefix, now().UTC().Format("15:04:05"), phase, r.Call, redact.String(r.Reason), r.Max, r.Wait.Round(time.Millisecond))
	}
}

// plainFace prints engine events off the TUI: NDJSON with --json, else one
// stable plain line each, after prefix.
func plainFace(env walkEnv, jsonOut bool, prefix string) func(journal.Event) {
	if jsonOut {
		enc := json.NewEncoder(env.IO.Out)
		return func(ev journal.Event) { _ = enc.Encode(ev) }
	}
	return func(ev journal.Event) { fmt.Fprintln(env.IO.Out, prefix+report.EventLine(ev)) }
}
