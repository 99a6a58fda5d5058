// Package cli is jpops's command tree: flags, the terminal and --yes rules,
// picking the face (TUI, plain lines, JSON) and mapping outcomes to exit
// codes. Behaviour lives in the engine packages; this package wires them.
//
// Every command has the same shape: an XOptions struct, NewCmdX(f, runF)
// that parses flags into it and checks them, and xRun(opts) that does the
// work. A test passes runF to stop after the checks and look at the options.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/build"
	"github.com/jpops-dev/jpops/internal/iostreams"
	"github.com/jpops-dev/jpops/internal/redact"
	"github.com/jpops-dev/jpops/internal/verdict"
)

// Main runs jpops with args and returns the process exit code. It returns
// 130 at once on a second interrupt nobody listens for, leaving the
// command's goroutine to the process's end.
func Main(ctx context.Context, f *Factory, args []string) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	giveUp, ended := make(chan struct{}), make(chan struct{})
	defer close(ended)
	go f.watchSignals(ctx, cancel, giveUp, ended)
	root := NewRoot(f)
	root.SetArgs(args)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	type outcome struct {
		cmd *cobra.Command
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		cmd, err := root.ExecuteContextC(ctx)
		done <- outcome{cmd, err}
	}()
	select {
	case o := <-done:
		return reportError(f.IO.ErrOut, o.cmd, o.err)
	case <-giveUp:
		return verdict.ExitInterrupted
	}
}

// reportError prints err in one line (unless the command has reported it
// already) and returns its exit code. Only a mistake on the command line
// points at the help.
func reportError(w io.Writer, cmd *cobra.Command, err error) int {
	code := ExitCode(err)
	if err == nil {
		return code
	}
	var ee *ExitError
	if errors.As(err, &ee) && ee.Silent {
		return code
	}
	if code == verdict.ExitInterrupted && ee == nil {
		// Ctrl-C or SIGTERM cut a request short: "context canceled" from
		// deep inside says less than this does.
		fmt.Fprintln(w, "jpops: interrupted")
		return code
	}
	fmt.Fprintln(w, "jpops: "+redact.String(err.Error()))
	if isUsage(err) {
		path := "jpops"
		if cmd != nil {
			path = cmd.CommandPath()
		}
		fmt.Fprintf(w, "Run '%s --help' for usage.\n", path)
	}
	return code
}

// NewRoot builds the command tree.
func NewRoot(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "jpops",
		Short: "Walk a Fly.io outage where machines hang at boot, and rehearse it",
		Long: `jpops walks a solo operator through an outage of a Fly.io app whose machines
are started but fail their health checks because the boot runs a full-scan
SQLite op (PRAGMA integrity_check on a multi-GB volume). It diagnoses the
signature, confirms it from the boot logs, runs the escape deploy behind a
typed confirmation, and verifies recovery with a mandatory smoke walk.` + exitCodes(
			exitOK("ok"), exitError, exitUsage, exitAuth,
			exit(verdict.ExitHangConfirmed, "hang confirmed"),
			exit(verdict.ExitInconclusive, "inconclusive"),
			exit(verdict.ExitNotThisIncident, "not this incident"),
			exit(verdict.ExitEscapeFailed, "escape failed"),
			exit(verdict.ExitSmokeFailed, "smoke failed"),
			exit(verdict.ExitAborted, "aborted at a gate"),
			exitInterrupted),
		Example: `  jpops doctor -a autonomath-api
  jpops diagnose -a autonomath-api
  jpops run -a autonomath-api
  jpops drill`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       build.Version,
	}
	root.SetVersionTemplate("jpops {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &ExitError{Code: verdict.ExitUsage, Err: err, usage: true}
	})
	root.PersistentFlags().StringVarP(&f.Token, "access-token", "t", "", "Fly API token (default: FLY_ACCESS_TOKEN, FLY_API_TOKEN, then ~/.fly/config.yml)")
	root.PersistentFlags().StringVar(&f.RunbookPath, "runbook", "", "load this runbook file instead of the embedded db-boot-hang runbook")

	root.AddCommand(
		NewCmdDoctor(f, nil),
		NewCmdDiagnose(f, nil),
		NewCmdScan(f, nil),
		NewCmdRun(f, nil),
		NewCmdResume(f, nil),
		NewCmdSmoke(f, nil),
		NewCmdDrill(f, nil),
		NewCmdWatch(f, nil),
		NewCmdAudit(f, nil),
		NewCmdJournal(f),
		NewCmdPostmortem(f, nil),
		NewCmdVersion(f, nil),
		newCmdSim(f),
	)
	// Made here rather than when the command runs, so its help and pages
	// carry examples and exit codes like every other command's.
	root.InitDefaultCompletionCmd()
	documentCompletion(root)
	return root
}

// documentCompletion adds examples and exit codes to cobra's completion
// command and its shells.
func documentCompletion(root *cobra.Command) {
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Example = `  jpops completion bash > /etc/bash_completion.d/jpops
  jpops completion zsh > "${fpath[1]}/_jpops"
  jpops completion fish > ~/.config/fish/completions/jpops.fish`
		c.Long = strings.TrimSpace(c.Long) + exitCodes(exitOK("printed"), exitUsage)
		for _, sh := range c.Commands() {
			sh.Example = fmt.Sprintf("  jpops completion %s", sh.Name())
			sh.Long = strings.TrimSpace(sh.Long) + exitCodes(exitOK("printed"), exitUsage)
		}
	}
}

// VersionOptions are the version command's.
type VersionOptions struct {
	IO                    *iostreams.IOStreams
	Version, Commit, Date string
}

// NewCmdVersion prints the version.
func NewCmdVersion(f *Factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{Version: build.Version, Commit: build.Commit, Date: build.Date}
	return &cobra.Command{
		Use:     "version",
		Short:   "Print jpops's version, commit and build date",
		Long:    "Prints the version, the commit it was built from and the build date." + exitCodes(exitOK("printed")),
		Example: "  jpops version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.IO = f.IO
			if runF != nil {
				return runF(opts)
			}
			return versionRun(opts)
		},
	}
}

func versionRun(opts *VersionOptions) error {
	_, err := fmt.Fprintf(opts.IO.Out, "jpops %s (commit %s, built %s)\n", opts.Version, opts.Commit, opts.Date)
	return err
}
