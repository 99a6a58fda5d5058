package phases

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/jpops-dev/jpops/internal/advice"
	"github.com/jpops-dev/jpops/internal/audit"
	"github.com/jpops-dev/jpops/internal/flyctl"
	"github.com/jpops-dev/jpops/internal/flytoml"
	"github.com/jpops-dev/jpops/internal/health"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// ErrNoConfirmer is returned when the gate needs a person and there is no
// terminal to ask on and no --yes: refusing is safer than hanging.
var ErrNoConfirmer = errors.New("the escape deploy needs a typed confirmation, but there is no terminal to ask on: rerun on a terminal, or pass --yes to confirm in advance")

// escapeOutcome is phase 3's result.
type escapeOutcome struct {
	verdict verdict.Verdict // "" when the deploy succeeded (phase 4 decides)
	reason  string
	next    advice.Advice
	image   string
	digest  string
	dryRun  bool
}

// escape runs phase 3: preconditions, the gate, then flyctl.
func (e *engine) escape(ctx context.Context, d Diagnosis) (escapeOutcome, error) {
	const id = runbook.PhaseEscape
	argv := e.o.Runbook.EscapeCommand(e.o.App)
	command := shellJoin(argv)
	if err := e.phaseStart(id); err != nil {
		return escapeOutcome{}, err
	}
	fail := func(reason string, next advice.Advice) (escapeOutcome, error) {
		out := escapeOutcome{verdict: verdict.EscapeFailed, reason: reason, next: next}
		if err := e.phaseEnd(id, "failed", reason); err != nil {
			return out, err
		}
		return out, e.verdict(id, out.verdict, reason, next)
	}
	pre := func(name string, ok bool, detail string, extra journal.Precondition) error {
		extra.Name, extra.OK, extra.Detail = name, ok, detail
		return e.emit(id, extra)
	}
	none := journal.Precondition{}

	// 1. The diagnosis must have confirmed the hang.
	if d.Verdict != verdict.HangConfirmed {
		detail := fmt.Sprintf("phase 2 verdict is %s, not HANG_CONFIRMED", d.Verdict)
		if !e.o.Force {
			if err := pre("verdict", false, detail, none); err != nil {
				return escapeOutcome{}, err
			}
			return fail("refused: "+detail, advice.Cmd(fmt.Sprintf("nothing was deployed; if you are sure it is the hang, jpops run -a %s --force walks the runbook anyway", e.o.App), "jpops", "diagnose", "-a", e.o.App))
		}
		if err := pre("verdict", true, detail+"; overridden by --force", journal.Precondition{Forced: true, ConfirmedBy: journal.ByForce}); err != nil {
			return escapeOutcome{}, err
		}
	} else if err := pre("verdict", true, "HANG_CONFIRMED", none); err != nil {
		return escapeOutcome{}, err
	}

	// 2. flyctl is there.
	if len(e.o.Flyctl) == 0 {
		if err := pre("flyctl", false, "flyctl not found", none); err != nil {
			return escapeOutcome{}, err
		}
		return fail("flyctl not found: install it (https://fly.io/docs/flyctl/install/), or pass --flyctl PATH / set JPOPS_FLYCTL", advice.Advice{})
	}
	if err := pre("flyctl", true, e.o.Flyctl[0], none); err != nil {
		return escapeOutcome{}, err
	}

	// 3. Every machine's current image is on record, for rollback and the post-mortem.
	images := map[string]string{}
	for _, m := range d.Machines {
		images[m.ID] = m.Image + digestSuffix(m.Digest)
	}
	if err := pre("images_recorded", true, fmt.Sprintf("%d machine image(s) recorded", len(images)), journal.Precondition{Images: images}); err != nil {
		return escapeOutcome{}, err
	}

	// 4. The deploy directory is this app's: flyctl deploys what it finds
	// there, so a wrong directory deploys the wrong code, or another app.
	if ok, detail, fix := e.checkDeployDir(); !ok {
		if err := pre("deploy_dir", false, detail, journal.Precondition{}); err != nil {
			return escapeOutcome{}, err
		}
		return fail("refused: "+detail, advice.Noted(fix))
	} else if err := pre("deploy_dir", true, detail, journal.Precondition{}); err != nil {
		return escapeOutcome{}, err
	}

	// 5. The boot script being deployed no longer runs an unguarded full scan.
	ok, detail, findings := e.auditBootScripts()
	if !ok && !e.o.Force {
		if err := pre("boot_script", false, detail, journal.Precondition{Findings: findings}); err != nil {
			return escapeOutcome{}, err
		}
		if len(findings) == 0 {
			// No script was found or it could not be read: nothing to audit.
			return fail("refused: "+detail, advice.Noted(fmt.Sprintf("nothing was deployed; once fixed, run jpops run -a %s again", e.o.App)))
		}
		return fail("refused: "+detail+": deploying it re-arms the trap", advice.Cmd(fmt.Sprintf("guard the op with a size check, then run jpops run -a %s again", e.o.App), "jpops", "audit", filepath.Join(e.o.Dir, e.o.Runbook.Escape.BootScripts[0])))
	}
	if !ok {
		detail += "; overridden by --force"
	}
	if err := pre("boot_script", true, detail, journal.Precondition{Findings: findings, Forced: !ok}); err != nil {
		return escapeOutcome{}, err
	}

	if e.o.DryRun {
		reason := "dry run: would run `" + command + "` in " + e.o.Dir
		if err := e.phaseEnd(id, "skipped", reason); err != nil {
			return escapeOutcome{}, err
		}
		return escapeOutcome{dryRun: true, reason: reason}, nil
	}

	// The gate.
	gate := Gate{Command: command, Dir: e.o.Dir, Expect: e.o.App}
	by := journal.ByOperator
	switch {
	case e.o.Yes:
		by = journal.ByYes
	case e.o.Confirm == nil:
		_ = e.emit(id, journal.Gate{Command: command, Expect: e.o.App, OK: false, Reason: "no terminal and no --yes"})
		return escapeOutcome{}, ErrNoConfirmer
	default:
		yes, err := e.o.Confirm(ctx, gate)
		if err != nil {
			return escapeOutcome{}, err
		}
		if !yes {
			if err := e.emit(id, journal.Gate{Command: command, Expect: e.o.App, OK: false, ConfirmedBy: journal.ByOperator}); err != nil {
				return escapeOutcome{}, err
			}
			reason := "the operator refused the escape deploy at the gate"
			if err := e.phaseEnd(id, "failed", reason); err != nil {
				return escapeOutcome{}, err
			}
			if err := e.emit(id, journal.Abort{Reason: reason}); err != nil {
				return escapeOutcome{}, err
			}
			return escapeOutcome{verdict: verdict.Aborted, reason: reason, next: advice.Cmd("when you are ready: nothing was deployed", "jpops", "run", "-a", e.o.App)}, nil
		}
	}
	if err := e.emit(id, journal.Gate{Command: command, Expect: e.o.App, OK: true, ConfirmedBy: by}); err != nil {
		return escapeOutcome{}, err
	}

	// The deploy.
	full := append(append([]string{}, e.o.Flyctl...), argv[1:]...)
	if err := e.emit(id, journal.CommandStart{Argv: full, Command: command, Dir: e.o.Dir}); err != nil {
		return escapeOutcome{}, err
	}
	var emitErr error
	budget := flyctl.DefaultBudget()
	res, runErr := flyctl.Run(ctx, flyctl.Spec{
		Argv:        full,
		Dir:         e.o.Dir,
		Env:         e.o.FlyctlEnv,
		IdleTimeout: e.o.Runbook.Escape.IdleTimeout.Duration,
		Timeout:     e.o.Runbook.Escape.Timeout.Duration,
		Interrupt:   e.o.Interrupts,
		Now:         e.o.Now,
	}, func(l flyctl.Line) {
		if emitErr != nil || !budget.Take(l) {
			return
		}
		emitErr = e.emit(id, journal.CommandOutput{Stream: l.Stream, Line: l.Text})
	})
	tail, omitted := budget.Finish()
	if omitted > 0 && emitErr == nil {
		emitErr = e.emit(id, journal.Note{Text: fmt.Sprintf("%d lines of flyctl output between the first %d and the last %d were counted, not journaled (the output budget)", omitted, budget.Head, len(tail))})
	}
	for _, l := range tail {
		if emitErr != nil {
			break
		}
		emitErr = e.emit(id, journal.CommandOutput{Stream: l.Stream, Line: l.Text})
	}
	exit := journal.CommandExit{Code: res.ExitCode, Image: res.Image, Digest: res.Digest, Interrupted: res.Interrupted}
	if runErr != nil {
		exit.Error = runErr.Error()
		if fe := (*flyctl.Error)(nil); errors.As(runErr, &fe) {
			exit.Signal = fe.Signal
		}
	}
	if err := e.emit(id, exit); err != nil {
		return escapeOutcome{}, err
	}
	if emitErr != nil {
		return escapeOutcome{}, emitErr
	}
	if runErr != nil && res.Interrupted {
		// The operator pressed Ctrl-C: not a failed deploy but a stopped one,
		// which resume can pick up from the journal.
		return escapeOutcome{}, fmt.Errorf("the deploy was interrupted by the operator (flyctl exit %d): %w", res.ExitCode, context.Canceled)
	}
	if runErr != nil {
		var fe *flyctl.Error
		if errors.As(runErr, &fe) && fe.Reason == flyctl.ReasonStart {
			// flyctl could not be started at all: nothing was deployed.
			return fail(firstLine(runErr.Error()), advice.Noted("install flyctl (https://fly.io/docs/flyctl/install/), or pass --flyctl PATH / set JPOPS_FLYCTL; nothing was deployed"))
		}
		// The headline is the verdict; flyctl's last lines and advice go on record too.
		if err := e.emit(id, journal.Note{Text: runErr.Error()}); err != nil {
			return escapeOutcome{}, err
		}
		// A rolling deploy has no rollback: some machines may already run
		// the new image. Say what each runs now, from the API.
		now := e.runningNow(ctx, d)
		if err := e.emit(id, journal.Note{Text: now}); err != nil {
			return escapeOutcome{}, err
		}
		return fail(firstLine(runErr.Error()), advice.Cmd(fmt.Sprintf("see whether a release went out; %s. flyctl's last lines are in the journal; jpops run -a %s deploys again after its typed gate", now, e.o.App), "flyctl", "releases", "-a", e.o.App))
	}
	if res.Image == "" && res.Digest == "" {
		// A pre-built image prints no `image:` line; the deploy happened,
		// so the machines' config names the image it deployed.
		image, err := e.deployedImage(ctx)
		if err != nil {
			return fail("flyctl exited 0 but printed no image line, and the machines cannot be read to tell which image it deployed: "+err.Error(), advice.Cmd(fmt.Sprintf("it names the image the deploy released; then jpops smoke -a %s --image REF verifies it", e.o.App), "flyctl", "releases", "-a", e.o.App, "--image"))
		}
		if err := e.emit(id, journal.Note{Text: "flyctl printed no image line (a pre-built image is deployed without one); the machines' config names " + image + ": verifying that"}); err != nil {
			return escapeOutcome{}, err
		}
		res.Image = image
	}
	if err := e.phaseEnd(id, "passed", "deployed "+res.Image+digestSuffix(res.Digest)); err != nil {
		return escapeOutcome{}, err
	}
	return escapeOutcome{image: res.Image, digest: res.Digest}, nil
}

