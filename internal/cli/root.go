// Package cli is jpops's command tree: flags, the terminal and --yes rules,
// picking the face (TUI, plain lines, JSON) and mapping outcomes to exit
// codes. Behaviour lives in the engine packages; this package wires them.
package cli

import (
	"context"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/build"
	"github.com/jpops-dev/jpops/internal/iostreams"
	"github.com/jpops-dev/jpops/internal/redact"
)

// Env is what commands need from the process: streams, environment, clock.
type Env struct {
	IO     *iostreams.IOStreams
	Getenv func(string) string
	Now    func() time.Time
	Home   string

	// Signals delivers SIGINT/SIGTERM. The first one cancels the command's
	// context unless a command has taken interrupts over (the escape deploy
	// forwards them to flyctl instead); a later one with nobody listening
	// ends the process at once.
	Signals <-chan os.Signal

	mu          sync.Mutex
	onInterrupt func()
	onHangup    func()
}

// takeHangups routes every SIGHUP (the terminal went away) to f until the
// returned func is called. Without a taker a hang-up is an interrupt.
func (e *Env) takeHangups(f func()) (release func()) {
	e.mu.Lock()
	e.onHangup = f
	e.mu.Unlock()
	return func() {
		e.mu.Lock()
		e.onHangup = nil
		e.mu.Unlock()
	}
}

// takeInterrupts routes every interrupt to f until the returned func is called.
func (e *Env) takeInterrupts(f func()) (release func()) {
	e.mu.Lock()
	e.onInterrupt = f
	e.mu.Unlock()
	return func() {
		e.mu.Lock()
		e.onInterrupt = nil
		e.mu.Unlock()
	}
}

func (e *Env) watchSignals(ctx context.Context, cancel context.CancelFunc) {
	if e.Signals == nil {
		return
	}
	cancelled := false
	for {
		select {
		case <-ctx.Done():
			if !cancelled {
				return
			}
		case sig, ok := <-e.Signals:
			if !ok {
				return
			}
			e.mu.Lock()
			f, hangup := e.onInterrupt, e.onHangup
			e.mu.Unlock()
			switch {
			case sig == syscall.SIGHUP && hangup != nil:
				hangup()
			case f != nil:
				f()
			case !cancelled:
				cancelled = true
				cancel()
			default:
				fmt.Fprintln(e.IO.ErrOut, "jpops: interrupted again; exiting now")
				os.Exit(130)
			}
		}
	}
}

// globalFlags are accepted by every command.
type globalFlags struct {
	token   string
	runbook string
}

// Main runs jpops with args and returns the process exit code.
func Main(ctx context.Context, env *Env, args []string) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Home == "" {
		env.Home, _ = os.UserHomeDir()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go env.watchSignals(ctx, cancel)
	root := NewRoot(env)
	root.SetArgs(args)
	root.SetIn(env.IO.In)
	root.SetOut(env.IO.Out)
	root.SetErr(env.IO.ErrOut)
	err := root.ExecuteContext(ctx)
	code := ExitCode(err)
	if err != nil {
		if ee, ok := err.(*ExitError); !ok || !ee.Silent {
			fmt.Fprintln(env.IO.ErrOut, "jpops: "+redact.String(err.Error()))
			if code == 2 {
				fmt.Fprintln(env.IO.ErrOut, "Run 'jpops --help' for usage.")
			}
		}
	}
	return code
}

// NewRoot builds the command tree.
func NewRoot(env *Env) *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   "jpops",
		Short: "Walk a Fly.io outage where machines hang at boot, and rehearse it",
		Long: `jpops walks a solo operator through an outage of a Fly.io app whose machines
are started but fail their health checks because the boot runs a full-scan
SQLite op (PRAGMA integrity_check on a multi-GB volume). It diagnoses the
signature, confirms it from the boot logs, runs the escape deploy behind a
typed confirmation, and verifies recovery with a mandatory smoke walk.

Exit codes: 0 ok, 1 error, 2 usage, 3 not authorised, 10 hang confirmed,
11 inconclusive, 12 not this incident, 20 escape failed, 30 smoke failed,
40 aborted, 130 interrupted.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       build.Version,
	}
	root.SetVersionTemplate("jpops {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &ExitError{Code: 2, Err: err}
	})
	root.PersistentFlags().StringVarP(&g.token, "access-token", "t", "", "Fly API token (default: FLY_ACCESS_TOKEN, FLY_API_TOKEN, then ~/.fly/config.yml)")
	root.PersistentFlags().StringVar(&g.runbook, "runbook", "", "load this runbook file instead of the embedded db-boot-hang runbook")

	root.AddCommand(newVersionCmd(env))
	for _, add := range commands {
		root.AddCommand(add(env, g))
	}
	root.CompletionOptions.HiddenDefaultCmd = false
	return root
}

// commands are registered by each command's file, so adding a command
// touches only that file.
var commands []func(*Env, *globalFlags) *cobra.Command

func register(f func(*Env, *globalFlags) *cobra.Command) { commands = append(commands, f) }

func newVersionCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print jpops's version, commit and build date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(env.IO.Out, "jpops %s (commit %s, built %s)\n", build.Version, build.Commit, build.Date)
			return nil
		},
	}
}
