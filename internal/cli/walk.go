package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	tea "charm.land/bubbletea/v2"

	"github.com/jpops-dev/jpops/internal/journal"
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
}

// walkOutcome is what the command reports after the walk.
type walkOutcome struct {
	result   phases.Result
	incident string
	path     string
}

// start opens the incident journal under the state directory.
func (w *walk) start(env *Env, mode string) error {
	if w.journal != nil {
		return nil
	}
	dir, err := stateDir(env)
	if err != nil {
		return err
	}
	j, err := journal.Create(filepath.Join(dir, state.IncidentsDir), journal.NewID(w.opts.App, env.Now()), mode)
	if err != nil {
		return err
	}
	w.journal = j
	return nil
}

// run walks the runbook and returns its outcome. Interrupts are routed to
// flyctl while it deploys and cancel the walk otherwise.
func (w *walk) run(ctx context.Context, env *Env) (walkOutcome, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	interrupts := make(chan struct{}, 2)
	var mu sync.Mutex
	deploying := false
	interrupt := func() {
		mu.Lock()
		d := deploying
		mu.Unlock()
		if d {
			select {
			case interrupts <- struct{}{}:
			default:
			}
			return
		}
		cancel()
	}
	release := env.takeInterrupts(interrupt)
	defer release()

	o := w.opts
	o.Journal = w.journal
	o.Mode = w.journal.Mode()
	o.Interrupts = interrupts
	face := func(journal.Event) {}
	track := func(ev journal.Event) {
		switch ev.Kind {
		case journal.KindCommandStart:
			mu.Lock()
			deploying = true
			mu.Unlock()
		case journal.KindCommandExit:
			mu.Lock()
			deploying = false
			mu.Unlock()
		}
		face(ev)
	}
	o.Report = track
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
		face = plainFace(env, w.jsonOut, prefix)
		res, err := engine()
		out.result = res
		return out, err
	}

	model := tui.New(tui.Options{
		App: o.App, Runbook: o.Runbook, Drill: w.drill, Scenario: w.scenario,
		Interrupt: interrupt, Quit: cancel,
	})
	p := tea.NewProgram(model, tea.WithContext(context.WithoutCancel(ctx)), tea.WithInput(env.IO.In), tea.WithOutput(env.IO.Out))
	face = func(ev journal.Event) { p.Send(tui.EventMsg{Event: ev}) }
	if !o.Yes {
		o.Confirm = func(ctx context.Context, g phases.Gate) (bool, error) {
			reply := make(chan bool, 1)
			p.Send(tui.GateMsg{Command: g.Command, Dir: g.Dir, Expect: g.Expect, Reply: reply})
			select {
			case ok := <-reply:
				return ok, nil
			case <-ctx.Done():
				return false, ctx.Err()
			}
		}
	}
	var res phases.Result
	var runErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, runErr = engine()
		msg := tui.DoneMsg{Verdict: res.Verdict, ExitCode: res.ExitCode(), Incident: out.incident, JournalPath: out.path, Next: res.Next, Err: runErr}
		if runErr != nil {
			msg.ExitCode = ExitCode(runErr)
		}
		p.Send(msg)
	}()
	final, perr := p.Run()
	cancel() // the operator left the UI: stop the walk
	<-done
	if m, ok := final.(tui.Model); ok {
		fmt.Fprint(env.IO.Out, tui.Summary(m))
	}
	out.result = res
	if perr != nil && !errors.Is(perr, tea.ErrProgramKilled) && runErr == nil {
		return out, fmt.Errorf("terminal UI: %w", perr)
	}
	return out, runErr
}

// finishWalk maps the outcome to the exit code, after telling the operator
// where the journal is (off the TUI, which prints its own summary).
func finishWalk(env *Env, w *walk, out walkOutcome, err error) error {
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
		if out.result.Next != "" {
			fmt.Fprintf(env.IO.ErrOut, "next: %s\n", redact.String(out.result.Next))
		}
	}
	return verdictExit(out.result.Verdict)
}

// plainFace prints engine events off the TUI: NDJSON with --json, else one
// stable plain line each, after prefix.
func plainFace(env *Env, jsonOut bool, prefix string) func(journal.Event) {
	if jsonOut {
		enc := json.NewEncoder(env.IO.Out)
		return func(ev journal.Event) { _ = enc.Encode(ev) }
	}
	return func(ev journal.Event) { fmt.Fprintln(env.IO.Out, prefix+report.EventLine(ev)) }
}
