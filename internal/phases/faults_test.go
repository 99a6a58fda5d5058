//go:build unix

package phases_test

// The fault matrix (docs/reliability.md): every row injects one fault and
// checks what jpops does, the exit code it ends with, and that every journal
// event written before the fault is still there, in order.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flysim"
	"github.com/jpops-dev/jpops/internal/incident"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/verdict"
)

// faultRun runs the whole walk with faults set before it starts.
func faultRun(t *testing.T, r *rig, f flysim.Faults) (phases.Result, []journal.Event, error) {
	t.Helper()
	r.sim.SetFaults(f)
	res, err := phases.Run(r.ctx(), r.opts)
	// With -v, the matrix shows what the operator would read.
	t.Logf("verdict %s, exit %d: reason %q, error: %v", res.Verdict, exitCode(res, err), firstLine(res.Reason), err)
	return res, r.readBack(), err
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

func wantExit(t *testing.T, res phases.Result, err error, want int) {
	t.Helper()
	if got := exitCode(res, err); got != want {
		t.Fatalf("exit %d (verdict %s, reason %q, err %v), want %d", got, res.Verdict, res.Reason, err, want)
	}
}

// wantStoppedByError checks the journal of a walk an API failure stopped:
// the phase is closed as failed and the error is noted last.
func wantStoppedByError(t *testing.T, got []journal.Event, phase string) {
	t.Helper()
	var failed bool
	for _, e := range got {
		if e.Kind == journal.KindPhaseEnd && e.Phase == phase && data[journal.PhaseEnd](e).Status == "failed" {
			failed = true
		}
	}
	if !failed {
		t.Errorf("phase %s not journaled as failed: %v", phase, skeleton(got))
	}
	last := got[len(got)-1]
	if last.Kind != journal.KindNote || !strings.Contains(data[journal.Note](last).Text, "stopped by an error") {
		t.Errorf("last event %s %v, want the stopping error noted", last.Kind, last.Data)
	}
}

func TestFault_FlakyAPIScenario(t *testing.T) {
	t.Parallel()
	r := newRig(t, "flaky-api")
	res, got, err := faultRun(t, r, flysim.Faults{})
	wantExit(t, res, err, 0)
	wantSkeleton(t, got, recoveredWalk)
}

func TestFault_BadGatewayBurst(t *testing.T) {
	for _, status := range []int{502, 503} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			r := newRig(t, "db-boot-hang")
			// Three in a row: within the client's three retries.
			res, got, err := faultRun(t, r, flysim.Faults{Status: status, Count: 3})
			wantExit(t, res, err, 0)
			wantSkeleton(t, got, recoveredWalk)
		})
	}
}

func TestFault_ServiceUnavailableSustained(t *testing.T) {
	t.Parallel()
	r := newRig(t, "db-boot-hang")
	res, got, err := faultRun(t, r, flysim.Faults{Status: 503})
	wantExit(t, res, err, 1)
	var ae *flyapi.APIError
	if !errors.As(err, &ae) || ae.Status != 503 || ae.Attempts != flyapi.DefaultMaxRetries+1 {
		t.Errorf("err %v, want a 503 APIError after %d attempts", err, flyapi.DefaultMaxRetries+1)
	}
	wantStoppedByError(t, got, "diagnose")
}

func TestFault_RateLimitedRetryAfter(t *testing.T) {
	t.Parallel()
	r := newRig(t, "db-boot-hang")
	res, got, err := faultRun(t, r, flysim.Faults{Status: 429, RetryAfter: "1", Count: 1})
	wantExit(t, res, err, 0)
	// The client waited out Retry-After on the engine's clock, not the wall's.
	if waits := r.clock.slept(); len(waits) == 0 || waits[0] < time.Second {
		t.Errorf("the clock's waits %v do not start with Retry-After's second", waits)
	}
	wantSkeleton(t, got, recoveredWalk)
}

