package cli

import (
	"context"
	"fmt"

	"github.com/jpops-dev/jpops/internal/report"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/redact"
	"github.com/jpops-dev/jpops/internal/verdict"
)

// SmokeOptions are the smoke command's.
type SmokeOptions struct {
	walkEnv
	appTarget
	walkFlags
	Image string

	ctx context.Context
}

// NewCmdSmoke is phase 4 alone.
func NewCmdSmoke(f *Factory, runF func(*SmokeOptions) error) *cobra.Command {
	opts := &SmokeOptions{appTarget: newAppTarget(f)}
	var af appFlags
	cmd := &cobra.Command{
		Use:   "smoke",
		Short: "Phase 4 alone: verify every machine runs IMAGE, passes and answers, for the hold",
		Long: `The smoke walk, for after any deploy (lesson 5 of the 2026-05-11 post-mortem:
a local deploy bypasses the pipeline's smoke step). It passes only when every
active machine runs the image (a sha256 digest, or a tag ref), is started with
every check passing and answers every smoke request addressed to it directly
(fly-force-instance-id), and keeps doing so for the stability hold. It only
reads and requests: there is no gate to pass.` + exitCodes(
			exitOK("passed"), exitError, exitUsage, exitAuth,
			exit(verdict.ExitSmokeFailed, "SMOKE_FAILED: mitigated, unverified"),
			exitInterrupted),
		Example: `  jpops smoke -a autonomath-api --image registry.fly.io/autonomath-api:deployment-01KR8S4V
  jpops smoke -a autonomath-api --image sha256:de7c3283… --hold 2m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.walkEnv, opts.ctx = newWalkEnv(f), cmd.Context()
			if opts.Image == "" {
				return usageError("--image is required: the digest (sha256:…) or tag ref the machines must run")
			}
			var err error
			if opts.App, err = af.resolve(f.Getenv, ""); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return smokeRun(opts)
		},
	}
	af.add(cmd)
	opts.walkFlags.add(cmd, smokeFlags)
	// Offered here once, though smoke has no gate; kept so scripts that pass
	// it do not break, and hidden from the help.
	var yes bool
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "")
	_ = cmd.Flags().MarkDeprecated("yes", "smoke has no gate to pass; drop --yes")
	cmd.Flags().StringVar(&opts.Image, "image", "", "the image every machine must run: sha256 digest or tag ref (required)")
	return cmd
}

func smokeRun(opts *SmokeOptions) error {
	rb, fly, err := opts.load()
	if err != nil {
		return err
	}
	o := opts.options(opts.walkEnv, opts.App)
	o.Runbook, o.Fly = rb, fly
	o.Report = plainFace(opts.walkEnv, opts.JSON, "")
	res, err := phases.Smoke(opts.ctx, o, opts.Image)
	if err != nil {
		return err
	}
	if !opts.JSON {
		fmt.Fprintf(opts.IO.ErrOut, "smoke %s: %s\n", res.Verdict, redact.String(res.Reason))
		report.WriteAdvice(opts.IO.ErrOut, "next: ", "note: ", res.Next.Map(redact.String))
	}
	return verdictExit(res.Verdict)
}
