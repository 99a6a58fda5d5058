package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jpops-dev/jpops/internal/clock"
	"github.com/jpops-dev/jpops/internal/flysim"
	"github.com/jpops-dev/jpops/internal/incident"
	"github.com/jpops-dev/jpops/internal/notify"
	"github.com/jpops-dev/jpops/internal/watch"
	"github.com/jpops-dev/jpops/runbook"
)

// The replay's watchdog runs as `jpops watch` does by default.
const replayPoll = watch.DefaultPoll

// watchForReplay runs the watchdog on the replay's platform from the first
// wedged boot until it pages a hung boot op, journals and shows every page
// it delivered, and on a terminal waits for the operator to answer the
// last one with the walk, as they would with `jpops run`.
func watchForReplay(ctx context.Context, env walkEnv, w *walk, rb *runbook.Runbook, fly watch.Fly, clk clock.Clock) error {
	show := plainFace(env, w.jsonOut, "DRILL\t")
	if w.tui {
		fmt.Fprintf(env.IO.Out, "%s UTC (simulated): jpops watch -a %s watches, polling every %s; the first boot is under way\n",
			clk.Now().UTC().Format("15:04:05"), w.opts.App, replayPoll)
	}
	err := watch.PagesUntilHung(ctx, watch.Config{
		App: w.opts.App, Runbook: rb, Fly: fly, Now: clk.Now, Sleep: clk.Sleep, Poll: replayPoll, Drill: true,
	}, func(a notify.Alert) error {
		ev, err := w.journal.Append(watch.PageEvent(a, w.journal.Mode()))
		if err != nil {
			return err
		}
		if w.tui {
			fmt.Fprintf(env.IO.Out, "\n%s UTC (simulated): the watchdog pages\n\n%s\n", ev.TS.UTC().Format("15:04:05"), indent(a.Message()))
		} else {
			show(ev)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("the replay's watchdog stopped before it paged a hung boot op: %w", err)
	}
	if w.tui && !w.opts.Yes {
		fmt.Fprintf(env.IO.Out, "\nPress Enter to answer the page with jpops run -a %s (the simulated clock keeps running).\n", w.opts.App)
		if err := awaitEnter(ctx, env.IO.In); err != nil {
			return err
		}
	}
	return nil
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

// awaitEnter reads up to a newline, one byte at a time so nothing the
// terminal UI reads next is taken; ctx ends the wait (Ctrl-C).
func awaitEnter(ctx context.Context, in io.Reader) error {
	done := make(chan error, 1)
	go func() {
		b := make([]byte, 1)
		for {
			n, err := in.Read(b)
			if n == 1 && (b[0] == '\n' || b[0] == '\r') {
				done <- nil
				return
			}
			if err != nil {
				done <- err
				return
			}
		}
	}()
	select {
	case err := <-done:
		if err == io.EOF {
			return nil
		}
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// postMortemTimes is the 2026-05-11 post-mortem's own timeline (UTC), row
// by row as the replay's scorecard sets jpops's beside it.
var postMortemTimes = struct {
	began, detected, diagnosed, decided, built, healthy, verified time.Time
	total                                                         time.Duration
}{
	began:     at(11, 40), // 85e273f4 cold-boots into integrity_check
	detected:  at(12, 18), // an outside uptime probe: 3 failed GETs
	diagnosed: at(12, 25), // flyctl status: CHECKS 0/1 while started
	decided:   at(16, 15), // switch to a local flyctl deploy --remote-only
	built:     at(16, 30), // the depot build completes; rolling restart begins
	healthy:   at(16, 48), // first machine on the new image logs the size-based skip
	verified:  at(17, 0),  // 5-minute stability hold met
	total:     312 * time.Minute,
}

func at(h, m int) time.Time { return time.Date(2026, 5, 11, h, m, 0, 0, time.UTC) }

// printReplayScorecard sets the replay's timeline, all from its journal on
// the simulated clock, beside the post-mortem's.
func printReplayScorecard(dst io.Writer, m incident.Metrics) {
	pm := postMortemTimes
	hm := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("15:04:05")
	}
	in := func(t, from time.Time) string {
		if t.IsZero() || from.IsZero() {
			return ""
		}
		return "+" + fmtMinutes(t.Sub(from))
	}
	fmt.Fprintf(dst, "\nREPLAY of 2026-05-11, set beside its post-mortem (UTC; jpops on the simulated clock)\n")
	fmt.Fprintf(dst, "  %-34s %-20s %s\n", "", "jpops", "post-mortem")
	row := func(name string, t, pmT time.Time) {
		fmt.Fprintf(dst, "  %-34s %-8s  %-10s %-5s  %s\n", name, hm(t), in(t, m.Onset), pmT.Format("15:04"), in(pmT, pm.began))
	}
	row("hang began", m.Onset, pm.began)
	row("detected (first page)", m.Detected, pm.detected)
	row("diagnosed (HANG_CONFIRMED)", m.Diagnosed, pm.diagnosed)
	row("escape decided (gate passed)", m.Decided, pm.decided)
	row("image built, rolling restart", m.Built, pm.built)
	row("first machine healthy, new image", m.Healthy, pm.healthy)
	row("verified after the hold", m.Verified, pm.verified)
	if m.Verified.IsZero() || m.Onset.IsZero() {
		fmt.Fprintf(dst, "  the replay did not verify recovery: no total to set beside the post-mortem's %s\n", fmtMinutes(pm.total))
		return
	}
	total := m.Verified.Sub(m.Onset)
	own := total - m.DeployS - m.HoldS
	fmt.Fprintf(dst, "  %-34s %-20s %s\n", "outage, hang began to verified", fmtMinutes(total), fmtMinutes(pm.total)+" (as the post-mortem reports it)")
	fmt.Fprintf(dst, "    of which flyctl's build and rollout %s, the stability hold %s, jpops's own time %s (the operator's answers included)\n",
		fmtMinutes(m.DeployS), fmtMinutes(m.HoldS), fmtMinutes(own))
	fmt.Fprintf(dst, "  with jpops, 2026-05-11 would have lasted %s instead of %s (%.0f×)\n", fmtMinutes(total), fmtMinutes(pm.total), float64(pm.total)/float64(total))
}

// fmtMinutes writes a duration to the second, as "27m08s" or "5h12m00s".
func fmtMinutes(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%dh%02dm%02ds", h, m, s)
	}
	return fmt.Sprintf("%dm%02ds", m, s)
}

// isReplay reports whether the scenario is the replay of 2026-05-11.
func isReplay(scenario string) bool { return scenario == flysim.ReplayScenario }