func TestFault_SlowResponse(t *testing.T) {
	t.Run("once", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, "db-boot-hang", rigConfig{timeout: 200 * time.Millisecond})
		res, got, err := faultRun(t, r, flysim.Faults{Delay: 2 * time.Second, Count: 1})
		wantExit(t, res, err, 0)
		wantSkeleton(t, got, recoveredWalk)
	})
	t.Run("sustained", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, "db-boot-hang", rigConfig{timeout: 100 * time.Millisecond})
		res, got, err := faultRun(t, r, flysim.Faults{Delay: 2 * time.Second})
		wantExit(t, res, err, 1)
		var ne *flyapi.NetError
		if !errors.As(err, &ne) || !strings.Contains(err.Error(), "no answer within") {
			t.Errorf("err %v, want a NetError saying no answer within the timeout", err)
		}
		wantStoppedByError(t, got, "diagnose")
	})
}

func TestFault_ConnectionReset(t *testing.T) {
	t.Run("once", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, "db-boot-hang")
		res, got, err := faultRun(t, r, flysim.Faults{ResetConnection: true, Count: 1})
		wantExit(t, res, err, 0)
		wantSkeleton(t, got, recoveredWalk)
	})
	t.Run("sustained", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, "db-boot-hang")
		res, got, err := faultRun(t, r, flysim.Faults{ResetConnection: true})
		wantExit(t, res, err, 1)
		var ne *flyapi.NetError
		if !errors.As(err, &ne) {
			t.Errorf("err %v, want a NetError", err)
		}
		wantStoppedByError(t, got, "diagnose")
	})
}

// A 2xx body that does not decode is retried like a 502: once, the walk
// goes on; sustained, the decode error stops it after every attempt.
func TestFault_TruncatedBody(t *testing.T) {
	testUndecodableBody(t, flysim.Faults{Truncate: true}, "unexpected end of JSON input")
}

func TestFault_GarbageBody(t *testing.T) {
	testUndecodableBody(t, flysim.Faults{Garbage: true}, "upstream hiccup")
}

func testUndecodableBody(t *testing.T, fault flysim.Faults, wantInMsg string) {
	t.Run("once", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, "db-boot-hang")
		once := fault
		once.Count = 1
		res, got, err := faultRun(t, r, once)
		wantExit(t, res, err, 0)
		wantSkeleton(t, got, recoveredWalk)
	})
	t.Run("sustained", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, "db-boot-hang")
		res, got, err := faultRun(t, r, fault)
		wantExit(t, res, err, 1)
		var de *flyapi.DecodeError
		if !errors.As(err, &de) || de.Attempts != flyapi.DefaultMaxRetries+1 {
			t.Errorf("err %v, want a DecodeError after %d attempts", err, flyapi.DefaultMaxRetries+1)
		}
		if msg := fmt.Sprint(err); !strings.Contains(msg, wantInMsg) || !strings.Contains(msg, fmt.Sprintf("after %d attempts", flyapi.DefaultMaxRetries+1)) {
			t.Errorf("message %q, want %q and the attempts", msg, wantInMsg)
		}
		if strings.Contains(fmt.Sprint(err, got), testToken) {
			t.Errorf("the token reached the error or the journal")
		}
		wantStoppedByError(t, got, "diagnose")
	})
}

func TestFault_UnauthorizedMidRun(t *testing.T) {
	t.Parallel()
	r := newRig(t, "db-boot-hang")
	// The token is revoked while the deploy runs: the smoke walk's first
	// machine list answers 401.
	r.onEvent = func(e journal.Event) {
		if e.Kind == journal.KindCommandStart {
			r.sim.SetFaults(flysim.Faults{Unauthorized: true})
		}
	}
	res, got, err := faultRun(t, r, flysim.Faults{})
	wantExit(t, res, err, 3)
	if n := len(kinds(got, journal.KindCommandExit)); n != 1 {
		t.Errorf("%d command_exit events, want the deploy's", n)
	}
	last := got[len(got)-1]
	if last.Kind != journal.KindNote || !strings.Contains(data[journal.Note](last).Text, "401") {
		t.Errorf("last event %s %v, want the 401 noted", last.Kind, last.Data)
	}
	if strings.Contains(fmt.Sprint(got), testToken) {
		t.Errorf("the token reached the journal")
	}
}

