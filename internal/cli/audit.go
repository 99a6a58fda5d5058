package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/audit"
	"github.com/jpops-dev/jpops/internal/audit/auditfmt"
	"github.com/jpops-dev/jpops/internal/build"
	"github.com/jpops-dev/jpops/internal/iostreams"
	"github.com/jpops-dev/jpops/internal/report"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// AuditOptions are the audit command's.
type AuditOptions struct {
	IO      *iostreams.IOStreams
	Runbook func() (*runbook.Runbook, error)

	Files  []string // none: the runbook's boot scripts
	Format string   // text, json, sarif or github; --json is json
	JSON   bool
}

// auditFormats are what --format takes.
var auditFormats = []string{"text", "json", "sarif", "github"}

// NewCmdAudit audits boot scripts.
func NewCmdAudit(f *Factory, runF func(*AuditOptions) error) *cobra.Command {
	opts := &AuditOptions{IO: f.IO, Runbook: f.Runbook}
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

--format sarif writes SARIF 2.1.0 for code scanning (a sourced file not
audited is a warning notification); --format github writes one ::error
workflow command per finding (::warning per file not audited), which
annotates the pull request in GitHub Actions. The exit code is the same in
every format.` + exitCodes(
			exitOK("clean: no unguarded full-scan op"), exitError,
			exit(verdict.ExitUsage, "a script the shell parser rejects, bad flags, or an invalid runbook file"),
			exit(verdict.ExitHangConfirmed, "findings: an unguarded full-scan op")),
		Example: `  jpops audit entrypoint.sh
  jpops audit --json scripts/*.sh
  jpops audit --format sarif entrypoint.sh > jpops-audit.sarif
  jpops audit --format github entrypoint.sh`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			if !slices.Contains(auditFormats, opts.Format) {
				return usageError("--format %q: want one of %s", opts.Format, strings.Join(auditFormats, ", "))
			}
			if opts.JSON {
				if cmd.Flags().Changed("format") && opts.Format != "json" {
					return usageError("--json and --format %s ask for two formats: give one", opts.Format)
				}
				opts.Format = "json"
			}
			if runF != nil {
				return runF(opts)
			}
			return auditRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON object (--format json)")
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output: "+strings.Join(auditFormats, ", "))
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(auditFormats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func auditRun(opts *AuditOptions) error {
	files := opts.Files
	if len(files) == 0 {
		rb, err := opts.Runbook()
		if err != nil {
			return err
		}
		files = rb.Escape.BootScripts
	}
	rep, err := audit.Audit(files)
	findings := rep.Findings
	var pe *audit.ParseError
	if errors.As(err, &pe) {
		if opts.Format == "github" {
			auditfmt.GitHubParseError(opts.IO.Out, pe)
		}
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
	switch opts.Format {
	case "json":
		_ = report.JSON(opts.IO.Out, map[string]any{"files": files, "clean": len(findings) == 0, "findings": findings, "unread": unread})
	case "sarif":
		tool := auditfmt.Tool{Name: "jpops", Version: build.Version, InformationURI: "https://github.com/jpops-dev/jpops"}
		if err := auditfmt.SARIF(opts.IO.Out, rep, tool); err != nil {
			return fmt.Errorf("write SARIF: %w", err)
		}
	case "github":
		if err := auditfmt.GitHub(opts.IO.Out, rep); err != nil {
			return fmt.Errorf("write workflow commands: %w", err)
		}
		auditSummary(opts, files, findings)
	default:
		for _, f := range findings {
			fmt.Fprintf(opts.IO.Out, "%s:%d:%d: %s: %s\n    %s\n", f.File, f.Line, f.Col, f.Op, f.Why, f.Command)
		}
		for _, u := range unread {
			fmt.Fprintf(opts.IO.ErrOut, "warning: %s\n", u)
		}
		auditSummary(opts, files, findings)
	}
	if len(findings) > 0 {
		return &ExitError{Code: verdict.ExitHangConfirmed, Silent: true, Err: errors.New("findings")}
	}
	return nil
}

func auditSummary(opts *AuditOptions, files []string, findings []audit.Finding) {
	if len(findings) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "clean: no unguarded full-scan op in %d file(s)\n", len(files))
	} else {
		fmt.Fprintf(opts.IO.ErrOut, "%d unguarded full-scan op(s): guard each with a size check (see the post-mortem's post-fix §4) or an override variable\n", len(findings))
	}
}
