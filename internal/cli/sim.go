package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/flysim"
)

func init() { register(newSimCmd) }

// newSimCmd is hidden: the simulated platform for people (serve) and the
// stand-in flyctl that drills run as a real child process (flyctl).
func newSimCmd(env *Env, _ *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:    "sim",
		Short:  "The simulated Fly platform (for drills and tests)",
		Hidden: true,
		Args:   cobra.NoArgs,
	}
	var (
		scenario, addr, token, app string
		speed                      float64
	)
	serve := &cobra.Command{
		Use:   "serve",
		Short: "Serve the simulated platform on loopback until interrupted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The simulated clock starts now, so a client on the real clock
			// (jpops diagnose, flyctl) sees the wedge as 38 minutes old.
			err := flysim.Serve(cmd.Context(), flysim.Options{Scenario: scenario, Speed: speed, Token: token, App: app, Start: env.Now().UTC()}, addr, env.IO.Out)
			if cmd.Context().Err() != nil {
				return nil // stopped by the operator
			}
			return err
		},
	}
	serve.Flags().StringVar(&scenario, "scenario", "db-boot-hang", "scenario: "+joinScenarios())
	serve.Flags().StringVar(&addr, "addr", "127.0.0.1:0", "loopback address to listen on")
	serve.Flags().Float64Var(&speed, "speed", 1, "simulated seconds per real second")
	serve.Flags().StringVar(&token, "token", "", "the token to accept (default: a random one, printed)")
	serve.Flags().StringVar(&app, "app", "", "the app's name (default autonomath-api)")
	fake := &cobra.Command{
		Use:                "flyctl [ARGS…]",
		Short:              "The stand-in flyctl: deploy against the simulated platform",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			// The stand-in handles SIGINT itself, as flyctl does.
			release := env.takeInterrupts(func() {})
			defer release()
			code := flysim.FlyctlMain(args, env.IO.Out, env.IO.ErrOut, os.Getenv)
			if code != 0 {
				return &ExitError{Code: code, Silent: true}
			}
			return nil
		},
	}
	cmd.AddCommand(serve, fake)
	return cmd
}

func joinScenarios() string {
	s := ""
	for i, n := range flysim.Scenarios() {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}
