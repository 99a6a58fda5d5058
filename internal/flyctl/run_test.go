package flyctl

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/redact"
)

// fakeSpec runs the test binary as a fake flyctl in the given mode.
func fakeSpec(t *testing.T, mode string, args ...string) Spec {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Spec{
		Argv: append([]string{exe}, args...),
		// A race-enabled binary sleeps a second at exit unless told not to.
		Env:       append(os.Environ(), "FAKE_FLYCTL="+mode, "GORACE=atexit_sleep_ms=0"),
		KillGrace: 2 * time.Second,
	}
}

// collect runs spec and returns every line onLine saw.
func collect(t *testing.T, ctx context.Context, spec Spec) (Result, []Line, error) {
	t.Helper()
	var got []Line
	res, err := Run(ctx, spec, func(l Line) { got = append(got, l) })
	return res, got, err
}

func texts(lines []Line, stream string) []string {
	var out []string
	for _, l := range lines {
		if stream == "" || l.Stream == stream {
			out = append(out, l.Text)
		}
	}
	return out
}

func TestStreamsBothInOrder(t *testing.T) {
	res, lines, err := collect(t, context.Background(), fakeSpec(t, "both"))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := strings.Join(texts(lines, Stdout), "|"); got != "out 1|out 2" {
		t.Errorf("stdout lines = %q", got)
	}
	if got := strings.Join(texts(lines, Stderr), "|"); got != "err 1|err 2" {
		t.Errorf("stderr lines = %q", got)
	}
	if res.ExitCode != 0 || len(res.Tail) != 4 || res.Duration <= 0 {
		t.Errorf("result = %+v", res)
	}
	for _, l := range lines {
		if l.At.IsZero() {
			t.Errorf("line %q has no time", l.Text)
		}
	}
}

func TestLinesArriveWhileChildRuns(t *testing.T) {
	release := filepath.Join(t.TempDir(), "release")
	spec := fakeSpec(t, "live")
	spec.Env = append(spec.Env, "FAKE_RELEASE="+release)
	var got []string
	_, err := Run(context.Background(), spec, func(l Line) {
		got = append(got, l.Text)
		if l.Text == "first" {
			// The child waits for this file: it only exists if "first"
			// reached us while the child was still running.
			if err := os.WriteFile(release, nil, 0o600); err != nil {
				t.Error(err)
			}
		}
	})
	if err != nil {
		t.Fatalf("Run: %v (lines %q)", err, got)
	}
	if strings.Join(got, "|") != "first|second" {
		t.Errorf("lines = %q", got)
	}
}

func TestCarriageReturnsAndControls(t *testing.T) {
	for _, tt := range []struct {
		mode string
		want []string
	}{
		{"cr", []string{"#5 step 1", "#5 step 2", "#5 step 3", "done", "last without newline"}},
		{"ansi", []string{"✔ [1/2] Machine ok"}},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			_, lines, err := collect(t, context.Background(), fakeSpec(t, tt.mode))
			if err != nil {
				t.Fatal(err)
			}
			if got := texts(lines, ""); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("lines = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDeployOutputParsed(t *testing.T) {
	const image = "registry.fly.io/APP:deployment-01KR8S4VVCTB5QG1EWDT88AGK0"
	for _, tt := range []struct {
		mode, digest string
	}{
		{"depot-verbatim", ""}, // digests cut by terminal width are not evidence
		{"depot-full", "sha256:" + digestHex},
		{"docker", "sha256:" + digestHex},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			res, lines, err := collect(t, context.Background(), fakeSpec(t, tt.mode))
			if err != nil {
				t.Fatal(err)
			}
			if res.Image != image {
				t.Errorf("Image = %q, want %q", res.Image, image)
			}
			if res.Digest != tt.digest {
				t.Errorf("Digest = %q, want %q", res.Digest, tt.digest)
			}
			if got := texts(lines, Stdout); len(got) == 0 || got[len(got)-1] != "Visit your newly deployed app at https://APP.fly.dev/" {
				t.Errorf("stdout = %q", got)
			}
			if got := texts(lines, Stderr); len(got) == 0 || got[len(got)-1] != "image size: 317 MB" {
				t.Errorf("stderr = %q", got)
			}
		})
	}
}