// checkDeployDir checks that the fly.toml flyctl will read names this app:
// Config's when the operator named one, else the deploy directory's.
func (e *engine) checkDeployDir() (ok bool, detail, fix string) {
	dir, how := e.o.Dir, "--dir"
	if e.o.Config != "" {
		dir, how = e.o.Config, "--config"
	}
	f, err := flytoml.Load(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, fmt.Sprintf("no fly.toml in %s (%s): this is not %s's deploy directory", dir, how, e.o.App),
			fmt.Sprintf("rerun from the directory you deploy %s from (--dir DIR), or name its fly.toml's directory with --config DIR; nothing was deployed", e.o.App)
	case err != nil:
		return false, fmt.Sprintf("cannot read the fly.toml in %s: %v", dir, err), "fix the fly.toml, or pass --config DIR of the right one; nothing was deployed"
	case f.App == "":
		return false, fmt.Sprintf("the fly.toml in %s names no app, so flyctl would not deploy %s", dir, e.o.App), fmt.Sprintf("add app = %q to it, or pass --config DIR of the right one; nothing was deployed", e.o.App)
	case f.App != e.o.App:
		return false, fmt.Sprintf("the fly.toml in %s names app %s, not %s: wrong directory", dir, f.App, e.o.App),
			fmt.Sprintf("rerun from %s's deploy directory (--dir DIR), or pass --config DIR of its fly.toml; nothing was deployed", e.o.App)
	}
	return true, fmt.Sprintf("%s holds the fly.toml of %s", dir, e.o.App), ""
}

