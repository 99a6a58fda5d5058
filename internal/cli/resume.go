package cli

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flyctl"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/verdict"
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
alone. Phases 1–2 are read-only and run again. A deploy that finished is not
repeated: the walk goes on to the smoke walk against the image it deployed.
A deploy whose end is not on record (jpops was killed while flyctl ran) may
have finished, so resume never runs it again without asking: on a terminal
it asks; off one it needs --redeploy to run it again, or --yes to go straight
to the smoke walk.

An incident that has already ended is not walked again: resume prints how it
ended and exits with the code it ended with.` + walkExits,
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
	before := journal.State(seen)
	held := &walk{opts: phases.Options{App: before.App}, resume: true, drill: before.Mode == journal.ModeDrill}
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
	st := journal.State(events)
	if st.Finished() {
		fmt.Fprintf(env.IO.Out, "incident %s already ended %s (exit %d); see jpops postmortem %s\n", st.Incident, st.Final, st.ExitCode, st.Incident)
		return verdictExit(verdict.Verdict(st.Final))
	}
	if st.Mode == journal.ModeDrill {
		return usageError("incident %s was a drill: its simulated platform ended with it; start a new one with jpops drill", st.Incident)
	}
	if st.App == "" {
		return fmt.Errorf("journal %s has no incident_start with the app: it cannot be resumed; see jpops journal show %s", path, st.Incident)
	}
	wf := &opts.walkFlags
	if wf.Dir == "" {
		wf.Dir = st.Dir
	}
	if wf.SmokeURL == "" && st.SmokeURL != "" {
		wf.SmokeURL = st.SmokeURL
	}
	if wf.Hold == 0 {
		wf.Hold = st.Hold
	}
	if wf.Interval == 0 {
		wf.Interval = st.Interval
	}
	if wf.Machine == "" {
		wf.Machine = st.Start.Machine
	}
	if rbPath := st.Runbook; opts.RunbookPath == "" && rbPath != "" && rbPath != runbook.DefaultName {
		opts.RunbookPath = rbPath
	}
	rb, err := opts.LoadRunbook(opts.RunbookPath)
	if err != nil {
		return err
	}
	o := wf.options(env, st.App)
	o.Runbook, o.FlyctlEnv = rb, flyctlEnv(env.token)
	if err := phases.CheckSmokeURL(o); err != nil {
		return usageError("%v", err)
	}

	deployed := st.DeployExited && st.DeployExitCode == 0
	inDoubt := st.DeployInDoubt()
	resumeImage := firstNonEmpty(opts.Image, st.Digest, st.Image)
	if inDoubt && resumeImage == "" {
		resumeImage = imageFromOutput(events)
	}
	switch {
	case deployed:
		o.SkipDeploy, o.ResumeImage = true, resumeImage
	case inDoubt && opts.Redeploy:
		// Asked for explicitly: run the whole walk again, deploy included.
	case inDoubt:
		again, err := askRedeploy(env, st, wf.Yes)
		if err != nil {
			return err
		}
		if !again {
			if resumeImage == "" {
				return usageError("the deploy's image is not on record: pass --image REF (see flyctl releases -a %s --image), or --redeploy", st.App)
			}
			o.SkipDeploy, o.ResumeImage = true, resumeImage
		}
	}
	if !o.SkipDeploy || wf.Flyctl != "" {
		if p, err := flyctl.Find(firstNonEmpty(wf.Flyctl, st.Flyctl), env.Getenv, exec.LookPath); err == nil {
			o.Flyctl = []string{p}
		}
	}
	useTUI, err := wf.face(env.IO, "jpops resume asks for a typed confirmation before deploying, and there is no terminal to ask on: pass --yes to confirm in advance, or --dry-run to look without deploying")
	if err != nil {
		return err
	}
	fly, err := opts.FlyClient()
	if err != nil {
		return err
	}
	o.Fly = fly
	w := &walk{opts: o, jsonOut: wf.JSON, tui: useTUI, journal: j, resume: true, lock: held.lock}
	out, err := w.run(opts.ctx, env)
	return finishWalk(env, w, out, err)
}

// askRedeploy settles a deploy whose end is not on record: --yes goes on to
// the smoke walk (the safe choice: a second deploy is never implied), a
// terminal asks, and anything else refuses.
func askRedeploy(env walkEnv, st journal.ResumeState, yes bool) (bool, error) {
	if yes {
		return false, nil
	}
	if !env.IO.CanPrompt() {
		return false, usageError("the deploy of incident %s started but its end is not on record, and there is no terminal to ask: pass --yes to go on to the smoke walk, or --redeploy to deploy again", st.Incident)
	}
	fmt.Fprintf(env.IO.Out, "The deploy of incident %s started at %s but its end is not on record: it may have finished.\n", st.Incident, st.Started.UTC().Format("15:04:05 UTC"))
	fmt.Fprintf(env.IO.Out, "Type %s to run it again, or press Enter to go straight to the smoke walk: ", st.App)
	line, err := bufio.NewReader(env.IO.In).ReadString('\n')
	if err != nil && line == "" {
		return false, &ExitError{Code: verdict.ExitAborted, Err: fmt.Errorf("no answer: nothing was run")}
	}
	return strings.TrimSpace(line) == st.App, nil
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
