package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/bootlog"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/report"
	"github.com/jpops-dev/jpops/internal/verdict"
)

func init() { register(newScanCmd) }

func newScanCmd(env *Env, g *globalFlags) *cobra.Command {
	var (
		jsonOut   bool
		now       string
		app       string
		hangAfter time.Duration
	)
	cmd := &cobra.Command{
		Use:   "scan [FILE|-]",
		Short: "Phase 2 over saved or piped flyctl logs (text or --json stream)",
		Long: `Reads flyctl logs output (the text format, with or without colour codes, or the
--json stream) and finds full-scan boot ops that started and never finished.
It streams: a log of any size is read in constant memory.

"Now" is the newest timestamp in the log, so a saved log reads the same every
time; pass --now now (or an RFC3339 time) to measure against another moment.

Exit codes: 0 HEALTHY, 10 HANG_CONFIRMED, 11 INCONCLUSIVE (an op still
running, not yet past its hang_after).`,
		Example: `  flyctl logs -a autonomath-api --no-tail | jpops scan -
  jpops scan saved.log --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rb, err := loadRunbook(g)
			if err != nil {
				return err
			}
			var at time.Time
			switch now {
			case "":
			case "now":
				at = env.Now()
			default:
				if at, err = parseNow(env, now); err != nil {
					return err
				}
			}
			var in io.Reader = env.IO.In
			source := "stdin"
			if len(args) == 1 && args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return fmt.Errorf("cannot read the log: %w", err)
				}
				defer f.Close()
				in, source = f, args[0]
			} else if len(args) == 0 && env.IO.IsStdinTTY() {
				return usageError("scan reads a log file or standard input: jpops scan FILE, or flyctl logs -a APP --no-tail | jpops scan -")
			}
			eng := bootlog.New(rb)
			if hangAfter > 0 {
				eng.SetHangAfter(hangAfter)
			}
			stats, err := eng.Scan(in)
			if err != nil {
				return fmt.Errorf("reading %s: %w", source, err)
			}
			findings := eng.Findings(at)
			d := report.Diagnosis{App: app, Source: source, Machines: []phases.MachineView{}}
			for _, f := range findings {
				d.Evidence = append(d.Evidence, phases.EvidenceOf(f))
			}
			d.Verdict = bootlog.Verdict(findings)
			d.Reason = scanReason(d.Verdict, findings, stats)
			if d.Verdict == verdict.HangConfirmed && app != "" {
				d.Next = "jpops run -a " + app
			} else if d.Verdict == verdict.HangConfirmed {
				d.Next = "jpops run -a APP"
			}
			writeDiagnosis(env, d, jsonOut)
			return verdictExit(d.Verdict)
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print one JSON object (verdict, evidence)")
	cmd.Flags().StringVar(&now, "now", "", `measure running time up to this RFC3339 time, or "now" (default: the log's newest timestamp)`)
	cmd.Flags().StringVarP(&app, "app", "a", "", "app name, for the report and the next command")
	cmd.Flags().DurationVar(&hangAfter, "hang-after", 0, "call an unfinished op hung after this long (default: each op's hang_after)")
	return cmd
}

func scanReason(v verdict.Verdict, findings []bootlog.Finding, st bootlog.Stats) string {
	read := fmt.Sprintf("%d lines read", st.Lines)
	if st.Overlong+st.Malformed > 0 {
		read += fmt.Sprintf(", %d overlong and %d malformed skipped", st.Overlong, st.Malformed)
	}
	hung, running := 0, 0
	for _, f := range findings {
		switch f.Status {
		case bootlog.Hung:
			hung++
		case bootlog.Running:
			running++
		}
	}
	switch v {
	case verdict.HangConfirmed:
		return fmt.Sprintf("%d full-scan boot op(s) started and never finished within hang_after (%s)", hung, read)
	case verdict.Inconclusive:
		return fmt.Sprintf("%d full-scan boot op(s) still running, not yet past hang_after (%s)", running, read)
	}
	if len(findings) == 0 {
		return "no full-scan boot op in the log (" + read + ")"
	}
	return "every full-scan boot op in the log finished (" + read + ")"
}
