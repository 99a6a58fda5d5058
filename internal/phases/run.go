package phases

import (
	"context"
	"errors"
	"fmt"

	"github.com/jpops-dev/jpops/internal/advice"
	"github.com/jpops-dev/jpops/internal/build"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// Run walks phases 1 → 4, stopping where the runbook says stop. The
// returned error is for failures of jpops itself (API, journal, usage);
// every runbook outcome is a Result.
func Run(ctx context.Context, o Options) (Result, error) {
	e, err := newEngine(o)
	if err != nil {
		return Result{}, err
	}
	ctx = e.observeRetries(ctx)
	if err := e.emit(journal.PhaseIncident, e.startData()); err != nil {
		return Result{}, err
	}
	res, err := e.run(ctx)
	return e.finish(ctx, res, err)
}

func (e *engine) startData() journal.IncidentStart {
	start := journal.IncidentStart{
		App: e.o.App, Runbook: e.o.Runbook.Source, Version: build.Version, Dir: e.o.Dir,
		HoldS: seconds(e.o.Hold), IntervalS: seconds(e.o.Interval), SmokeURL: e.smokeURL(),
		Machine: e.o.Machine, Force: e.o.Force, Yes: e.o.Yes, DryRun: e.o.DryRun,
	}
	if len(e.o.Flyctl) == 1 {
		start.Flyctl = e.o.Flyctl[0] // resume runs the same flyctl; a wrapped one (drills) is not recorded
	}
	return start
}

func (e *engine) run(ctx context.Context) (Result, error) {
	d, err := e.diagnose(ctx)
	res := Result{Verdict: d.Verdict, Reason: d.Reason, Next: d.Next, Machines: d.Machines, Evidence: d.Evidence}
	if err != nil {
		return res, err
	}
	switch d.Verdict {
	case verdict.Healthy, verdict.NotThisIncident:
		return res, e.skipRest(runbook.PhaseEscape, fmt.Sprintf("verdict %s: the escape path is not for this", d.Verdict))
	}
	out, err := e.escape(ctx, d)
	if err != nil {
		return res, err
	}
	if out.dryRun {
		res.Verdict = d.Verdict
		res.Reason = out.reason
		res.Next = advice.Cmd("without --dry-run it deploys, after a typed gate", "jpops", "run", "-a", e.o.App)
		return res, e.emit(runbook.PhaseSmoke, journal.PhaseEnd{Status: journal.StatusSkipped, Reason: "dry run: after a real deploy, phase 4 verifies every machine runs the new image, is started with all checks passing and answers the smoke requests directly, then holds " + e.o.Hold.String()})
	}
	if out.verdict != "" {
		res.Verdict, res.Reason, res.Next = out.verdict, out.reason, out.next
		return res, e.skipRest(runbook.PhaseSmoke, "phase 3 did not deploy")
	}
	e.before = map[string]string{}
	for _, m := range d.Machines {
		e.before[m.ID] = m.State
	}
	image := out.image + digestSuffix(out.digest) // tag and digest: the walk says which matched
	if out.image == "" {
		image = out.digest
	}
	sr, err := e.smoke(ctx, image)
	sr.Machines, sr.Evidence, sr.Image, sr.Digest = d.Machines, d.Evidence, out.image, out.digest
	return sr, err
}

// skipRest records the phases from id on as skipped, with the reason.
func (e *engine) skipRest(from, reason string) error {
	skipping := false
	for _, id := range runbook.PhaseIDs {
		if id == from {
			skipping = true
		}
		if skipping {
			if err := e.phaseEnd(id, "skipped", reason); err != nil {
				return err
			}
		}
	}
	return nil
}

// finish writes the incident's end. An interrupted run is journaled as such
// with a fresh context, so resume knows where it stopped.
func (e *engine) finish(ctx context.Context, res Result, err error) (Result, error) {
	// Retries of a phase that ended early (stopped, interrupted) are still
	// on record.
	if noteErr := e.noteRetries(e.retries.current()); noteErr != nil && err == nil {
		return res, noteErr
	}
	switch {
	case errors.Is(err, ErrNoConfirmer):
		_ = e.emit(journal.PhaseIncident, journal.Note{Text: err.Error()})
		return res, err
	case err != nil && (ctx.Err() != nil || errors.Is(err, context.Canceled)):
		_ = e.emit(journal.PhaseIncident, journal.Abort{Reason: "interrupted: " + err.Error()})
		return res, err
	case err != nil:
		_ = e.emit(journal.PhaseIncident, journal.Note{Text: "stopped by an error: " + err.Error()})
		return res, err
	}
	if res.Verdict == "" {
		res.Verdict = verdict.Inconclusive
	}
	endErr := e.emit(journal.PhaseIncident, journal.IncidentEnd{
		Verdict: res.Verdict, ExitCode: res.ExitCode(), Reason: res.Reason, Next: res.Next.Command, NextNote: res.Next.Note,
		Image: res.Image, Digest: res.Digest,
	})
	return res, endErr
}

// Continue resumes a walk: phases 1–2 are read-only and run again; a deploy
// that already ran (SkipDeploy) is not repeated: the walk goes on to the
// smoke walk against the recorded image.
func Continue(ctx context.Context, o Options) (Result, error) {
	e, err := newEngine(o)
	if err != nil {
		return Result{}, err
	}
	ctx = e.observeRetries(ctx)
	text := "resumed"
	if o.ResumeReason != "" {
		text += ": " + o.ResumeReason
	}
	if err := e.emit(journal.PhaseIncident, journal.Note{Text: text}); err != nil {
		return Result{}, err
	}
	if !o.SkipDeploy {
		res, err := e.run(ctx)
		return e.finish(ctx, res, err)
	}
	if err := e.emit(runbook.PhaseEscape, journal.PhaseEnd{Status: journal.StatusSkipped, Reason: "resume: the deploy already ran; not running it twice"}); err != nil {
		return Result{}, err
	}
	res, err := e.smoke(ctx, o.ResumeImage)
	return e.finish(ctx, res, err)
}
