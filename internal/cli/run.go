package cli

import (
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/flyctl"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/phases"
)

func init() { register(newRunCmd) }

// walkFlags are the flags of run, resume and drill.
type walkFlags struct {
	yes, jsonOut, force, dryRun bool
	dir, flyctl, smokeURL       string
	machine                     string
	hold, interval, settle      time.Duration
}

func (f *walkFlags) add(cmd *cobra.Command, deploy bool) {
	cmd.Flags().BoolVarP(&f.yes, "yes", "y", false, "pass the escape gate without typing the app name (journaled as --yes)")
	cmd.Flags().BoolVar(&f.jsonOut, "json", false, "print the engine's events as NDJSON (the journal's fields)")
	cmd.Flags().DurationVar(&f.hold, "hold", 0, "stability hold of the smoke walk (default: the runbook's, 5m)")
	cmd.Flags().DurationVar(&f.interval, "interval", 0, "poll interval of the smoke walk (default: the runbook's, 10s)")
	cmd.Flags().DurationVar(&f.settle, "settle", 2*time.Minute, "how long machines may take to pass the smoke walk before the hold starts")
	cmd.Flags().StringVar(&f.smokeURL, "smoke-url", "", "base URL of the smoke requests (default: JPOPS_SMOKE_URL, the runbook's, https://APP.fly.dev)")
	if deploy {
		cmd.Flags().BoolVar(&f.force, "force", false, "run the escape path even when the boot logs could not confirm the hang (INCONCLUSIVE), or the boot script fails the audit (journaled); a HEALTHY or NOT_THIS_INCIDENT app is never deployed")
		cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "run phases 1–2 for real, show phase 3 without running it, explain phase 4")
		cmd.Flags().StringVar(&f.dir, "dir", "", "deploy directory: where flyctl deploy runs and the boot script is audited (default: the current directory)")
		cmd.Flags().StringVar(&f.flyctl, "flyctl", "", "flyctl binary (default: JPOPS_FLYCTL, then flyctl, then fly on PATH)")
		cmd.Flags().StringVar(&f.machine, "machine", "", "focus on this machine (from a watchdog alert)")
	}
}

// options fills the engine options every walk shares.
func (f *walkFlags) options(env *Env, app string) phases.Options {
	smoke := f.smokeURL
	if smoke == "" {
		smoke = env.Getenv("JPOPS_SMOKE_URL")
	}
	return phases.Options{
		App: app, Now: env.Now, Dir: absDir(f.dir), Force: f.force, Yes: f.yes, DryRun: f.dryRun,
		SmokeURL: smoke, Hold: f.hold, Interval: f.interval, Settle: f.settle, Machine: f.machine,
	}
}

// flyctlEnv hands flyctl the token jpops was given with -t: flyctl reads
// only its environment, and a deploy must not fail where jpops's own calls
// succeed. nil means "the process environment" (the token is already there).
func flyctlEnv(g *globalFlags) []string {
	if g.token == "" {
		return nil
	}
	env := make([]string, 0, len(os.Environ())+1)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FLY_ACCESS_TOKEN=") {
			env = append(env, kv)
		}
	}
	return append(env, "FLY_ACCESS_TOKEN="+g.token)
}

// face decides TUI or not, and refuses a gate nobody could answer.
func (f *walkFlags) face(env *Env) (useTUI bool, err error) {
	useTUI = env.IO.CanPrompt() && !f.jsonOut
	if !useTUI && !f.yes && !f.dryRun {
		return false, usageError("jpops run asks for a typed confirmation before deploying, and there is no terminal to ask on: pass --yes to confirm in advance, --dry-run to look without deploying, or use jpops diagnose")
	}
	return useTUI, nil
}

func newRunCmd(env *Env, g *globalFlags) *cobra.Command {
	var (
		af appFlags
		wf walkFlags
	)
	cmd := &cobra.Command{
		Use:   "run",
		Short: "The whole runbook, phases 1 → 4 (TUI on a terminal; --yes and --json for scripts)",
		Long: `Walks the DB-boot-hang runbook: diagnose (machines started but failing checks),
boot logs (a full-scan op that never finished), the escape path (flyctl deploy
--remote-only --strategy rolling behind a typed confirmation) and the smoke walk
(every machine on the new image, passing, answering, for the stability hold).

On a terminal it opens the walk as a TUI. Off one it prints one plain line per
event, or NDJSON with --json, and needs --yes (or --dry-run) since nobody can
type the confirmation. Every event is journaled; see jpops journal and resume.

Exit codes: 0 RECOVERED (or HEALTHY), 2 usage, 3 not authorised, 11
INCONCLUSIVE, 12 NOT_THIS_INCIDENT, 20 ESCAPE_FAILED, 30 SMOKE_FAILED,
40 ABORTED, 130 interrupted.`,
		Example: `  jpops run -a autonomath-api --dir ~/src/autonomath
  jpops run -a autonomath-api --dry-run
  jpops run -a autonomath-api --yes --json > incident.ndjson`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			app, err := af.resolve(env, wf.dir)
			if err != nil {
				return err
			}
			useTUI, err := wf.face(env)
			if err != nil {
				return err
			}
			rb, err := loadRunbook(g)
			if err != nil {
				return err
			}
			fly, err := flyClient(env, g)
			if err != nil {
				return err
			}
			o := wf.options(env, app)
			o.Runbook, o.Fly, o.FlyctlEnv = rb, fly, flyctlEnv(g)
			if err := phases.CheckSmokeURL(o); err != nil {
				return usageError("%v", err) // before the gate, not after the deploy
			}
			if path, err := flyctl.Find(wf.flyctl, env.Getenv, exec.LookPath); err == nil {
				o.Flyctl = []string{path}
			} else if wf.flyctl != "" {
				return usageError("%v", err)
			}
			mode := journal.ModeLive
			if wf.dryRun {
				mode = journal.ModeDryRun
			}
			w := &walk{opts: o, jsonOut: wf.jsonOut, tui: useTUI}
			if err := w.start(env, mode); err != nil {
				return err
			}
			out, err := w.run(cmd.Context(), env)
			return finishWalk(env, w, out, err)
		},
	}
	af.add(cmd)
	wf.add(cmd, true)
	return cmd
}
