package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jpops-dev/jpops/internal/advice"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/bootlog"
	"github.com/jpops-dev/jpops/internal/iostreams"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/report"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// ScanOptions are the scan command's.
type ScanOptions struct {
	IO      *iostreams.IOStreams
	Runbook func() (*runbook.Runbook, error)

	File      string    // "" or "-": standard input
	At        time.Time // zero: the log's newest timestamp
	App       string
	HangAfter time.Duration
	JSON      bool

	ctx context.Context // stops the read on SIGINT or SIGTERM
}

// NewCmdScan is phase 2 over a saved or piped log.
func NewCmdScan(f *Factory, runF func(*ScanOptions) error) *cobra.Command {
	opts := &ScanOptions{IO: f.IO, Runbook: f.Runbook}
	var now string
	cmd := &cobra.Command{
		Use:   "scan [FILE|-]",
		Short: "Phase 2 over saved or piped flyctl logs (text or --json stream)",
		Long: `Reads flyctl logs output (the text format, with or without colour codes, or the
--json stream) and finds full-scan boot ops that started and never finished.
It streams: a log of any size is read in constant memory.

"Now" is the newest timestamp in the log, so a saved log reads the same every
time; pass --now now (or an RFC3339 time) to measure against another moment.` + exitCodes(
			exitOK("HEALTHY: every full-scan boot op finished, or none ran"), exitError, exitUsage,
			exit(verdict.ExitHangConfirmed, "HANG_CONFIRMED: an op started and never finished within its hang_after"),
			exit(verdict.ExitInconclusive, "INCONCLUSIVE: an op still running, not yet past its hang_after")),
		Example: `  flyctl logs -a autonomath-api --no-tail | jpops scan -
  jpops scan saved.log --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ctx = cmd.Context()
			var err error
			switch now {
			case "":
			case "now":
				opts.At = f.Now()
			default:
				if opts.At, err = parseNow(f.Now, now); err != nil {
					return err
				}
			}
			if len(args) == 1 {
				opts.File = args[0]
			}
			if len(args) == 0 && opts.IO.IsStdinTTY() {
				return usageError("scan reads a log file or standard input: jpops scan FILE, or flyctl logs -a APP --no-tail | jpops scan -")
			}
			if runF != nil {
				return runF(opts)
			}
			return scanRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON object (verdict, evidence, next, next_note)")
	cmd.Flags().StringVar(&now, "now", "", `measure running time up to this RFC3339 time, or "now" (default: the log's newest timestamp)`)
	cmd.Flags().StringVarP(&opts.App, "app", "a", "", "app name, for the report and the next command")
	cmd.Flags().DurationVar(&opts.HangAfter, "hang-after", 0, "call an unfinished op hung after this long (default: each op's hang_after)")
	return cmd
}

func scanRun(opts *ScanOptions) error {
	rb, err := opts.Runbook()
	if err != nil {
		return err
	}
	var in io.Reader = opts.IO.In
	source := "stdin"
	if opts.File != "" && opts.File != "-" {
		f, err := os.Open(opts.File)
		if err != nil {
			return fmt.Errorf("cannot read the log: %w", err)
		}
		defer f.Close()
		// A device never ends (/dev/zero, /dev/urandom): it is not a log.
		// Regular files and pipes (a FIFO, <(flyctl logs)) are read to the end.
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeDevice != 0 {
			return usageError("%s is a device, not a saved log: pass a log file, or - to read standard input", opts.File)
		}
		in, source = f, opts.File
	}
	// A regular file ends, and bootlog maps a large one whole, which needs
	// the *os.File itself: only other inputs need a signal to stop them.
	if f, ok := in.(*os.File); opts.ctx != nil && !(ok && isRegular(f)) {
		in = &stoppableReader{ctx: opts.ctx, r: in}
	}
	eng := bootlog.New(rb)
	if opts.HangAfter > 0 {
		eng.SetHangAfter(opts.HangAfter)
	}
	stats, err := eng.Scan(in)
	if err != nil {
		return fmt.Errorf("reading %s: %w", source, err)
	}
	findings := eng.Findings(opts.At)
	d := report.Diagnosis{App: opts.App, Source: source, Machines: []phases.MachineView{}}
	for _, f := range findings {
		d.Evidence = append(d.Evidence, phases.EvidenceOf(f))
	}
	d.Verdict = bootlog.Verdict(findings)
	d.Reason = scanReason(d.Verdict, findings, stats)
	if d.Verdict == verdict.HangConfirmed && opts.App != "" {
		d.SetAdvice(advice.Cmd("it reads the machines and asks at a typed gate before it deploys", "jpops", "run", "-a", opts.App))
	} else if d.Verdict == verdict.HangConfirmed {
		// No app was named: a command with a placeholder is not one to paste.
		d.SetAdvice(advice.Noted("name the app with -a to get the command; jpops run -a APP reads the machines and asks at a typed gate before it deploys"))
	}
	writeDiagnosis(opts.IO, d, opts.JSON)
	return verdictExit(d.Verdict)
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

// stoppableReader ends a read of an endless input at the first read after
// ctx is done: scan reads any size, so a signal is what ends it.
type stoppableReader struct {
	ctx context.Context
	r   io.Reader
}

func (s *stoppableReader) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	return s.r.Read(p)
}

func isRegular(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode().IsRegular()
}
