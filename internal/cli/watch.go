package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/iostreams"
	"github.com/jpops-dev/jpops/internal/notify"
	"github.com/jpops-dev/jpops/internal/redact"
	"github.com/jpops-dev/jpops/internal/state"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/internal/watch"
)

// WatchOptions are the watch command's.
type WatchOptions struct {
	IO       *iostreams.IOStreams
	Getenv   func(string) string
	Now      func() time.Time
	StateDir func() (string, error)
	appTarget

	Once      bool
	JSON      bool
	Notify    []string          // --notify specs
	Notifiers []notify.Notifier // parsed from Notify; standard output is always on
	HangAfter time.Duration
	Interval  time.Duration
	Lookback  time.Duration
	Heartbeat string // --heartbeat URL

	ctx context.Context
}

// NewCmdWatch is the watchdog.
func NewCmdWatch(f *Factory, runF func(*WatchOptions) error) *cobra.Command {
	opts := &WatchOptions{IO: f.IO, StateDir: f.StateDir, appTarget: newAppTarget(f)}
	var af appFlags
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "The watchdog: page when machines hang at boot, and again when they recover",
		Long: `Follows the app's logs and its machines' health checks, and matches the same
boot-op signatures as jpops diagnose. A machine is wedged when a full-scan
boot op has run past its hang_after with no completion line (op
integrity_check, quick_check, ...), or when it is started but failing its
checks past its grace period (op "checks").

Pages are grouped per app: one page names every wedged machine, then an
update follows when machines wedge or recover, and a recovery when none is
left. Every page carries the ready 'jpops run -a APP' line. Pages go to
standard output (NDJSON with --json) and to every --notify target:
telegram, webhook=URL, slack=URL or exec=CMD.

A page counts as sent only once its target confirmed it. What each target
confirmed is kept in the state directory (watch/APP.json), so a restarted
watchdog, or a --once run from cron, never pages twice for one hang, and a
page that failed is sent, with the latest picture, by the next poll or run.
Two watchdogs of one app take turns through a lock there and page once.
--heartbeat URL pings a dead man's switch after each good round.

--once polls a single time and exits with the verdict. Without --once the
watch runs until SIGINT or SIGTERM (exit 130).

From cron, every 5 minutes:

  */5 * * * * FLY_API_TOKEN=... jpops watch --once -a autonomath-api --notify telegram

As a systemd service (jpops-watch.service):

  [Service]
  Environment=FLY_API_TOKEN=...
  Environment=TELEGRAM_BOT_TOKEN=... TELEGRAM_CHAT_ID=...
  ExecStart=/usr/local/bin/jpops watch -a autonomath-api --notify telegram
  Restart=on-failure
  SuccessExitStatus=130` + exitCodes(
			exitOK("--once: HEALTHY"), exitError, exitUsage, exitAuth,
			exit(verdict.ExitHangConfirmed, "--once: HANG_CONFIRMED"),
			exit(verdict.ExitInconclusive, "--once: INCONCLUSIVE (failing checks without log evidence, or an op still short of its hang_after)"),
			exit(verdict.ExitNotThisIncident, "--once: NOT_THIS_INCIDENT (unhealthy in another way)"),
			exit(verdict.ExitInterrupted, "stopped by SIGINT or SIGTERM (without --once)")),
		Example: `  jpops watch -a autonomath-api --notify telegram
  jpops watch -a autonomath-api --json --notify webhook=https://hooks.example.com/jpops
  jpops watch --once -a autonomath-api --hang-after 3m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Getenv, opts.Now, opts.ctx = f.Getenv, f.Now, cmd.Context()
			switch {
			case opts.Interval <= 0:
				return usageError("--interval must be above zero (got %s)", opts.Interval)
			case opts.HangAfter < 0:
				return usageError("--hang-after must not be negative (got %s)", opts.HangAfter)
			case opts.Lookback < 0:
				return usageError("--lookback must not be negative (got %s)", opts.Lookback)
			}
			var err error
			if opts.App, err = af.resolve(f.Getenv, ""); err != nil {
				return err
			}
			if strings.ContainsAny(opts.App, `/\`) || opts.App == "." || opts.App == ".." {
				return usageError("app name %q is not a Fly app name", opts.App)
			}
			opts.Notifiers = nil
			for _, s := range opts.Notify {
				if kind, _, _ := strings.Cut(strings.TrimSpace(s), "="); strings.EqualFold(kind, "stdout") {
					continue // always on; --json picks its form
				}
				n, err := notify.ParseSpec(s, f.Getenv)
				if err != nil {
					return usageError("%v", err)
				}
				opts.Notifiers = append(opts.Notifiers, n)
			}
			if opts.Heartbeat == "" {
				opts.Heartbeat = f.Getenv("JPOPS_HEARTBEAT_URL") // a secret: from the environment, not the command line
			}
			if opts.Heartbeat != "" {
				if _, err := notify.ParseHeartbeat(opts.Heartbeat); err != nil {
					return usageError("%v", err)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return watchRun(opts)
		},
	}
	af.add(cmd)
	cmd.Flags().BoolVar(&opts.Once, "once", false, "poll once and exit with the verdict (for cron)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print alerts as NDJSON on stdout")
	cmd.Flags().StringArrayVar(&opts.Notify, "notify", nil, "also page through telegram, telegram=CHAT_ID, webhook=URL, slack=URL or exec=CMD (repeatable)")
	cmd.Flags().DurationVar(&opts.HangAfter, "hang-after", 0, "alert when a boot op runs longer than this (default: the runbook's hang_after)")
	cmd.Flags().DurationVar(&opts.Interval, "interval", watch.DefaultPoll, "poll the machines and logs this often")
	cmd.Flags().StringVar(&opts.Heartbeat, "heartbeat", "", "after each good round, GET this URL (a healthchecks.io check or an Uptime Kuma push monitor), so a dead watchdog is noticed (default: JPOPS_HEARTBEAT_URL)")
	cmd.Flags().DurationVar(&opts.Lookback, "lookback", 0, "read logs this far back at start (default: 10m or twice the longest hang_after, and back to a failing machine's last start)")
	return cmd
}

func watchRun(opts *WatchOptions) error {
	ctx, app := opts.ctx, opts.App
	notifiers := append([]notify.Notifier{notify.Stdout(opts.IO.Out, opts.JSON)}, opts.Notifiers...)
	rb, fly, err := opts.load()
	if err != nil {
		return err
	}
	dir, err := opts.StateDir()
	if err != nil {
		return err
	}
	var beat func(context.Context) error
	if opts.Heartbeat != "" {
		hb, err := notify.ParseHeartbeat(opts.Heartbeat)
		if err != nil {
			return usageError("%v", err)
		}
		beat = hb.Ping
	}
	warn := func(msg string) { fmt.Fprintln(opts.IO.ErrOut, "jpops: warning: "+redact.String(msg)) }
	statePath := filepath.Join(dir, state.WatchDir, app+".json")
	w, err := watch.New(watch.Config{
		App: app, Runbook: rb, Fly: fly, Now: opts.Now, Poll: opts.Interval, HangAfter: opts.HangAfter,
		Lookback: opts.Lookback, StatePath: statePath, Notifiers: notifiers, Heartbeat: beat,
		OnError: func(err error) { warn(err.Error()) },
	})
	if err != nil {
		return err
	}
	// What the watchdog would give up on if nobody ran it again.
	defer func() {
		for _, u := range w.Undelivered() {
			warn(fmt.Sprintf("the %s page is not delivered (failing since %s: %s); it is kept in %s and sent by the next watch run",
				u.Notifier, u.Since.UTC().Format(time.RFC3339), u.Err, statePath))
		}
	}()
	if opts.Once {
		v, _, err := w.Once(ctx)
		if err != nil {
			return err
		}
		if !opts.JSON {
			fmt.Fprintf(opts.IO.Out, "%s %s: %d alert(s) open\n", app, v, len(w.Open()))
		}
		return verdictExit(v)
	}
	fmt.Fprintf(opts.IO.ErrOut, "jpops: watching %s every %s; Ctrl-C stops\n", app, opts.Interval)
	err = w.Run(ctx)
	if err != nil && ctx.Err() != nil {
		fmt.Fprintln(opts.IO.ErrOut, "jpops: watch stopped")
		return &ExitError{Code: verdict.ExitInterrupted, Silent: true, Err: err}
	}
	return err
}