func TestNonZeroExit(t *testing.T) {
	spec := fakeSpec(t, "fail", "sim", "flyctl", "deploy", "--remote-only", "--strategy", "rolling", "-a", "autonomath-api")
	spec.Dir = t.TempDir()
	res, _, err := collect(t, context.Background(), spec)
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want *Error", err)
	}
	if res.ExitCode != 1 || fe.ExitCode != 1 || fe.Reason != ReasonExit || res.Signaled {
		t.Errorf("result = %+v, reason %q", res, fe.Reason)
	}
	if len(res.Tail) != 3 {
		t.Errorf("tail = %q", texts(res.Tail, ""))
	}
	msg := err.Error()
	for _, want := range []string{
		"flyctl deploy exited 1 after",
		"Error: timeout reached waiting for health checks",
		"rerun `flyctl deploy --remote-only --strategy rolling -a autonomath-api` by hand in " + spec.Dir,
		"`flyctl releases -a autonomath-api`",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

// TestDurationOnTheCallersClock: a drill's clock runs faster than the wall;
// the error tells the deploy's length on it, as the journal's times do.
func TestDurationOnTheCallersClock(t *testing.T) {
	spec := fakeSpec(t, "fail", "sim", "flyctl", "deploy")
	simStart := time.Date(2026, 5, 11, 12, 0, 0, 0, time.UTC)
	var calls int
	spec.Now = func() time.Time { calls++; return simStart.Add(time.Duration(calls-1) * 7 * time.Minute) }
	res, _, err := collect(t, context.Background(), spec)
	if res.Duration != 7*time.Minute {
		t.Errorf("duration %s, want the 7m0s the caller's clock moved", res.Duration)
	}
	if err == nil || !strings.Contains(err.Error(), "exited 1 after 7m0s") {
		t.Errorf("err = %v, want it to say after 7m0s", err)
	}
}

func TestIdleTimeout(t *testing.T) {
	spec := fakeSpec(t, "silent")
	spec.IdleTimeout = 300 * time.Millisecond
	res, _, err := collect(t, context.Background(), spec)
	var fe *Error
	if !errors.As(err, &fe) || fe.Reason != ReasonIdle {
		t.Fatalf("err = %v, want idle *Error", err)
	}
	if !res.Idle || res.TimedOut || res.Duration > 3*time.Second {
		t.Errorf("result = %+v", res)
	}
	if !strings.Contains(err.Error(), "printed nothing for 300ms") || !strings.Contains(err.Error(), "escape.idle_timeout") {
		t.Errorf("message: %s", err)
	}
}

// Output without a newline is activity too: a dot printer is not idle.
func TestPartialLinesAreActivity(t *testing.T) {
	spec := fakeSpec(t, "dots")
	spec.IdleTimeout = time.Second // well above the dot interval, even on a busy machine
	res, lines, err := collect(t, context.Background(), spec)
	if err != nil || res.Idle {
		t.Fatalf("err = %v, idle = %v", err, res.Idle)
	}
	if got := texts(lines, ""); len(got) != 1 || got[0] != "............... done" {
		t.Errorf("lines = %q", got)
	}
}

func TestOverallTimeout(t *testing.T) {
	// A shell stand-in, not the re-executed test binary: under -race on a
	// loaded machine that one took longer than the timeout to print its
	// first line, and a child that said nothing proves nothing here.
	spec := Spec{Argv: []string{"sh", "-c", "while :; do echo tick; sleep 0.05; done"}, KillGrace: 2 * time.Second}
	spec.IdleTimeout = 5 * time.Second
	spec.Timeout = time.Second
	res, lines, err := collect(t, context.Background(), spec)
	var fe *Error
	if !errors.As(err, &fe) || fe.Reason != ReasonTimeout {
		t.Fatalf("err = %v, want timeout *Error", err)
	}
	if !res.TimedOut || res.Idle || res.Duration > 3*time.Second || len(lines) == 0 {
		t.Errorf("result = %+v, %d lines", res, len(lines))
	}
}

func TestCtxCancelForwardsSIGINT(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := Run(ctx, fakeSpec(t, "trap"), func(l Line) {
		if l.Text == "ready" {
			cancel()
		}
	})
	if got := texts(res.Tail, Stderr); len(got) != 1 || got[0] != "got SIGINT" {
		t.Errorf("stderr = %q, want the child's SIGINT handler to run", got)
	}
	if res.ExitCode != 127 || !res.Interrupted || res.Signaled {
		t.Errorf("result = %+v", res)
	}
	var fe *Error
	if !errors.As(err, &fe) || fe.Reason != ReasonInterrupted || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want interrupted *Error wrapping context.Canceled", err)
	}
}

