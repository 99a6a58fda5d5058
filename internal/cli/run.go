package cli

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/flyctl"
	"github.com/jpops-dev/jpops/internal/iostreams"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/verdict"
)

// walkFlags are the flags of run, resume, drill and smoke.
type walkFlags struct {
	Yes, JSON, Force, DryRun bool
	NoBootScript             bool
	Dir, Flyctl, SmokeURL    string
	Config                   string // --config: the directory of the app's fly.toml
	Machine                  string
	Hold, Interval, Settle   time.Duration
}

// walkFlagSet picks which of the walk's flags a command offers.
type walkFlagSet int

const (
	smokeFlags  walkFlagSet = iota // the smoke walk's: --json and its timings
	drillFlags                     // + --yes: a gate, on a simulated platform
	deployFlags                    // + --force, --dry-run, --dir, --flyctl, --machine
)

func (f *walkFlags) add(cmd *cobra.Command, set walkFlagSet) {
	if set >= drillFlags {
		cmd.Flags().BoolVarP(&f.Yes, "yes", "y", false, "pass the escape gate without typing the app name (journaled as --yes)")
	}
	cmd.Flags().BoolVar(&f.JSON, "json", false, "print the engine's events as NDJSON (the journal's fields)")
	cmd.Flags().DurationVar(&f.Hold, "hold", 0, "stability hold of the smoke walk (default: the runbook's, 5m)")
	cmd.Flags().DurationVar(&f.Interval, "interval", 0, "poll interval of the smoke walk (default: the runbook's, 10s)")
	cmd.Flags().DurationVar(&f.Settle, "settle", 2*time.Minute, "how long machines may take to pass the smoke walk before the hold starts")
	cmd.Flags().StringVar(&f.SmokeURL, "smoke-url", "", "base URL of the smoke requests (default: JPOPS_SMOKE_URL, the runbook's, https://APP.fly.dev)")
	if set >= deployFlags {
		cmd.Flags().BoolVar(&f.Force, "force", false, "run the escape path even when the boot logs could not confirm the hang (INCONCLUSIVE), or the boot script fails the audit (journaled); a HEALTHY or NOT_THIS_INCIDENT app is never deployed")
		cmd.Flags().BoolVar(&f.DryRun, "dry-run", false, "run phases 1–2 for real, show phase 3 without running it, explain phase 4 (exit 10 when the hang is confirmed)")
		cmd.Flags().StringVar(&f.Dir, "dir", "", "deploy directory: where flyctl deploy runs and the boot script is audited (default: the current directory)")
		cmd.Flags().StringVar(&f.Flyctl, "flyctl", "", "flyctl binary (default: JPOPS_FLYCTL, then flyctl, then fly on PATH)")
		cmd.Flags().StringVar(&f.Machine, "machine", "", "focus on this machine (from a watchdog alert)")
		cmd.Flags().BoolVar(&f.NoBootScript, "no-boot-script", false, "the app has no boot script (the runbook's entrypoint.sh) for phase 3 to audit; without it, a deploy directory lacking one is refused (journaled)")
	}
}

// options fills the engine options every walk shares.
func (f *walkFlags) options(env walkEnv, app string) phases.Options {
	smoke := f.SmokeURL
	if smoke == "" {
		smoke = env.Getenv("JPOPS_SMOKE_URL")
	}
	return phases.Options{
		App: app, Now: env.Now, Dir: absDir(f.Dir), Force: f.Force, Yes: f.Yes, DryRun: f.DryRun,
		Config: f.Config, NoBootScript: f.NoBootScript,
		SmokeURL: smoke, Hold: f.Hold, Interval: f.Interval, Settle: f.Settle, Machine: f.Machine,
	}
}

// face decides TUI or not, and refuses a gate nobody could answer with
// refusal, which names the way out the command offers.
func (f *walkFlags) face(io *iostreams.IOStreams, refusal string) (useTUI bool, err error) {
	useTUI = io.CanPrompt() && !f.JSON
	if !useTUI && !f.Yes && !f.DryRun {
		return false, usageError("%s", refusal)
	}
	return useTUI, nil
}

// walkEnv is what a walk needs from the process beyond its flags.
type walkEnv struct {
	IO             *iostreams.IOStreams
	Getenv         func(string) string
	Now            func() time.Time
	StateDir       func() (string, error)
	takeInterrupts func(func()) (release func())
	takeHangups    func(func()) (release func())
	token          string // -t/--access-token, handed on to flyctl
}

func newWalkEnv(f *Factory) walkEnv {
	return walkEnv{IO: f.IO, Getenv: f.Getenv, Now: f.Now, StateDir: f.StateDir, takeInterrupts: f.takeInterrupts, takeHangups: f.takeHangups, token: f.Token}
}