func TestFault_AppMissing(t *testing.T) {
	t.Parallel()
	r := newRig(t, "db-boot-hang")
	res, got, err := faultRun(t, r, flysim.Faults{AppMissing: true})
	wantExit(t, res, err, 1)
	var ae *flyapi.APIError
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Attempts != 1 {
		t.Errorf("err %v, want a 404 APIError, not retried", err)
	}
	if !strings.Contains(err.Error(), r.opts.App) {
		t.Errorf("err %q does not name the app", err)
	}
	wantStoppedByError(t, got, "diagnose")
}

func TestFault_LogsDown(t *testing.T) {
	t.Run("diagnose", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, "db-boot-hang")
		r.sim.SetFaults(flysim.Faults{LogsDown: true})
		d, err := phases.Diagnose(r.ctx(), r.opts)
		if err != nil {
			t.Fatalf("Diagnose: %v", err)
		}
		if d.Verdict != verdict.Inconclusive || d.Verdict.ExitCode() != 11 || !strings.Contains(d.Reason, "logs unavailable") {
			t.Errorf("verdict %s (%s), want INCONCLUSIVE: logs unavailable", d.Verdict, d.Reason)
		}
		if n := len(d.Machines); n != 2 {
			t.Errorf("%d machines, want phase 1 to have listed both", n)
		}
		r.readBack()
	})
	t.Run("run", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, "db-boot-hang")
		res, got, err := faultRun(t, r, flysim.Faults{LogsDown: true})
		wantExit(t, res, err, 20)
		if n := len(kinds(got, journal.KindCommandStart)); n != 0 {
			t.Errorf("deployed without a confirmed hang")
		}
		wantSkeleton(t, got, []string{"incident/incident_start",
			"diagnose/phase_start", "diagnose/phase_end:passed",
			"bootlogs/phase_start", "bootlogs/phase_end:failed", "bootlogs/verdict:INCONCLUSIVE",
			"escape/phase_start", "escape/phase_end:failed", "escape/verdict:ESCAPE_FAILED",
			"smoke/phase_end:skipped", "incident/incident_end:ESCAPE_FAILED"})
	})
}

func TestFault_FlyctlMissing(t *testing.T) {
	t.Parallel()
	r := newRig(t, "db-boot-hang")
	r.opts.Flyctl = []string{filepath.Join(t.TempDir(), "flyctl")}
	res, got, err := faultRun(t, r, flysim.Faults{})
	wantExit(t, res, err, 20)
	exits := kinds(got, journal.KindCommandExit)
	if len(exits) != 1 || !strings.Contains(data[journal.CommandExit](exits[0]).Error, "no such file") {
		t.Errorf("command_exit %v, want the start failure", exits)
	}
}

func TestFault_FlyctlHangs(t *testing.T) {
	t.Parallel()
	r := newRig(t, "db-boot-hang")
	// A shell stand-in, not the re-executed test binary: under -race on a
	// loaded machine that one can take longer to print its first line than
	// the idle timeout, and then there is no output before the hang to check.
	r.opts.Flyctl = []string{shellFlyctl(t, t.TempDir(), "echo '==> Verifying app config' >&2\necho '==> Building image' >&2\nexec sleep 600\n")}
	r.opts.Runbook.Escape.IdleTimeout.Duration = time.Second
	began := time.Now()
	res, got, err := faultRun(t, r, flysim.Faults{})
	wantExit(t, res, err, 20)
	if took := time.Since(began); took > 8*time.Second {
		t.Errorf("a silent flyctl held the walk %s", took)
	}
	if !strings.Contains(res.Reason, "printed nothing") && !strings.Contains(res.Reason, "idle") {
		t.Errorf("reason %q does not say flyctl went silent", res.Reason)
	}
	if n := len(kinds(got, journal.KindCommandOutput)); n == 0 {
		t.Errorf("the output before the hang was not journaled")
	}
}

