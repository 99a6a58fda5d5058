package cli

import (
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/flysim"
	"github.com/jpops-dev/jpops/internal/verdict"
)

// newCmdSim is hidden from jpops --help (it is for drills and tests, never
// for an outage): the simulated platform for people (serve) and the
// stand-in flyctl that drills run as a real child process (flyctl).
func newCmdSim(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "The simulated Fly platform (for drills and tests)",
		Long: `The simulated Fly platform jpops drill runs against, for trying jpops by hand
(serve) and the stand-in flyctl a drill deploys with (flyctl). Hidden from
jpops --help: nothing here touches the real platform.` + exitCodes(exitOK("done"), exitError, exitUsage),
		Example: `  jpops sim serve --scenario db-boot-hang --speed 60
  jpops sim flyctl version`,
		Hidden: true,
		Args:   cobra.NoArgs,
	}
	cmd.AddCommand(NewCmdSimServe(f, nil), NewCmdSimFlyctl(f, nil))
	return cmd
}

// SimServeOptions are sim serve's.
type SimServeOptions struct {
	Options flysim.Options
	Addr    string
	walkEnv
}

// NewCmdSimServe serves the simulated platform until interrupted.
func NewCmdSimServe(f *Factory, runF func(*SimServeOptions) error) *cobra.Command {
	opts := &SimServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the simulated platform on loopback until interrupted",
		Long: `Serves the simulated Machines API, logs API and app on loopback, and prints
the base URL and the token to use, until SIGINT or SIGTERM. Point jpops at
it with FLY_FLAPS_BASE_URL, FLY_API_BASE_URL and FLY_API_TOKEN.` + exitCodes(
			exitOK("stopped by SIGINT or SIGTERM"), exitError, exitUsage),
		Example: `  jpops sim serve --scenario db-boot-hang --speed 60
  jpops sim serve --scenario healthy --addr 127.0.0.1:8787 --token flysim-test`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.walkEnv = newWalkEnv(f)
			// The simulated clock starts now, so a client on the real clock
			// (jpops diagnose, flyctl) sees the wedge as 38 minutes old.
			opts.Options.Start = f.Now().UTC()
			if runF != nil {
				return runF(opts)
			}
			err := flysim.Serve(cmd.Context(), opts.Options, opts.Addr, opts.IO.Out)
			if cmd.Context().Err() != nil {
				return nil // stopped by the operator
			}
			return err
		},
	}
	cmd.Flags().StringVar(&opts.Options.Scenario, "scenario", "db-boot-hang", "scenario: "+strings.Join(flysim.Scenarios(), ", "))
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:0", "loopback address to listen on")
	cmd.Flags().Float64Var(&opts.Options.Speed, "speed", 1, "simulated seconds per real second")
	cmd.Flags().StringVar(&opts.Options.Token, "token", "", "the token to accept (default: a random one, printed)")
	cmd.Flags().StringVar(&opts.Options.App, "app", "", "the app's name (default autonomath-api)")
	return cmd
}

// SimFlyctlOptions are sim flyctl's.
type SimFlyctlOptions struct {
	walkEnv
	Args []string // flyctl's own arguments
}

// NewCmdSimFlyctl is the stand-in flyctl.
func NewCmdSimFlyctl(f *Factory, runF func(*SimFlyctlOptions) error) *cobra.Command {
	opts := &SimFlyctlOptions{}
	cmd := &cobra.Command{
		Use:   "flyctl [ARGS…]",
		Short: "The stand-in flyctl: deploy against the simulated platform",
		Long: `Answers the flyctl commands jpops runs (deploy, version) against the
simulated platform that FLY_FLAPS_BASE_URL names, printing what flyctl
prints, so a drill's deploy is a real child process. Its arguments are
flyctl's, not jpops's: only --help (or -h) alone shows this help.` + exitCodes(
			exitOK("the deploy finished, or the version was printed"),
			exit(verdict.ExitError, "the deploy failed (as the scenario says), or the arguments are not ones it knows"),
			exit(127, "interrupted (SIGINT, SIGTERM): \"context canceled\", as flyctl exits")),
		Example: `  jpops sim flyctl version
  jpops sim flyctl deploy --remote-only --strategy rolling -a autonomath-api`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			// Flag parsing is flyctl's, so cobra never sees --help.
			if len(args) == 1 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
				return cmd.Help()
			}
			opts.walkEnv, opts.Args = newWalkEnv(f), args
			if runF != nil {
				return runF(opts)
			}
			// The stand-in handles SIGINT itself, as flyctl does.
			release := opts.takeInterrupts(func() {})
			defer release()
			code := flysim.FlyctlMain(opts.Args, opts.IO.Out, opts.IO.ErrOut, os.Getenv)
			if code != 0 {
				return &ExitError{Code: code, Silent: true}
			}
			return nil
		},
	}
	return cmd
}