// flyctlEnv hands flyctl the token jpops was given with -t: flyctl reads
// only its environment, and a deploy must not fail where jpops's own calls
// succeed. nil means "the process environment" (the token is already there).
func flyctlEnv(token string) []string {
	if token == "" {
		return nil
	}
	env := make([]string, 0, len(os.Environ())+1)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FLY_ACCESS_TOKEN=") {
			env = append(env, kv)
		}
	}
	return append(env, "FLY_ACCESS_TOKEN="+token)
}

// walkExits are the exit codes of a walk that may deploy (run, resume),
// made when the command is built, not at every start.
func walkExits() string {
	return exitCodes(
		exitOK("RECOVERED: mitigated and verified (or HEALTHY: nothing to do)"), exitError, exitUsage, exitAuth,
		exit(verdict.ExitHangConfirmed, "HANG_CONFIRMED with --dry-run: the hang is confirmed, nothing was deployed"),
		exit(verdict.ExitInconclusive, "INCONCLUSIVE: the boot logs do not prove the hang (see --force)"),
		exit(verdict.ExitNotThisIncident, "NOT_THIS_INCIDENT: unhealthy in another way; nothing was deployed"),
		exit(verdict.ExitEscapeFailed, "ESCAPE_FAILED: the deploy failed, or a precondition refused it"),
		exit(verdict.ExitSmokeFailed, "SMOKE_FAILED: mitigated but unverified"),
		exit(verdict.ExitAborted, "ABORTED: the operator refused the gate"),
		exitInterrupted)
}

// RunOptions are the run command's.
type RunOptions struct {
	walkEnv
	appTarget
	walkFlags
	TUI bool // the walk's face: the TUI, or plain lines / NDJSON

	ctx context.Context
}

// NewCmdRun walks the whole runbook.
func NewCmdRun(f *Factory, runF func(*RunOptions) error) *cobra.Command {
	opts := &RunOptions{appTarget: newAppTarget(f)}
	var af appFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "The whole runbook, phases 1 → 4 (TUI on a terminal; --yes and --json for scripts)",
		Long: `Walks the DB-boot-hang runbook: diagnose (machines started but failing checks),
boot logs (a full-scan op that never finished), the escape path (flyctl deploy
--remote-only --strategy rolling behind a typed confirmation) and the smoke walk
(every machine on the new image, passing, answering, for the stability hold).

On a terminal it opens the walk as a TUI. Off one it prints one plain line per
event, or NDJSON with --json, and needs --yes (or --dry-run) since nobody can
type the confirmation. Every event is journaled; see jpops journal and resume.` + walkExits(),
		Example: `  jpops run -a autonomath-api --dir ~/src/autonomath
  jpops run -a autonomath-api --dry-run
  jpops run -a autonomath-api --yes --json > incident.ndjson`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.walkEnv, opts.ctx = newWalkEnv(f), cmd.Context()
			var err error
			if opts.App, err = af.resolve(f.Getenv, opts.Dir); err != nil {
				return err
			}
			if af.config != "" {
				opts.Config = absDir(af.config)
			}
			if opts.TUI, err = opts.face(opts.IO, "jpops run asks for a typed confirmation before deploying, and there is no terminal to ask on: pass --yes to confirm in advance, --dry-run to look without deploying, or use jpops diagnose"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runRun(opts)
		},
	}
	af.add(cmd)
	opts.walkFlags.add(cmd, deployFlags)
	return cmd
}

func runRun(opts *RunOptions) error {
	rb, fly, err := opts.load()
	if err != nil {
		return err
	}
	o := opts.options(opts.walkEnv, opts.App)
	o.Runbook, o.Fly, o.FlyctlEnv = rb, fly, flyctlEnv(opts.token)
	if err := phases.CheckSmokeURL(o); err != nil {
		return usageError("%v", err) // before the gate, not after the deploy
	}
	if path, err := flyctl.Find(opts.Flyctl, opts.Getenv, exec.LookPath); err == nil {
		o.Flyctl = []string{path}
	} else if opts.Flyctl != "" || opts.Getenv("JPOPS_FLYCTL") != "" {
		// A flyctl named by flag or environment that cannot run is a
		// mistake in how jpops was called, found before anything is read.
		return usageError("%v", err)
	}
	mode := journal.ModeLive
	if opts.DryRun {
		mode = journal.ModeDryRun
	}
	w := &walk{opts: o, jsonOut: opts.JSON, tui: opts.TUI}
	if err := w.start(opts.walkEnv, mode); err != nil {
		return err
	}
	out, err := w.run(opts.ctx, opts.walkEnv)
	return finishWalk(opts.walkEnv, w, out, err)
}
