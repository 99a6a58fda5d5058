package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/iostreams"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/redact"
	"github.com/jpops-dev/jpops/internal/report"
	"github.com/jpops-dev/jpops/internal/verdict"
)

// DiagnoseOptions are the diagnose command's.
type DiagnoseOptions struct {
	IO  *iostreams.IOStreams
	Now func() time.Time
	appTarget

	JSON        bool
	Machine     string
	Concurrency int

	ctx context.Context
}

// NewCmdDiagnose is phases 1–2, read-only.
func NewCmdDiagnose(f *Factory, runF func(*DiagnoseOptions) error) *cobra.Command {
	opts := &DiagnoseOptions{IO: f.IO, appTarget: newAppTarget(f)}
	var af appFlags
	cmd := &cobra.Command{
		Use:   "diagnose",
		Short: "Phases 1–2, read-only: machines and boot logs → a verdict with evidence",
		Long: `Lists the app's machines (phase 1), finds those started but failing their
health checks past the grace period, reads their boot logs back to their last
start (phase 2) and names the full-scan boot op that never finished.` + exitCodes(
			exitOK("HEALTHY"), exitError, exitUsage, exitAuth,
			exit(verdict.ExitHangConfirmed, "HANG_CONFIRMED: a full-scan boot op never finished"),
			exit(verdict.ExitInconclusive, "INCONCLUSIVE: failing checks, but the logs do not prove the hang"),
			exit(verdict.ExitNotThisIncident, "NOT_THIS_INCIDENT: unhealthy in another way"),
			exitInterrupted),
		Example: `  jpops diagnose -a autonomath-api
  jpops diagnose -a autonomath-api --json | jq .verdict`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if opts.App, err = af.resolve(f.Getenv, ""); err != nil {
				return err
			}
			opts.Now, opts.ctx = f.Now, cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return diagnoseRun(opts)
		},
	}
	af.add(cmd)
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON object (verdict, machines, evidence, next, next_note)")
	cmd.Flags().StringVar(&opts.Machine, "machine", "", "look at this machine only")
	// Hidden: for measuring the parallel log fetches against serial ones.
	cmd.Flags().IntVar(&opts.Concurrency, "concurrency", 0, "machines read at once (default: every machine, the requests in flight bounded by the API client)")
	_ = cmd.Flags().MarkHidden("concurrency")
	return cmd
}

func diagnoseRun(opts *DiagnoseOptions) error {
	rb, fly, err := opts.load()
	if err != nil {
		return err
	}
	d, err := phases.Diagnose(opts.ctx, phases.Options{App: opts.App, Runbook: rb, Fly: fly, Now: opts.Now, Machine: opts.Machine, Concurrency: opts.Concurrency})
	if err != nil {
		return err
	}
	out := report.Diagnosis{Verdict: d.Verdict, App: opts.App, Reason: d.Reason, Machines: d.Machines, Evidence: d.Evidence, Unread: d.Unread}
	out.SetAdvice(d.Next)
	writeDiagnosis(opts.IO, out, opts.JSON)
	return verdictExit(d.Verdict)
}

// writeDiagnosis prints a diagnosis in the face the output calls for. Log
// lines come from outside and may carry secrets: everything shown is redacted.
func writeDiagnosis(io *iostreams.IOStreams, d report.Diagnosis, jsonOut bool) {
	d = redactDiagnosis(d)
	if d.Machines == nil {
		d.Machines = []phases.MachineView{}
	}
	if d.Evidence == nil {
		d.Evidence = []phases.Evidence{}
	}
	switch {
	case jsonOut:
		_ = report.JSON(io.Out, d)
	case io.IsStdoutTTY():
		report.HumanDiagnosis(io.Out, d, styler(io))
	default:
		report.PlainDiagnosis(io.Out, d)
	}
}

func redactDiagnosis(d report.Diagnosis) report.Diagnosis {
	d.Reason, d.Source = redact.String(d.Reason), redact.String(d.Source)
	d.SetAdvice(d.Advice().Map(redact.String))
	ev := make([]phases.Evidence, len(d.Evidence))
	for i, e := range d.Evidence {
		e.Line, e.Completion, e.DB = redact.String(e.Line), redact.String(e.Completion), redact.String(e.DB)
		ev[i] = e
	}
	d.Evidence = ev
	ms := make([]phases.MachineView, len(d.Machines))
	for i, m := range d.Machines {
		m.Image = redact.String(m.Image)
		ms[i] = m
	}
	d.Machines = ms
	return d
}