// auditBootScripts checks the deploy directory's boot scripts.
func (e *engine) auditBootScripts() (ok bool, detail string, findings []string) {
	var paths []string
	for _, name := range e.o.Runbook.Escape.BootScripts {
		p := filepath.Join(e.o.Dir, name)
		if _, err := os.Stat(p); err == nil {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		names := strings.Join(e.o.Runbook.Escape.BootScripts, ", ")
		if e.o.NoBootScript {
			return true, fmt.Sprintf("no boot script (%s) in %s: the operator said the app has none (--no-boot-script)", names, e.o.Dir), nil
		}
		// Not "nothing to check": nothing would prove the image no longer
		// runs the full scan, and a missing script usually means a wrong --dir.
		return false, fmt.Sprintf("no boot script (%s) in %s: nothing shows the image you deploy no longer runs the full scan; run from the app's deploy directory (--dir DIR), or pass --no-boot-script if the app has none", names, e.o.Dir), nil
	}
	rep, err := audit.Audit(paths)
	if err != nil {
		return false, "cannot audit the boot script: " + err.Error(), nil
	}
	found := rep.Findings
	for _, f := range found {
		findings = append(findings, f.String())
	}
	if len(found) > 0 {
		return false, fmt.Sprintf("%s still runs %d unguarded full-scan op(s): %s", strings.Join(paths, ", "), len(found), findings[0]), findings
	}
	detail = strings.Join(paths, ", ") + " has no unguarded full-scan op"
	if len(rep.Unread) > 0 {
		// Not a failure (a venv's activate script is not in the deploy
		// directory either), but the operator must know what was not read.
		detail += fmt.Sprintf("; %d sourced file(s) not audited: %s", len(rep.Unread), rep.Unread[0])
	}
	return true, detail, nil
}

// runningNow says which image each machine runs now, against the image
// phase 1 recorded for it, from the Machines API.
func (e *engine) runningNow(ctx context.Context, d Diagnosis) string {
	machines, err := e.o.Fly.ListMachines(ctx, e.o.App)
	if err != nil {
		return fmt.Sprintf("could not read which image each machine runs now (%v): a rolling deploy has no rollback, so some may already run the new one; flyctl machine list -a %s shows them", err, e.o.App)
	}
	recorded := map[string]string{}
	for _, m := range d.Machines {
		recorded[m.ID] = m.Image + digestSuffix(m.Digest)
	}
	var same, changed []string
	for i := range machines {
		m := &machines[i]
		was, known := recorded[m.ID]
		if !health.InApp(m) || !known {
			continue
		}
		runs := m.Image() + digestSuffix(m.ImageRef.Digest)
		if runs == was {
			same = append(same, m.ID)
		} else {
			changed = append(changed, fmt.Sprintf("%s now runs %s (%s)", m.ID, runs, m.State))
		}
	}
	sort.Strings(same)
	switch {
	case len(changed) == 0:
		return fmt.Sprintf("every machine still runs its recorded image (%s), as the API shows", strings.Join(same, ", "))
	case len(same) == 0:
		return "the rolling deploy got part-way (it has no rollback): " + strings.Join(changed, "; ")
	}
	return fmt.Sprintf("the rolling deploy got part-way (it has no rollback): %s; still on the recorded image: %s", strings.Join(changed, "; "), strings.Join(same, ", "))
}

// deployedImage is the image the machines' config names after a deploy
// that printed none: the one most of the deployed machines name.
func (e *engine) deployedImage(ctx context.Context) (string, error) {
	machines, err := e.o.Fly.ListMachines(ctx, e.o.App)
	if err != nil {
		return "", err
	}
	count := map[string]int{}
	best := ""
	for i := range machines {
		m := &machines[i]
		c := m.Conf()
		if !health.Deployed(m) || c == nil || c.Image == "" {
			continue
		}
		count[c.Image]++
		if count[c.Image] > count[best] || (count[c.Image] == count[best] && c.Image < best) {
			best = c.Image
		}
	}
	if best == "" {
		return "", errors.New("no machine of the app names an image in its config")
	}
	return best, nil
}

func digestSuffix(d string) string {
	if d == "" {
		return ""
	}
	return "@" + d
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
