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
	"slices"
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
	name := commandName(args)
	root, known := newRootFor(f, name)
	root.SetArgs(args)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	if f.Signals == nil || !known || !stoppable(name, args) {
		// Nothing to stop: run on this goroutine, with no signal handling
		// started, so a bare start stays as cheap as it can be.
		cmd, err := root.ExecuteContextC(ctx)
		return reportError(f.IO.ErrOut, cmd, err)
	}
	giveUp, ended := make(chan struct{}), make(chan struct{})
	defer close(ended)
	go f.watchSignals(ctx, f.Signals(), cancel, giveUp, ended)
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

// subcommands are jpops's commands, in the order help lists them.
var subcommands = []struct {
	name  string
	build func(*Factory) *cobra.Command
}{
	{"doctor", func(f *Factory) *cobra.Command { return NewCmdDoctor(f, nil) }},
	{"diagnose", func(f *Factory) *cobra.Command { return NewCmdDiagnose(f, nil) }},
	{"scan", func(f *Factory) *cobra.Command { return NewCmdScan(f, nil) }},
	{"run", func(f *Factory) *cobra.Command { return NewCmdRun(f, nil) }},
	{"resume", func(f *Factory) *cobra.Command { return NewCmdResume(f, nil) }},
	{"smoke", func(f *Factory) *cobra.Command { return NewCmdSmoke(f, nil) }},
	{"drill", func(f *Factory) *cobra.Command { return NewCmdDrill(f, nil) }},
	{"watch", func(f *Factory) *cobra.Command { return NewCmdWatch(f, nil) }},
	{"audit", func(f *Factory) *cobra.Command { return NewCmdAudit(f, nil) }},
	{"journal", NewCmdJournal},
	{"postmortem", func(f *Factory) *cobra.Command { return NewCmdPostmortem(f, nil) }},
	{"version", func(f *Factory) *cobra.Command { return NewCmdVersion(f, nil) }},
	{"sim", newCmdSim},
}

// NewRoot builds the whole command tree.
func NewRoot(f *Factory) *cobra.Command {
	root := newRootCmd(f)
	for _, c := range subcommands {
		root.AddCommand(c.build(f))
	}
	// Made here rather than when the command runs, so its help and pages
	// carry examples and exit codes like every other command's.
	root.InitDefaultCompletionCmd()
	documentCompletion(root)
	return root
}

// stoppable tells whether jpops's command name, run with args, can take
// long enough for a signal to matter: any but version, unless asked for
// its help. (Help, completion, an unknown name and the root's own flags
// print and end too.)
func stoppable(name string, args []string) bool {
	return name != "version" && !slices.Contains(args, "--help") && !slices.Contains(args, "-h")
}

// newRootFor builds the tree that the command name needs, and tells
// whether name is one of jpops's commands: then the root and that command
// alone, since building every command's flags and help costs each start
// more than most commands' own work before their first request;
// otherwise (help, completion, a mistyped command, no command) the whole
// tree.
func newRootFor(f *Factory, name string) (root *cobra.Command, known bool) {
	for _, c := range subcommands {
		if c.name == name {
			root := newRootCmd(f)
			root.AddCommand(c.build(f))
			return root, true
		}
	}
	return NewRoot(f), false
}

// commandName is the first argument that is not a flag of the root (nor a
// root flag's value): the command args run, or "".
func commandName(args []string) string {
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--":
			return ""
		case a == "-t" || a == "--access-token" || a == "--runbook":
			i++ // the flag's value
		case strings.HasPrefix(a, "-"):
			// Another flag: the root has no other flag that takes a value,
			// and a subcommand's flag before its name is a usage error
			// either tree reports.
		default:
			return a
		}
	}
	return ""
}

// newRootCmd is the root command with its persistent flags, and no
// subcommands.
func newRootCmd(f *Factory) *cobra.Command {
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
