package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/audit"
	"github.com/jpops-dev/jpops/internal/report"
	"github.com/jpops-dev/jpops/internal/verdict"
)

func init() { register(newAuditCmd) }

func newAuditCmd(env *Env, g *globalFlags) *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "audit [FILE…]",
		Short: "Find full-scan SQLite ops in boot scripts that no size gate guards",
		Long: `Parses boot scripts with a real shell parser and reports every SQLite
full-scan op run at boot (PRAGMA integrity_check, quick_check, VACUUM,
REINDEX, ANALYZE, a SHA256 of the DB) that no size gate, override variable
or trusted stamp guards (post-mortem AI-5). With no FILE it audits the
runbook's boot scripts (entrypoint.sh) in the current directory.

It follows the code a script runs: functions, strings run by eval, boot-time
traps and sh/bash/su -c, commands behind wrappers (exec, timeout, nice, env,
sudo, xargs, find -exec, busybox), functions called through a variable the
script assigns, and files it sources (. or source). A sourced path is looked
up from the script's directory and its parents up to the one holding fly.toml;
an image path such as /app/scripts/db.sh is tried as app/scripts/db.sh, then
scripts/db.sh, then db.sh there. A sourced file it cannot find or read is
named in a warning (and under "unread" with --json): its code was not
audited.

Exit codes: 0 clean, 10 findings, 2 a script the shell parser rejects.`,
		Example: `  jpops audit entrypoint.sh
  jpops audit --json scripts/*.sh`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				rb, err := loadRunbook(g)
				if err != nil {
					return err
				}
				args = rb.Escape.BootScripts
			}
			rep, err := audit.Audit(args)
			findings := rep.Findings
			var pe *audit.ParseError
			if errors.As(err, &pe) {
				return &ExitError{Code: verdict.ExitUsage, Err: err}
			}
			if err != nil {
				return err
			}
			if findings == nil {
				findings = []audit.Finding{}
			}
			unread := rep.Unread
			if unread == nil {
				unread = []audit.Unread{}
			}
			if jsonOut {
				_ = report.JSON(env.IO.Out, map[string]any{"files": args, "clean": len(findings) == 0, "findings": findings, "unread": unread})
			} else {
				for _, f := range findings {
					fmt.Fprintf(env.IO.Out, "%s:%d:%d: %s: %s\n    %s\n", f.File, f.Line, f.Col, f.Op, f.Why, f.Command)
				}
				for _, u := range unread {
					fmt.Fprintf(env.IO.ErrOut, "warning: %s\n", u)
				}
				if len(findings) == 0 {
					fmt.Fprintf(env.IO.ErrOut, "clean: no unguarded full-scan op in %d file(s)\n", len(args))
				} else {
					fmt.Fprintf(env.IO.ErrOut, "%d unguarded full-scan op(s): guard each with a size check (see the post-mortem's post-fix §4) or an override variable\n", len(findings))
				}
			}
			if len(findings) > 0 {
				return &ExitError{Code: verdict.ExitHangConfirmed, Silent: true, Err: errors.New("findings")}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print one JSON object")
	return cmd
}
