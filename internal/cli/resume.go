package cli

import (
	"context"
	"fmt"
	"os/exec"
	"time"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flyctl"
	"github.com/jpops-dev/jpops/internal/incident"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/state"
	"github.com/jpops-dev/jpops/runbook"
)

// ResumeOptions are the resume command's.
type ResumeOptions struct {
	walkEnv
	walkFlags
	// LoadRunbook loads RunbookPath: the incident's runbook is known only
	// once its journal is read.
	LoadRunbook func(path string) (*runbook.Runbook, error)
	FlyClient   func() (*flyapi.HTTPClient, error)
	RunbookPath string // --runbook; "": the one the incident was walked with

	Incident string // ID, a prefix of one, "latest" or a journal's path; "": latest
	Redeploy bool
	Image    string

	ctx context.Context
}

// NewCmdResume continues an interrupted incident.
func NewCmdResume(f *Factory, runF func(*ResumeOptions) error) *cobra.Command {
	opts := &ResumeOptions{FlyClient: f.FlyClient, LoadRunbook: loadRunbook}
	cmd := &cobra.Command{
		Use:   "resume [ID|latest]",
		Short: "Continue an interrupted incident from its journal",
		Long: `Continues an incident whose jpops was interrupted or killed, from its journal
and the Machines API. A deploy that finished is not repeated: the walk goes on
to the smoke walk against the image it deployed, with no confirmation since
nothing is deployed. When the journal cannot tell (jpops was killed while
flyctl ran), the machines' images say: all on one new image means the deploy
finished; some or none means it stopped, and the walk runs again with the
deploy behind the gate. --image and --redeploy override that reading.

Only one jpops holds an incident: resuming one that a running jpops holds is
refused (exit 20), naming it.

An incident that has already ended is not walked again: resume prints how it
ended and exits with the code it ended with.` + walkExits(),
		Example: `  jpops resume
  jpops resume 20260511T114000Z-autonomath-api-3f9c --yes`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.walkEnv, opts.ctx = newWalkEnv(f), cmd.Context()
			opts.RunbookPath = f.RunbookPath
			if len(args) == 1 {
				opts.Incident = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return resumeRun(opts)
		},
	}
	opts.walkFlags.add(cmd, deployFlags)
	cmd.Flags().BoolVar(&opts.Redeploy, "redeploy", false, "run the deploy again even though an earlier one may have finished")
	cmd.Flags().StringVar(&opts.Image, "image", "", "the image to verify when the journal does not record it")
	return cmd
}

