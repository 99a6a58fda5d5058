package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/incident"
	"github.com/jpops-dev/jpops/internal/iostreams"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/postmortem"
	"github.com/jpops-dev/jpops/internal/report"
	"github.com/jpops-dev/jpops/internal/state"
	"github.com/jpops-dev/jpops/internal/verdict"
)

// incidentsDir is where journals live.
func incidentsDir(stateDir func() (string, error)) (string, error) {
	dir, err := stateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, state.IncidentsDir), nil
}

// findJournal resolves the optional [ID|latest] argument (none means the
// latest incident), or a journal's path.
func findJournal(stateDir func() (string, error), ref string) (string, error) {
	if strings.HasSuffix(ref, ".ndjson") {
		if _, err := os.Stat(ref); err == nil {
			return ref, nil
		}
	}
	dir, err := incidentsDir(stateDir)
	if err != nil {
		return "", err
	}
	if ref == "" || ref == "latest" {
		s, ok, err := incident.Latest(dir)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", fmt.Errorf("no incident journals in %s yet: jpops run or jpops drill writes one", dir)
		}
		return s.Path, nil
	}
	list, err := incident.List(dir)
	if err != nil {
		return "", err
	}
	var matches []string
	for _, s := range list {
		if s.ID == ref {
			return s.Path, nil
		}
		if strings.HasPrefix(s.ID, ref) {
			matches = append(matches, s.Path)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return "", fmt.Errorf("no incident %q in %s: see jpops journal list", ref, dir)
	}
	return "", usageError("incident %q is ambiguous (%d journals start with it): give more of the ID", ref, len(matches))
}

// journalExits are the journal and postmortem commands' exit codes
// (made when a command is built, not at every start).
func journalExits() string {
	return exitCodes(exitOK("done"),
		exit(verdict.ExitError, "error: no such incident, or its journal cannot be read"),
		exit(verdict.ExitUsage, "usage: bad flags or arguments, or an ambiguous incident ID"))
}

// NewCmdJournal groups the journal's subcommands.
func NewCmdJournal(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "journal",
		Short: "List and show incident journals",
		Long: `Every run, resume and drill journals each event, one JSON line, under the state
directory's incidents/. These commands read them back.` + journalExits(),
		Example: `  jpops journal list
  jpops journal show latest`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(NewCmdJournalList(f, nil), NewCmdJournalShow(f, nil))
	return cmd
}

// JournalListOptions are journal list's.
type JournalListOptions struct {
	IO       *iostreams.IOStreams
	StateDir func() (string, error)
	JSON     bool
}

// NewCmdJournalList lists the journals.
func NewCmdJournalList(f *Factory, runF func(*JournalListOptions) error) *cobra.Command {
	opts := &JournalListOptions{IO: f.IO, StateDir: f.StateDir}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List incident journals, newest first",
		Long: `Lists the incident journals in the state directory, newest first: ID, app,
mode (live, dry-run, drill), start, verdict ("(open)" while unfinished) and
the number of events.` + journalExits(),
		Example: `  jpops journal list
  jpops journal list --json | jq -r '.[0].id'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return journalListRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON array")
	return cmd
}

func journalListRun(opts *JournalListOptions) error {
	dir, err := incidentsDir(opts.StateDir)
	if err != nil {
		return err
	}
	rows, err := incident.List(dir)
	if err != nil {
		return err
	}
	if opts.JSON {
		out := []map[string]any{}
		for _, s := range rows {
			out = append(out, map[string]any{"id": s.ID, "app": s.App, "mode": s.Mode, "verdict": s.Verdict,
				"path": s.Path, "started": ts(s.Started), "ended": ts(s.Ended), "events": s.Events, "torn": s.Torn})
		}
		return report.JSON(opts.IO.Out, out)
	}
	if len(rows) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "no incident journals in %s yet\n", dir)
		return nil
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INCIDENT\tAPP\tMODE\tSTARTED\tVERDICT\tEVENTS")
	for _, s := range rows {
		v := s.Verdict
		if v == "" {
			v = "(open)"
		}
		if s.Err != nil {
			v = "(unreadable: " + s.Err.Error() + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", s.ID, s.App, s.Mode, ts(s.Started), v, s.Events)
	}
	return tw.Flush()
}

// JournalShowOptions are journal show's.
type JournalShowOptions struct {
	IO       *iostreams.IOStreams
	Getenv   func(string) string
	StateDir func() (string, error)
	Incident string // ID, a prefix of one, "latest" or a journal's path; "": latest
	JSON     bool
}

// NewCmdJournalShow shows one journal.
func NewCmdJournalShow(f *Factory, runF func(*JournalShowOptions) error) *cobra.Command {
	opts := &JournalShowOptions{IO: f.IO, Getenv: f.Getenv, StateDir: f.StateDir}
	cmd := &cobra.Command{
		Use:   "show [ID|latest]",
		Short: "Show one incident's events (plain lines, or the raw NDJSON with --json)",
		Long: `Shows one incident's events, one line each, in the order they happened. The
incident is named by its ID, the start of its ID, "latest" (the default) or
the path of its journal. A last line torn by a crash mid-write is skipped,
with a note. On a terminal the lines are laid out as a Markdown list
(without colour under NO_COLOR); piped, they are plain lines.` + journalExits(),
		Example: `  jpops journal show
  jpops journal show 20260511T114000Z-autonomath-api --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Incident = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return journalShowRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the events as NDJSON")
	return cmd
}