func TestInterruptChannel(t *testing.T) {
	t.Run("first forwards SIGINT", func(t *testing.T) {
		interrupt := make(chan struct{}, 2)
		spec := fakeSpec(t, "trap")
		spec.Interrupt = interrupt
		res, err := Run(context.Background(), spec, func(l Line) {
			if l.Text == "ready" {
				interrupt <- struct{}{}
			}
		})
		if res.ExitCode != 127 || !strings.Contains(strings.Join(texts(res.Tail, ""), "|"), "got SIGINT") {
			t.Errorf("result = %+v", res)
		}
		if err == nil {
			t.Error("want an error for an interrupted deploy")
		}
	})
	t.Run("second kills a child that ignores SIGINT", func(t *testing.T) {
		interrupt := make(chan struct{}, 2)
		spec := fakeSpec(t, "ignore")
		spec.Interrupt = interrupt
		ticksAfter := 0
		sent := 0
		res, err := Run(context.Background(), spec, func(l Line) {
			switch {
			case l.Text == "ready":
				interrupt <- struct{}{}
				sent = 1
			case sent == 1 && l.Text == "tick":
				// Still running after the first interrupt, as it should.
				if ticksAfter++; ticksAfter == 3 {
					interrupt <- struct{}{}
					sent = 2
				}
			}
		})
		if sent != 2 || !res.Signaled || res.ExitCode != -1 || !res.Interrupted {
			t.Errorf("sent %d, result = %+v", sent, res)
		}
		if err == nil || !strings.Contains(err.Error(), "signal: killed") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("one interrupt then grace kills a child that ignores SIGINT", func(t *testing.T) {
		interrupt := make(chan struct{}, 2)
		spec := fakeSpec(t, "ignore")
		spec.KillGrace = 300 * time.Millisecond
		spec.Interrupt = interrupt
		res, err := Run(context.Background(), spec, func(l Line) {
			if l.Text == "ready" {
				interrupt <- struct{}{}
			}
		})
		if !res.Signaled || !res.Interrupted || res.Duration < 300*time.Millisecond || res.Duration > 5*time.Second {
			t.Errorf("one interrupt: result = %+v, want killed after the 300ms grace", res)
		}
		if err == nil || !strings.Contains(err.Error(), "signal: killed") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("ctx then grace kills a child that ignores SIGINT", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		spec := fakeSpec(t, "ignore")
		spec.KillGrace = 300 * time.Millisecond
		res, err := Run(ctx, spec, func(l Line) {
			if l.Text == "ready" {
				cancel()
			}
		})
		if !res.Signaled || res.Duration < 300*time.Millisecond || res.Duration > 3*time.Second {
			t.Errorf("result = %+v", res)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestFloodStaysSmall(t *testing.T) {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak uint64
	n := 0
	res, err := Run(context.Background(), fakeSpec(t, "flood"), func(l Line) {
		if n++; n%5000 == 0 {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != floodLines {
		t.Errorf("got %d lines, want %d", n, floodLines)
	}
	if len(res.Tail) != TailLines || cap(res.Tail) > 2*TailLines {
		t.Errorf("tail len %d cap %d", len(res.Tail), cap(res.Tail))
	}
	grew := int64(peak) - int64(base.HeapAlloc)
	t.Logf("10 MB of output: heap peak %d KB above start", grew>>10)
	// Keeping every line would cost over 15 MB; streaming costs a few.
	if grew > 12<<20 {
		t.Errorf("heap grew %d KB while streaming 10 MB: output is being kept", grew>>10)
	}
}

func TestLongLineWithoutNewline(t *testing.T) {
	for _, tt := range []struct {
		mode, suffix string
	}{
		{"longline", truncatedMark},
		{"nospace", omittedMark},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			_, lines, err := collect(t, context.Background(), fakeSpec(t, tt.mode))
			if err != nil {
				t.Fatal(err)
			}
			got := texts(lines, "")
			if len(got) != 2 || got[1] != "after" {
				t.Fatalf("got %d lines, want the cut line and %q", len(got), "after")
			}
			if !strings.HasSuffix(got[0], tt.suffix) || len(got[0]) > MaxLine+len(tt.suffix) {
				t.Errorf("first line: %d bytes, ends %q", len(got[0]), got[0][max(0, len(got[0])-40):])
			}
		})
	}
}

func TestSecretsNeverReachOutput(t *testing.T) {
	spec := fakeSpec(t, "secret", "deploy", "-t", "fo1_secretflagtoken", "-a", "app")
	spec.Env = append(spec.Env, "FAKE_DB_PASSWORD=hunter2hunter2")
	spec.Redactor = redact.New()
	res, lines, err := collect(t, context.Background(), spec)
	if err == nil {
		t.Fatal("want exit 1")
	}
	all := strings.Join(texts(lines, ""), "\n") + "\n" + err.Error() + "\n" + strings.Join(texts(res.Tail, ""), "\n")
	for _, secret := range []string{"fm2_", "lJPE", "fo1_", "8xKq0", "hunter2", "secretflagtoken"} {
		if strings.Contains(all, secret) {
			t.Errorf("%q leaked:\n%s", secret, all)
		}
	}
	if n := strings.Count(strings.Join(texts(lines, ""), "\n"), redact.Mask); n < 3 {
		t.Errorf("%d masks in output, want 3:\n%s", n, all)
	}
}

func TestStartFailures(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "flyctl")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		spec Spec
		is   error
		says string
	}{
		{"missing path", Spec{Argv: []string{filepath.Join(dir, "nope", "flyctl")}}, fs.ErrNotExist, "install it"},
		{"not executable", Spec{Argv: []string{notExec}}, fs.ErrPermission, "install it"},
		{"not on PATH", Spec{Argv: []string{"jpops-no-such-flyctl"}}, exec.ErrNotFound, "install it"},
		{"no argv", Spec{}, nil, "no command"},
		{"bad dir", Spec{Argv: []string{"true"}, Dir: filepath.Join(dir, "nope")}, fs.ErrNotExist, "fly.toml"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Run(context.Background(), tt.spec, nil)
			var fe *Error
			if !errors.As(err, &fe) || fe.Reason != ReasonStart {
				t.Fatalf("err = %v, want a start *Error", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.is)
			}
			if res.ExitCode != -1 || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("exit %d, message %q", res.ExitCode, err)
			}
		})
	}
}

func TestCancelledBeforeStartRunsNothing(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, Spec{Argv: []string{"sh", "-c", "touch " + marker}}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if _, statErr := os.Stat(marker); statErr == nil {
		t.Error("the command ran although ctx was already cancelled")
	}
}

func TestVersion(t *testing.T) {
	spec := fakeSpec(t, "version")
	t.Setenv("FAKE_FLYCTL", "version")
	t.Setenv("GORACE", "atexit_sleep_ms=0")
	got, err := Version(context.Background(), spec.Argv)
	if err != nil {
		t.Fatal(err)
	}
	if got != "flyctl v0.3.209 linux/amd64 Commit: 5e1fc2a BuildDate: 2026-05-01T00:00:00Z" {
		t.Errorf("Version = %q", got)
	}
	t.Setenv("FAKE_FLYCTL", "fail")
	if _, err := Version(context.Background(), spec.Argv); err == nil || !strings.HasPrefix(err.Error(), "flyctl version: ") {
		t.Errorf("failing version: err = %v", err)
	}
}

// A child that closes its output early and keeps running is waited for,
// without spinning on the closed streams.
func TestChildClosesOutputEarly(t *testing.T) {
	start := time.Now()
	res, err := Run(context.Background(), Spec{Argv: []string{"sh", "-c", "echo bye; exec >&- 2>&-; sleep 0.3; exit 4"}}, nil)
	if res.ExitCode != 4 || err == nil || len(res.Tail) != 1 {
		t.Errorf("result = %+v, err = %v", res, err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("returned after %s, before the child exited", d)
	}
}