func TestFault_FlyctlKilled(t *testing.T) {
	t.Parallel()
	r := newRig(t, "db-boot-hang")
	r.opts.Flyctl = []string{shellFlyctl(t, t.TempDir(), "echo '==> Building image'\necho 'Waiting for depot builder...' >&2\nkill -9 $$\necho 'never printed'\n")}
	res, got, err := faultRun(t, r, flysim.Faults{})
	wantExit(t, res, err, 20)
	if !strings.Contains(res.Reason, "killed") && !strings.Contains(res.Reason, "signal") {
		t.Errorf("reason %q does not say flyctl was killed", res.Reason)
	}
	var lines []string
	for _, e := range kinds(got, journal.KindCommandOutput) {
		lines = append(lines, data[journal.CommandOutput](e).Line)
	}
	if len(lines) != 2 || strings.Contains(strings.Join(lines, "\n"), "never printed") {
		t.Errorf("journaled output %q, want the two lines printed before the kill", lines)
	}
}

func TestFault_FlyctlFlood(t *testing.T) {
	t.Parallel()
	r := newRig(t, "db-boot-hang")
	flood := 10 << 20
	if raceEnabled {
		flood = 1 << 20
	}
	r.opts.FlyctlEnv = append(r.opts.FlyctlEnv, fmt.Sprintf("%s=%d", flysim.EnvFlyctlFlood, flood))
	began := time.Now()
	res, got, err := faultRun(t, r, flysim.Faults{})
	t.Logf("%d bytes of flyctl output: walk took %s, %d journal events", flood, time.Since(began).Round(time.Millisecond), len(got))
	wantExit(t, res, err, 0)
	wantSkeleton(t, got, recoveredWalk)
	if res.Image == "" || res.Digest == "" {
		t.Errorf("the image line after the flood was lost: %+v", res)
	}
}

func TestFault_StateDirUnwritable(t *testing.T) {
	t.Parallel()
	// The state directory is a file, so no journal can be created in it
	// (root ignores a read-only mode, so a mode change would not test this).
	state := filepath.Join(t.TempDir(), "state")
	if err := os.WriteFile(state, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := journal.Create(filepath.Join(state, "incidents"), journal.NewID("autonomath-api", time.Now()), journal.ModeLive)
	if err == nil || !strings.Contains(err.Error(), "JPOPS_STATE_DIR") {
		t.Fatalf("Create in an unusable state directory = %v, want an error pointing at JPOPS_STATE_DIR", err)
	}
}

// envFullChild runs TestFault_StateDirFull's walk in a child process whose
// file size limit makes the journal's disk "full" part way through.
const envFullChild = "JPOPS_PHASES_TEST_FULL"

func TestFault_StateDirFull(t *testing.T) {
	if os.Getenv(envFullChild) != "" {
		fullChild(t)
		return
	}
	t.Parallel()
	out := filepath.Join(t.TempDir(), "result.json")
	cmd := exec.Command(os.Args[0], "-test.run=^TestFault_StateDirFull$", "-test.v")
	cmd.Env = append(os.Environ(), envFullChild+"="+out)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child walk: %v\n%s", err, b)
	}
	var child fullResult
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("child wrote no result: %v\n%s", err, b)
	}
	if err := json.Unmarshal(raw, &child); err != nil {
		t.Fatal(err)
	}
	if child.Exit != 1 || !strings.Contains(child.Err, "journal") {
		t.Errorf("a full journal disk ended the walk with exit %d, err %q; want 1 and a journal error", child.Exit, child.Err)
	}
	if child.Written == 0 || child.Written != child.Reported {
		t.Errorf("%d events on disk, %d reported: want every reported event kept and nothing reported unwritten", child.Written, child.Reported)
	}
}

