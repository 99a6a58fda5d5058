package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/notify"
	"github.com/jpops-dev/jpops/internal/redact"
	"github.com/jpops-dev/jpops/internal/state"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/internal/watch"
)

func init() { register(newWatchCmd) }

// drainFor is how long a stopping watchdog waits for queued alerts to go out.
const drainFor = 5 * time.Second

func newWatchCmd(env *Env, g *globalFlags) *cobra.Command {
	var (
		af        appFlags
		once      bool
		jsonOut   bool
		specs     []string
		hangAfter time.Duration
		interval  time.Duration
		lookback  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "The watchdog: page when machines hang at boot, and again when they recover",
		Long: `Follows the app's logs and its machines' health checks, and matches the same
boot-op signatures as jpops diagnose. It pages once per machine and op when
a full-scan boot op has run past its hang_after with no completion line
(op integrity_check, quick_check, ...), or when a machine is started but
failing its checks past its grace period (op "checks"); and once more when
that clears. Every alert carries the ready 'jpops run -a APP --machine ID'.

Open alerts are kept in the state directory (watch/APP.json), so a
restarted watchdog, or a --once run from cron, never pages twice for one
hang. Alerts always go to standard output (NDJSON with --json) and to every
--notify target: telegram, webhook=URL, slack=URL or exec=CMD. A failing
notifier gets a warning on stderr and never stops the watch.

--once polls a single time: exit 0 HEALTHY, 10 HANG_CONFIRMED, 11
INCONCLUSIVE (failing checks without log evidence, or an op still short of
its hang_after), 12 NOT_THIS_INCIDENT (unhealthy in another way). Without
--once the watch runs until SIGINT or SIGTERM (exit 130).

From cron, every 5 minutes:

  */5 * * * * FLY_API_TOKEN=... jpops watch --once -a autonomath-api --notify telegram

As a systemd service (jpops-watch.service):

  [Service]
  Environment=FLY_API_TOKEN=...
  Environment=TELEGRAM_BOT_TOKEN=... TELEGRAM_CHAT_ID=...
  ExecStart=/usr/local/bin/jpops watch -a autonomath-api --notify telegram
  Restart=on-failure
  SuccessExitStatus=130`,
		Example: `  jpops watch -a autonomath-api --notify telegram
  jpops watch -a autonomath-api --json --notify webhook=https://hooks.example.com/jpops
  jpops watch --once -a autonomath-api --hang-after 3m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case interval <= 0:
				return usageError("--interval must be above zero (got %s)", interval)
			case hangAfter < 0:
				return usageError("--hang-after must not be negative (got %s)", hangAfter)
			case lookback < 0:
				return usageError("--lookback must not be negative (got %s)", lookback)
			}
			app, err := af.resolve(env, "")
			if err != nil {
				return err
			}
			if strings.ContainsAny(app, `/\`) || app == "." || app == ".." {
				return usageError("app name %q is not a Fly app name", app)
			}
			notifiers := []notify.Notifier{notify.Stdout(env.IO.Out, jsonOut)}
			for _, s := range specs {
				if kind, _, _ := strings.Cut(strings.TrimSpace(s), "="); strings.EqualFold(kind, "stdout") {
					continue // always on; --json picks its form
				}
				n, err := notify.ParseSpec(s, env.Getenv)
				if err != nil {
					return usageError("%v", err)
				}
				notifiers = append(notifiers, n)
			}
			rb, err := loadRunbook(g)
			if err != nil {
				return err
			}
			fly, err := flyClient(env, g)
			if err != nil {
				return err
			}
			dir, err := stateDir(env)
			if err != nil {
				return err
			}
			warn := func(msg string) { fmt.Fprintln(env.IO.ErrOut, "jpops: warning: "+redact.String(msg)) }
			d := notify.NewDispatcher(notify.Options{OnError: func(name string, err error) {
				warn(fmt.Sprintf("notify %s: %v", name, err))
			}}, notifiers...)
			w, err := watch.New(watch.Config{
				App: app, Runbook: rb, Fly: fly, Now: env.Now, Poll: interval, HangAfter: hangAfter,
				Lookback: lookback, StatePath: filepath.Join(dir, state.WatchDir, app+".json"),
				Send: d.Send, OnError: func(err error) { warn(err.Error()) },
			})
			if err != nil {
				drain(d)
				return err
			}
			if once {
				v, _, err := w.Once(cmd.Context())
				drain(d)
				if err != nil {
					return err
				}
				if !jsonOut {
					fmt.Fprintf(env.IO.Out, "%s %s: %d alert(s) open\n", app, v, len(w.Open()))
				}
				return verdictExit(v)
			}
			fmt.Fprintf(env.IO.ErrOut, "jpops: watching %s every %s; Ctrl-C stops\n", app, interval)
			err = w.Run(cmd.Context())
			drain(d)
			if err != nil && cmd.Context().Err() != nil {
				fmt.Fprintln(env.IO.ErrOut, "jpops: watch stopped")
				return &ExitError{Code: verdict.ExitInterrupted, Silent: true, Err: err}
			}
			return err
		},
	}
	af.add(cmd)
	cmd.Flags().BoolVar(&once, "once", false, "poll once and exit with the verdict (for cron)")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print alerts as NDJSON on stdout")
	cmd.Flags().StringArrayVar(&specs, "notify", nil, "also page through telegram, telegram=CHAT_ID, webhook=URL, slack=URL or exec=CMD (repeatable)")
	cmd.Flags().DurationVar(&hangAfter, "hang-after", 0, "alert when a boot op runs longer than this (default: the runbook's hang_after)")
	cmd.Flags().DurationVar(&interval, "interval", watch.DefaultPoll, "poll the machines and logs this often")
	cmd.Flags().DurationVar(&lookback, "lookback", 0, "read logs this far back at start (default: 10m or twice the longest hang_after, and back to a failing machine's last start)")
	return cmd
}

// drain gives queued alerts a few seconds to go out.
func drain(d *notify.Dispatcher) {
	ctx, cancel := context.WithTimeout(context.Background(), drainFor)
	defer cancel()
	_ = d.Close(ctx)
}