func journalShowRun(opts *JournalShowOptions) error {
	path, err := findJournal(opts.StateDir, opts.Incident)
	if err != nil {
		return err
	}
	log, err := journal.ReadLog(path)
	if err != nil {
		return err
	}
	switch {
	case opts.JSON:
		for _, ev := range log.Events {
			_ = report.NDJSON(opts.IO.Out, ev)
		}
	case markdownFaceOf(opts.IO, opts.Getenv) != markdownPlain:
		lines := make([]string, 0, len(log.Events))
		for _, ev := range log.Events {
			lines = append(lines, report.EventLine(ev))
		}
		title := strings.TrimSuffix(filepath.Base(path), ".ndjson")
		if err := writeMarkdown(opts.IO, opts.Getenv, eventsMarkdown(title, lines)); err != nil {
			return err
		}
	default:
		for _, ev := range log.Events {
			fmt.Fprintln(opts.IO.Out, report.EventLine(ev))
		}
	}
	if log.Torn {
		fmt.Fprintln(opts.IO.ErrOut, "note: the journal's last line was torn (a crash mid-write); every complete event is shown")
	}
	return nil
}

// PostmortemOptions are the postmortem command's.
type PostmortemOptions struct {
	IO       *iostreams.IOStreams
	Getenv   func(string) string
	StateDir func() (string, error)
	Incident string
	Output   string // "" or "-": standard output
}

// NewCmdPostmortem renders the post-mortem draft.
func NewCmdPostmortem(f *Factory, runF func(*PostmortemOptions) error) *cobra.Command {
	opts := &PostmortemOptions{IO: f.IO, Getenv: f.Getenv, StateDir: f.StateDir}
	cmd := &cobra.Command{
		Use:   "postmortem [ID|latest]",
		Short: "Render the post-mortem draft (Markdown) of an incident from its journal",
		Long: `Renders a post-mortem draft in Markdown from an incident's journal alone: the
timeline, the evidence, the commands run and the times to diagnose, mitigate
and verify. The incident is named as for jpops journal show. On a terminal
the draft is laid out (headings, lists, tables, wrapped to the width; no
colour under NO_COLOR); piped or written with -o it is the Markdown as is.` + journalExits(),
		Args: cobra.MaximumNArgs(1),
		Example: `  jpops postmortem latest -o postmortem.md
  jpops postmortem 20260511T114000Z-autonomath-api`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Incident = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return postmortemRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write the draft to FILE instead of standard output")
	return cmd
}

func postmortemRun(opts *PostmortemOptions) error {
	path, err := findJournal(opts.StateDir, opts.Incident)
	if err != nil {
		return err
	}
	events, err := journal.Read(path)
	if err != nil {
		return err
	}
	md := postmortem.Render(events, postmortem.Options{})
	if opts.Output == "" || opts.Output == "-" {
		return writeMarkdown(opts.IO, opts.Getenv, md)
	}
	if err := writeFileAtomic(opts.Output, []byte(md)); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "wrote %s\n", opts.Output)
	return nil
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