type fullResult struct {
	Exit              int
	Err               string
	Written, Reported int
}

func fullChild(t *testing.T) {
	r := newRig(t, "db-boot-hang")
	// A journal file may grow to 8 KiB: the limit is hit during phase 2 or 3.
	// Writes past it fail with EFBIG instead of killing the process.
	signal.Ignore(syscall.SIGXFSZ)
	lim := syscall.Rlimit{Cur: 8 << 10, Max: 8 << 10}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Skipf("cannot limit file size: %v", err)
	}
	res, err := phases.Run(r.ctx(), r.opts)
	got := r.readBack()
	fr := fullResult{Exit: exitCode(res, err), Written: len(got), Reported: len(r.events())}
	if err != nil {
		fr.Err = err.Error()
	}
	b, _ := json.Marshal(fr)
	// The result file is small but past the limit for nothing: lift it first.
	lim = syscall.Rlimit{Cur: ^uint64(0), Max: ^uint64(0)}
	_ = syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim)
	if err := os.WriteFile(os.Getenv(envFullChild), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestFault_JournalTornLastLine(t *testing.T) {
	t.Parallel()
	r := newRig(t, "db-boot-hang")
	interruptAfterDeploy(t, r)
	before := r.readBack()
	r.jr.Close()
	// A crash mid-append leaves half a line.
	f, err := os.OpenFile(r.jr.Path(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"ts":"2026-05-11T12:20:00Z","seq":` + fmt.Sprint(len(before)+1) + `,"incident":"x","kind":"no`); err != nil {
		t.Fatal(err)
	}
	f.Close()

	jr, events, err := journal.Open(r.jr.Path())
	if err != nil {
		t.Fatalf("Open a torn journal: %v", err)
	}
	defer jr.Close()
	if len(events) != len(before) {
		t.Fatalf("Open kept %d events, %d were written before the tear", len(events), len(before))
	}
	st := incident.Reduce(events)
	r.opts.Journal = jr
	r.opts.SkipDeploy, r.opts.ResumeImage = st.Deploy() != nil && st.Deploy().Exited, st.Digest
	r.mu.Lock()
	r.reported = append([]journal.Event(nil), before...)
	r.mu.Unlock()
	res, err := phases.Continue(r.ctx(), r.opts)
	wantExit(t, res, err, 0)
	got := checkJournal(t, r.jr.Path(), r.events())
	if len(got) <= len(before) || got[len(got)-1].Kind != journal.KindIncidentEnd {
		t.Errorf("resume did not continue the journal: %v", skeleton(got))
	}
}

// A Machines and logs API that turns away requests past a number in
// flight: every machine's logs are still read, none is left unread.
func TestFault_RateLimitedInFlight(t *testing.T) {
	for _, retryAfter := range []string{"", "1"} {
		t.Run("Retry-After "+retryAfter, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, "db-boot-hang")
			r.sim.Grow(8)
			r.sim.SetFaults(flysim.Faults{MaxInFlight: 3, RetryAfter: retryAfter, Delay: time.Millisecond})
			d, err := phases.Diagnose(r.ctx(), r.opts)
			if err != nil {
				t.Fatal(err)
			}
			if d.Verdict != verdict.HangConfirmed || len(d.Unread) != 0 {
				t.Fatalf("verdict %s with %d unread (%s), want HANG_CONFIRMED with every machine read", d.Verdict, len(d.Unread), d.Reason)
			}
			read := map[string]bool{}
			for _, ev := range d.Evidence {
				read[ev.Machine] = true
			}
			if len(read) != len(r.sim.MachineIDs()) {
				t.Errorf("evidence from %d of %d machines", len(read), len(r.sim.MachineIDs()))
			}
		})
	}
}
