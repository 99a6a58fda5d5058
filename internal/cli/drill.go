package cli

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/flysim"
	"github.com/jpops-dev/jpops/internal/incident"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/state"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

//go:embed drillfiles
var drillFiles embed.FS

// drillExpect is the verdict each scenario should end with when walked
// with --yes: a drill that ends otherwise found a bug, in jpops or in the sim.
var drillExpect = map[string]verdict.Verdict{
	"db-boot-hang":  verdict.Recovered,
	"healthy":       verdict.Healthy,
	"other-failure": verdict.NotThisIncident,
	"deploy-fails":  verdict.EscapeFailed,
	"fix-missing":   verdict.SmokeFailed,
	"flaky-api":     verdict.Recovered,
	"autoscaled":    verdict.Recovered,
	"interrupted":   verdict.Recovered, // once resumed: the drill itself stops mid-rollout (exit 130)
	// The replay of 2026-05-11: the watchdog pages, the walk answers it.
	flysim.ReplayScenario: verdict.Recovered,
}

// drillExits is drill's exit-code table, from the verdict each scenario
// should end with, so a new scenario cannot be left out of the help.
func drillExits() string {
	scenarios := map[verdict.Verdict][]string{}
	for name, v := range drillExpect {
		if name == "interrupted" {
			name += " once resumed"
		}
		scenarios[v] = append(scenarios[v], name)
	}
	byCode := map[int][]string{}
	for v, names := range scenarios {
		slices.Sort(names)
		byCode[v.ExitCode()] = append(byCode[v.ExitCode()], fmt.Sprintf("%s (%s)", v, strings.Join(names, ", ")))
	}
	docs := []exitDoc{exitError, exitUsage, exit(verdict.ExitAborted, "ABORTED: the gate was refused"),
		exit(verdict.ExitInterrupted, "interrupted (SIGINT, SIGTERM); the interrupted scenario stops so, until resumed")}
	for code, what := range byCode {
		slices.Sort(what)
		docs = append(docs, exit(code, strings.Join(what, "; ")))
	}
	slices.SortStableFunc(docs, func(a, b exitDoc) int { return a.code - b.code })
	return exitCodes(docs...)
}

// DrillOptions are the drill command's.
type DrillOptions struct {
	walkEnv
	walkFlags
	Runbook func() (*runbook.Runbook, error)

	Scenario string
	Speed    float64
	List     bool
	TUI      bool

	ctx context.Context
}

