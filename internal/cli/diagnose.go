package cli

import (
	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/redact"
	"github.com/jpops-dev/jpops/internal/report"
)

func init() { register(newDiagnoseCmd) }

func newDiagnoseCmd(env *Env, g *globalFlags) *cobra.Command {
	var (
		af      appFlags
		jsonOut bool
		machine string
		conc    int
	)
	cmd := &cobra.Command{
		Use:   "diagnose",
		Short: "Phases 1–2, read-only: machines and boot logs → a verdict with evidence",
		Long: `Lists the app's machines (phase 1), finds those started but failing their
health checks past the grace period, reads their boot logs back to their last
start (phase 2) and names the full-scan boot op that never finished.

Exit codes: 0 HEALTHY, 10 HANG_CONFIRMED, 11 INCONCLUSIVE, 12 NOT_THIS_INCIDENT.`,
		Example: `  jpops diagnose -a autonomath-api
  jpops diagnose -a autonomath-api --json | jq .verdict`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
			d, err := phases.Diagnose(cmd.Context(), phases.Options{App: app, Runbook: rb, Fly: fly, Now: env.Now, Machine: machine, Concurrency: conc})
			if err != nil {
				return err
			}
			out := report.Diagnosis{Verdict: d.Verdict, App: app, Reason: d.Reason, Next: d.Next, Machines: d.Machines, Evidence: d.Evidence}
			writeDiagnosis(env, out, jsonOut)
			return verdictExit(d.Verdict)
		},
	}
	af.add(cmd)
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print one JSON object (verdict, machines, evidence)")
	cmd.Flags().StringVar(&machine, "machine", "", "look at this machine only")
	// Hidden: for measuring the parallel log fetches against serial ones.
	cmd.Flags().IntVar(&conc, "concurrency", 0, "parallel log fetches (default 16)")
	_ = cmd.Flags().MarkHidden("concurrency")
	return cmd
}

// writeDiagnosis prints a diagnosis in the face the output calls for. Log
// lines come from outside and may carry secrets: everything shown is redacted.
func writeDiagnosis(env *Env, d report.Diagnosis, jsonOut bool) {
	d = redactDiagnosis(d)
	if d.Machines == nil {
		d.Machines = []phases.MachineView{}
	}
	if d.Evidence == nil {
		d.Evidence = []phases.Evidence{}
	}
	switch {
	case jsonOut:
		_ = report.JSON(env.IO.Out, d)
	case env.IO.IsStdoutTTY():
		report.HumanDiagnosis(env.IO.Out, d, styler(env))
	default:
		report.PlainDiagnosis(env.IO.Out, d)
	}
}

func redactDiagnosis(d report.Diagnosis) report.Diagnosis {
	d.Reason, d.Next, d.Source = redact.String(d.Reason), redact.String(d.Next), redact.String(d.Source)
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
