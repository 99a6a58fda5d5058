package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/redact"
)

func init() { register(newSmokeCmd) }

func newSmokeCmd(env *Env, g *globalFlags) *cobra.Command {
	var (
		af    appFlags
		wf    walkFlags
		image string
	)
	cmd := &cobra.Command{
		Use:   "smoke",
		Short: "Phase 4 alone: verify every machine runs IMAGE, passes and answers, for the hold",
		Long: `The smoke walk, for after any deploy (lesson 5 of the 2026-05-11 post-mortem:
a local deploy bypasses the pipeline's smoke step). It passes only when every
active machine runs the image (a sha256 digest, or a tag ref), is started with
every check passing and answers every smoke request addressed to it directly
(fly-force-instance-id), and keeps doing so for the stability hold.

Exit codes: 0 passed, 30 SMOKE_FAILED (mitigated, unverified).`,
		Example: `  jpops smoke -a autonomath-api --image registry.fly.io/autonomath-api:deployment-01KR8S4V
  jpops smoke -a autonomath-api --image sha256:de7c3283… --hold 2m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if image == "" {
				return usageError("--image is required: the digest (sha256:…) or tag ref the machines must run")
			}
			app, err := af.resolve(env, "")
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
			o.Runbook, o.Fly = rb, fly
			o.Report = plainFace(env, wf.jsonOut, "")
			res, err := phases.Smoke(cmd.Context(), o, image)
			if err != nil {
				return err
			}
			if !wf.jsonOut {
				fmt.Fprintf(env.IO.ErrOut, "smoke %s: %s\n", res.Verdict, redact.String(res.Reason))
				if res.Next != "" {
					fmt.Fprintln(env.IO.ErrOut, "next: "+redact.String(res.Next))
				}
			}
			return verdictExit(res.Verdict)
		},
	}
	af.add(cmd)
	wf.add(cmd, false)
	cmd.Flags().StringVar(&image, "image", "", "the image every machine must run: sha256 digest or tag ref (required)")
	return cmd
}