// NewCmdDrill rehearses the outage against the simulated platform.
func NewCmdDrill(f *Factory, runF func(*DrillOptions) error) *cobra.Command {
	opts := &DrillOptions{Runbook: f.Runbook}
	cmd := &cobra.Command{
		Use:   "drill",
		Short: "Rehearse the outage against a simulated Fly platform, scored",
		Long: `Starts a simulated Fly platform on loopback (Machines API, logs API, the app
and a stand-in flyctl), and walks the same runbook against it: the TUI on a
terminal, plain lines off one, --yes for no gates. Nothing touches the real
platform, whatever the environment says. A scorecard ends the drill, and the
date is kept for jpops doctor.

The simulated clock runs --speed times faster than real time, so the wedge
has already lasted 38 minutes and the 5-minute stability hold passes in
seconds. The exit code is the walk's verdict, as for jpops run; --list shows
the verdict each scenario should end with.` + drillExits(),
		Example: `  jpops drill --yes
  jpops drill --scenario fix-missing
  jpops drill --list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.walkEnv, opts.ctx = newWalkEnv(f), cmd.Context()
			if opts.List {
				if runF != nil {
					return runF(opts)
				}
				return drillRun(opts)
			}
			if opts.Speed <= 0 {
				return usageError("--speed must be above zero (got %g)", opts.Speed)
			}
			if _, ok := drillExpect[opts.Scenario]; !ok {
				return usageError("unknown scenario %q: choose one of %s", opts.Scenario, strings.Join(flysim.Scenarios(), ", "))
			}
			var err error
			if opts.TUI, err = opts.face(opts.IO, "jpops drill asks at its gate as jpops run does, and there is no terminal to ask on: run it in a terminal, or pass --yes to rehearse with the gate taken in advance"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return drillRun(opts)
		},
	}
	opts.walkFlags.add(cmd, drillFlags)
	cmd.Flags().StringVar(&opts.Scenario, "scenario", "db-boot-hang", "the outage to rehearse (see --list)")
	cmd.Flags().Float64Var(&opts.Speed, "speed", 60, "simulated seconds per real second")
	cmd.Flags().BoolVar(&opts.List, "list", false, "list the scenarios and the verdict each should end with")
	return cmd
}

func drillRun(opts *DrillOptions) error {
	env := opts.walkEnv
	if opts.List {
		width := 0
		for _, s := range flysim.Scenarios() {
			width = max(width, len(s))
		}
		for _, s := range flysim.Scenarios() {
			fmt.Fprintf(env.IO.Out, "%-*s %-18s %s\n", width, s, drillExpect[s], flysim.Describe(s))
		}
		return nil
	}
	scenario, speed, wf := opts.Scenario, opts.Speed, opts.walkFlags
	rb, err := opts.Runbook()
	if err != nil {
		return err
	}
	token := "flysim-" + randomHex(12)
	sim, err := flysim.New(flysim.Options{Scenario: scenario, Speed: speed, Token: token, Start: env.Now().UTC()})
	if err != nil {
		return usageError("%v", err)
	}
	platform, err := startDrillPlatform(sim, token, speed)
	if err != nil {
		return err
	}
	defer platform.close()
	o := wf.options(env, sim.App())
	if err := platform.configure(&o, rb, wf.Hold, wf.Settle); err != nil {
		return err
	}

	w := &walk{opts: o, jsonOut: wf.JSON, tui: opts.TUI, drill: true, scenario: scenario, rehearse: platform.rehearseInterrupt}
	if err := w.start(env, journal.ModeDrill); err != nil {
		return err
	}
	platform.persist(w.journal.Path())
	// The journal keeps the simulated time, as the platform's logs do, so
	// its moments and the boot-log lines it quotes tell one story.
	w.journal.SetClock(platform.clk.Now)
	began := time.Now()
	if isReplay(scenario) {
		if err := watchForReplay(opts.ctx, env, w, rb, platform.fly, platform.clk); err != nil {
			w.lock.Release()
			if opts.ctx.Err() != nil {
				fmt.Fprintf(env.IO.ErrOut, "jpops: interrupted while the watchdog watched; nothing was deployed (journal: %s)\n", w.journal.Path())
				return &ExitError{Code: verdict.ExitInterrupted, Silent: true, Err: err}
			}
			return fmt.Errorf("%w (journal: %s)", err, w.journal.Path())
		}
	}
	out, runErr := w.run(opts.ctx, env)
	if runErr == nil {
		printScorecard(env, w, out, scenario, time.Since(began), speed)
		if sdir, err := env.StateDir(); err == nil {
			_ = state.RecordDrill(sdir, state.DrillRecord{At: env.Now().UTC(), Scenario: scenario, Incident: out.incident, Verdict: string(out.result.Verdict), DurationS: time.Since(began).Seconds()})
		}
	}
	return finishWalk(env, w, out, runErr)
}

// drillEnv points the stand-in flyctl at the simulated platform, whatever
// the operator's environment says about the real one.
func drillEnv(environ []string, url, token string) []string {
	out := make([]string, 0, len(environ)+4)
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "FLY_FLAPS_BASE_URL", "FLY_API_BASE_URL", "FLY_API_TOKEN", "FLY_ACCESS_TOKEN", "FLY_APP":
			continue
		}
		out = append(out, kv)
	}
	return append(out, "FLY_FLAPS_BASE_URL="+url, "FLY_API_BASE_URL="+url, "FLY_API_TOKEN="+token)
}

// writeDrillDir lays out the deploy directory the drill deploys from: the
// guarded (post-fix) boot script and a fly.toml.
func writeDrillDir(dir, app string) error {
	script, err := drillFiles.ReadFile("drillfiles/entrypoint.sh")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "entrypoint.sh"), script, 0o755); err != nil {
		return err
	}
	toml := fmt.Sprintf("app = %q\nprimary_region = \"nrt\"\n\n[[http_service.checks]]\n  grace_period = \"60s\"\n  path = \"/v1/healthz\"\n", app)
	return os.WriteFile(filepath.Join(dir, "fly.toml"), []byte(toml), 0o644)
}

func printScorecard(env walkEnv, w *walk, out walkOutcome, scenario string, wall time.Duration, speed float64) {
	events, err := journal.Read(out.path)
	if err != nil {
		return
	}
	m := incident.Reduce(events).Metrics()
	dst := env.IO.ErrOut
	if w.tui || !w.jsonOut {
		dst = env.IO.Out
	}
	want := drillExpect[scenario]
	got := out.result.Verdict
	match := "as expected"
	if got != want {
		match = fmt.Sprintf("expected %s", want)
	}
	d := func(t time.Time, x time.Duration) string {
		if t.IsZero() {
			return "—"
		}
		return x.Round(100 * time.Millisecond).String()
	}
	fmt.Fprintf(dst, "\nDRILL scorecard · scenario %s · %s (%s)\n", scenario, got, match)
	fmt.Fprintf(dst, "  time to diagnose   %s\n", d(m.Diagnosed, m.TimeToDiagnose))
	fmt.Fprintf(dst, "  time to escape     %s\n", d(m.Deployed, m.TimeToDeploy))
	fmt.Fprintf(dst, "  time to verified   %s\n", d(m.Verified, m.TimeToVerify))
	fmt.Fprintf(dst, "  gates taken        %d\n", m.GatesTaken)
	fmt.Fprintf(dst, "  wrong turns        %d%s\n", m.WrongTurns, reasons(m.WrongTurnReasons))
	fmt.Fprintf(dst, "  wall time          %s (simulated clock ×%g)\n", wall.Round(100*time.Millisecond), speed)
	if isReplay(scenario) {
		printReplayScorecard(dst, m)
	}
	fmt.Fprintf(dst, "  journal            %s\n", out.path)
}

func reasons(r []string) string {
	if len(r) == 0 {
		return ""
	}
	return " (" + strings.Join(r, "; ") + ")"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