func resumeRun(opts *ResumeOptions) error {
	env := opts.walkEnv
	path, err := findJournal(opts.StateDir, opts.Incident)
	if err != nil {
		return err
	}
	// One jpops per incident: take its lock before opening the
	// journal for writing, and refuse before asking anything.
	seen, err := journal.Read(path)
	if err != nil {
		return err
	}
	before := incident.Reduce(seen)
	held := &walk{opts: phases.Options{App: before.App()}, resume: true, drill: before.Mode == journal.ModeDrill}
	if sdir, err := env.StateDir(); err != nil {
		return err
	} else if err := held.hold(sdir, before.Mode, before.Incident); err != nil {
		return err
	}
	defer held.lock.Release()
	j, events, err := journal.Open(path)
	if err != nil {
		return err
	}
	defer j.Close()
	st := incident.Reduce(events)
	if st.Finished() {
		fmt.Fprintf(env.IO.Out, "incident %s already ended %s (exit %d); see jpops postmortem %s\n", st.Incident, st.Final, st.ExitCode, st.Incident)
		return verdictExit(st.Final)
	}
	var drill *drillPlatform
	if st.Mode == journal.ModeDrill {
		// The drill's simulated platform comes back as it was saved.
		if drill, err = restoreDrillPlatform(path); err != nil {
			return err
		}
		defer drill.close()
	}
	if st.App() == "" {
		return fmt.Errorf("journal %s has no incident_start with the app: it cannot be resumed; see jpops journal show %s", path, st.Incident)
	}
	wf := &opts.walkFlags
	holdFlag := wf.Hold // a drill reads --hold as real time
	if wf.Dir == "" {
		wf.Dir = st.Start.Dir
	}
	if wf.SmokeURL == "" && st.Start.SmokeURL != "" {
		wf.SmokeURL = st.Start.SmokeURL
	}
	if wf.Hold == 0 {
		wf.Hold = st.HoldAsked()
	}
	if wf.Interval == 0 {
		wf.Interval = time.Duration(st.Start.IntervalS * float64(time.Second))
	}
	if wf.Machine == "" {
		wf.Machine = st.Start.Machine
	}
	if rbPath := st.Start.Runbook; opts.RunbookPath == "" && rbPath != "" && rbPath != runbook.DefaultName {
		opts.RunbookPath = rbPath
	}
	rb, err := opts.LoadRunbook(opts.RunbookPath)
	if err != nil {
		return err
	}
	o := wf.options(env, st.App())
	o.Runbook, o.FlyctlEnv = rb, flyctlEnv(env.token)
	var fly flyapi.Client
	if drill != nil {
		holdReal := holdFlag
		if err := drill.configure(&o, rb, holdReal, wf.Settle); err != nil {
			return err
		}
		if asked := st.HoldAsked(); holdReal == 0 && asked > 0 {
			o.Hold = asked // simulated, as journaled
		}
		fly = o.Fly
	} else {
		if err := phases.CheckSmokeURL(o); err != nil {
			return usageError("%v", err)
		}
		client, err := opts.FlyClient()
		if err != nil {
			return err
		}
		o.Fly, fly = client, client
	}
	plan, err := planResume(opts.ctx, st, events, fly, opts.Image, opts.Redeploy)
	if err != nil {
		return err
	}
	o.ResumeReason = plan.Reason
	if plan.Step == phases.ResumeSmoke {
		o.SkipDeploy, o.ResumeImage = true, plan.Image
	}
	if drill == nil && (!o.SkipDeploy || wf.Flyctl != "") {
		if p, err := flyctl.Find(firstNonEmpty(wf.Flyctl, st.Start.Flyctl), env.Getenv, exec.LookPath); err == nil {
			o.Flyctl = []string{p}
		}
	}
	if !wf.JSON {
		fmt.Fprintf(env.IO.ErrOut, "jpops: resuming %s: %s\n", st.Incident, plan.Reason)
	}
	// Nothing to confirm when nothing will deploy: the smoke walk only
	// reads, so it needs neither a terminal nor --yes.
	if o.SkipDeploy {
		wf.Yes = true
	}
	useTUI, err := wf.face(env.IO, "jpops resume asks for a typed confirmation before deploying, and there is no terminal to ask on: pass --yes to confirm in advance, or --dry-run to look without deploying")
	if err != nil {
		return err
	}
	w := &walk{opts: o, jsonOut: wf.JSON, tui: useTUI, journal: j, resume: true, lock: held.lock}
	if drill != nil {
		w.drill, w.scenario = true, drill.scenario()
	}
	began := time.Now()
	out, err := w.run(opts.ctx, env)
	if drill != nil && err == nil {
		printScorecard(env, w, out, w.scenario, time.Since(began), drill.speed)
		if sdir, serr := env.StateDir(); serr == nil {
			_ = state.RecordDrill(sdir, state.DrillRecord{At: env.Now().UTC(), Scenario: w.scenario, Incident: out.incident, Verdict: string(out.result.Verdict), DurationS: time.Since(began).Seconds()})
		}
	}
	return finishWalk(env, w, out, err)
}

// planResume works out what is true now and the one step that can work:
// --image and --redeploy are the operator's word over the plan; otherwise
// the journal, and where it cannot tell, the Machines API decides.
func planResume(ctx context.Context, st *incident.View, events []journal.Event, fly flyapi.Client, image string, redeploy bool) (phases.ResumePlan, error) {
	switch {
	case redeploy:
		return phases.ResumePlan{Step: phases.ResumeRedeploy, Reason: "--redeploy: phases 1–2 run again and the gate asks before the deploy runs again"}, nil
	case image != "":
		return phases.ResumePlan{Step: phases.ResumeSmoke, Image: image, Reason: "--image: on to the smoke walk against " + image + "; nothing is deployed"}, nil
	}
	if st.Image == "" && st.Digest == "" {
		// flyctl may have printed the image before jpops stopped.
		st.Image = imageFromOutput(events)
	}
	plan := phases.PlanResume(st, nil)
	if plan.Step != phases.ResumeRedeploy || st.Deploy() == nil {
		return plan, nil
	}
	machines, err := fly.ListMachines(ctx, st.App())
	if err != nil {
		if flyapi.IsAuth(err) {
			return plan, err
		}
		return plan, fmt.Errorf("cannot tell whether the deploy of %s finished: listing its machines failed: %w; try again, or pass --image REF to verify an image you know, or --redeploy", st.Incident, err)
	}
	return phases.PlanResume(st, machines), nil
}

// imageFromOutput finds the image flyctl printed before jpops stopped.
func imageFromOutput(events []journal.Event) string {
	var img, digest string
	for _, ev := range events {
		out, ok := ev.Data.(journal.CommandOutput)
		if !ok {
			continue
		}
		line := out.Line
		if i, ok := flyctl.ParseImage(line); ok {
			img = i
		}
		if d, ok := flyctl.ParseDigest(line); ok {
			digest = d
		}
	}
	return firstNonEmpty(digest, img)
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
