package cli

import (
	"bufio"
	"fmt"
	"os/exec"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/flyctl"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

func init() { register(newResumeCmd) }

func newResumeCmd(env *Env, g *globalFlags) *cobra.Command {
	var (
		wf       walkFlags
		redeploy bool
		image    string
	)
	cmd := &cobra.Command{
		Use:   "resume [ID|latest]",
		Short: "Continue an interrupted incident from its journal",
		Long: `Continues an incident whose jpops was interrupted or killed, from its journal
alone. Phases 1–2 are read-only and run again. A deploy that finished is not
repeated: the walk goes on to the smoke walk against the image it deployed.
A deploy whose end is not on record (jpops was killed while flyctl ran) may
have finished, so resume never runs it again without asking: on a terminal
it asks; off one it needs --redeploy to run it again, or --yes to go straight
to the smoke walk.`,
		Example: `  jpops resume
  jpops resume 20260511T114000Z-autonomath-api-3f9c --yes`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := findJournal(env, args)
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
			if sdir, err := stateDir(env); err != nil {
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
			if wf.dir == "" {
				wf.dir = st.Dir
			}
			if wf.smokeURL == "" && st.SmokeURL != "" {
				wf.smokeURL = st.SmokeURL
			}
			if wf.hold == 0 {
				wf.hold = st.Hold
			}
			if wf.interval == 0 {
				wf.interval = st.Interval
			}
			if wf.machine == "" {
				wf.machine = st.Start.Machine
			}
			if rbPath := st.Runbook; g.runbook == "" && rbPath != "" && rbPath != runbook.DefaultName {
				g.runbook = rbPath
			}
			rb, err := loadRunbook(g)
			if err != nil {
				return err
			}
			o := wf.options(env, st.App)
			o.Runbook, o.FlyctlEnv = rb, flyctlEnv(g)
			if err := phases.CheckSmokeURL(o); err != nil {
				return usageError("%v", err)
			}

			deployed := st.DeployExited && st.DeployExitCode == 0
			inDoubt := st.DeployInDoubt()
			resumeImage := firstNonEmpty(image, st.Digest, st.Image)
			if inDoubt && resumeImage == "" {
				resumeImage = imageFromOutput(events)
			}
			switch {
			case deployed:
				o.SkipDeploy, o.ResumeImage = true, resumeImage
			case inDoubt && redeploy:
				// Asked for explicitly: run the whole walk again, deploy included.
			case inDoubt:
				again, err := askRedeploy(env, st, wf.yes)
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
			if !o.SkipDeploy || wf.flyctl != "" {
				if p, err := flyctl.Find(firstNonEmpty(wf.flyctl, st.Flyctl), env.Getenv, exec.LookPath); err == nil {
					o.Flyctl = []string{p}
				}
			}
			useTUI, err := wf.face(env)
			if err != nil {
				return err
			}
			fly, err := flyClient(env, g)
			if err != nil {
				return err
			}
			o.Fly = fly
			w := &walk{opts: o, jsonOut: wf.jsonOut, tui: useTUI, journal: j, resume: true, lock: held.lock}
			out, err := w.run(cmd.Context(), env)
			return finishWalk(env, w, out, err)
		},
	}
	wf.add(cmd, true)
	cmd.Flags().BoolVar(&redeploy, "redeploy", false, "run the deploy again even though an earlier one may have finished")
	cmd.Flags().StringVar(&image, "image", "", "the image to verify when the journal does not record it")
	return cmd
}

// askRedeploy settles a deploy whose end is not on record: --yes goes on to
// the smoke walk (the safe choice: a second deploy is never implied), a
// terminal asks, and anything else refuses.
func askRedeploy(env *Env, st journal.ResumeState, yes bool) (bool, error) {
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
