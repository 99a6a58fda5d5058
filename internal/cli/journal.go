package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/report"
	"github.com/jpops-dev/jpops/internal/state"
)

func init() {
	register(newJournalCmd)
	register(newPostmortemCmd)
}

// incidentsDir is where journals live.
func incidentsDir(env *Env) (string, error) {
	dir, err := stateDir(env)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, state.IncidentsDir), nil
}

// findJournal resolves the optional [ID|latest] argument (none means the
// latest incident), or a journal's path.
func findJournal(env *Env, args []string) (string, error) {
	ref := ""
	if len(args) == 1 {
		ref = args[0]
	}
	if strings.HasSuffix(ref, ".ndjson") {
		if _, err := os.Stat(ref); err == nil {
			return ref, nil
		}
	}
	dir, err := incidentsDir(env)
	if err != nil {
		return "", err
	}
	if ref == "" || ref == "latest" {
		s, ok, err := journal.Latest(dir)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", usageError("no incident journals in %s yet: jpops run or jpops drill writes one", dir)
		}
		return s.Path, nil
	}
	list, err := journal.List(dir)
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
		return "", usageError("no incident %q in %s: see jpops journal list", ref, dir)
	}
	return "", usageError("incident %q is ambiguous (%d journals start with it): give more of the ID", ref, len(matches))
}

func newJournalCmd(env *Env, _ *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "journal",
		Short: "List and show incident journals",
		Args:  cobra.NoArgs,
	}
	var jsonOut bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List incident journals, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := incidentsDir(env)
			if err != nil {
				return err
			}
			rows, err := journal.List(dir)
			if err != nil {
				return err
			}
			if jsonOut {
				out := []map[string]any{}
				for _, s := range rows {
					out = append(out, map[string]any{"id": s.ID, "app": s.App, "mode": s.Mode, "verdict": s.Verdict,
						"path": s.Path, "started": ts(s.Started), "ended": ts(s.Ended), "events": s.Events, "torn": s.Torn})
				}
				return report.JSON(env.IO.Out, out)
			}
			if len(rows) == 0 {
				fmt.Fprintf(env.IO.ErrOut, "no incident journals in %s yet\n", dir)
				return nil
			}
			tw := tabwriter.NewWriter(env.IO.Out, 0, 0, 2, ' ', 0)
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
		},
	}
	list.Flags().BoolVar(&jsonOut, "json", false, "print a JSON array")
	var raw bool
	show := &cobra.Command{
		Use:   "show [ID|latest]",
		Short: "Show one incident's events (plain lines, or the raw NDJSON with --json)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := findJournal(env, args)
			if err != nil {
				return err
			}
			log, err := journal.ReadLog(path)
			if err != nil {
				return err
			}
			for _, ev := range log.Events {
				if raw {
					_ = report.NDJSON(env.IO.Out, ev)
				} else {
					fmt.Fprintln(env.IO.Out, report.EventLine(ev))
				}
			}
			if log.Torn {
				fmt.Fprintln(env.IO.ErrOut, "note: the journal's last line was torn (a crash mid-write); every complete event is shown")
			}
			return nil
		},
	}
	show.Flags().BoolVar(&raw, "json", false, "print the events as NDJSON")
	cmd.AddCommand(list, show)
	return cmd
}

func newPostmortemCmd(env *Env, _ *globalFlags) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "postmortem [ID|latest]",
		Short: "Render the post-mortem draft (Markdown) of an incident from its journal",
		Args:  cobra.MaximumNArgs(1),
		Example: `  jpops postmortem latest -o postmortem.md
  jpops postmortem 20260511T114000Z-autonomath-api`,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := findJournal(env, args)
			if err != nil {
				return err
			}
			events, err := journal.Read(path)
			if err != nil {
				return err
			}
			md := journal.Postmortem(events, journal.PostmortemOptions{})
			if out == "" || out == "-" {
				_, err := fmt.Fprint(env.IO.Out, md)
				return err
			}
			if err := writeFileAtomic(out, []byte(md)); err != nil {
				return err
			}
			fmt.Fprintf(env.IO.ErrOut, "wrote %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the draft to FILE instead of standard output")
	return cmd
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
