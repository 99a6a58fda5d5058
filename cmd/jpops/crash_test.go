//go:build unix

package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
)

// background starts jpops and returns it running; the test's cleanup
// kills it if the test has not waited for it.
func (e *tenv) background(args ...string) (*exec.Cmd, func() result) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	cmd, out, errb := e.command(ctx, "", args...)
	if err := cmd.Start(); err != nil {
		cancel()
		e.t.Fatal(err)
	}
	waited := false
	wait := func() result {
		e.t.Helper()
		waited = true
		err := cmd.Wait()
		cancel()
		if ctx.Err() == context.DeadlineExceeded {
			e.t.Fatalf("jpops %s: still running after %s\n%s", strings.Join(args, " "), cmdTimeout, result{-1, out.String(), errb.String()})
		}
		return result{exitCode(e.t, err), out.String(), errb.String()}
	}
	e.t.Cleanup(func() {
		if !waited {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			cancel()
		}
	})
	return cmd, wait
}

// killedMidway runs jpops until the journal shows ready, kills it with
// SIGKILL, and checks that every event seen before the kill survived it.
func killedMidway(t *testing.T, e *tenv, args []string, what string, ready func() bool) []journal.Event {
	t.Helper()
	cmd, wait := e.background(args...)
	waitFor(t, what, 30*time.Second, ready)
	paths := e.journals()
	if len(paths) != 1 {
		t.Fatalf("want one journal, got %v", paths)
	}
	before := strictLines(t, paths[0])
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if r := wait(); r.code != -1 {
		t.Fatalf("jpops was not killed:\n%s", r)
	}
	after := strictLines(t, paths[0])
	if len(after) < len(before) {
		t.Fatalf("the kill lost events: %d before, %d after", len(before), len(after))
	}
	for i, ev := range before {
		if after[i].Seq != ev.Seq || after[i].Kind != ev.Kind {
			t.Fatalf("event %d changed across the kill: %+v → %+v", i, ev, after[i])
		}
	}
	if _, ok := lastOf(after, journal.KindIncidentEnd); ok {
		t.Fatal("the incident ended before the kill: the test killed nothing")
	}
	return after
}

func TestCrashDuringDeployThenResume(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.startSim("db-boot-hang")
	// flyctl finishes the deploy, then lingers: jpops is killed while the
	// deploy's end is not yet on record.
	flyctl, _ := flyctlWrapper(t, "", `"$JPOPS_BIN" sim flyctl "$@"; sleep 60`)
	args := append([]string{"run", "--yes"}, deployArgs(s, deployDir(t, "entrypoint-guarded.sh"), flyctl)...)
	killedMidway(t, e, args, "the deploy's last line", func() bool {
		return e.journalHas(journal.KindCommandOutput, "Visit your newly deployed app")
	})

	// The machines all run the new image: the deploy finished, so resume
	// goes on to the smoke walk, deploying nothing and asking nothing, and
	// needs no --image.
	r := e.run("resume")
	wantCode(t, r, 0)
	wantIn(t, "stderr", r.stderr, "the deploy finished", "nothing is deployed")
	_, evs := e.onlyJournal()
	if n := kinds(evs)[journal.KindCommandStart]; n != 1 {
		t.Errorf("resume deployed again: %d command_start events", n)
	}
	if n := kinds(evs)[journal.KindSmokeResult]; n == 0 {
		t.Error("resume did not walk the smoke checks")
	}
	if got := finalVerdict(t, evs); got != "RECOVERED" {
		t.Errorf("resumed incident ended %s, want RECOVERED\n%s", got, r)
	}

	// A finished incident is not resumed again.
	r = e.run("resume", "--yes")
	wantCode(t, r, 0)
	wantIn(t, "stdout", r.stdout, "already ended")
}

// TestCrashBeforeTheDeployReachedMachines kills jpops while flyctl has not
// touched a machine: resume must not offer the smoke walk (it could only
// fail) but the deploy again, behind the gate.
func TestCrashBeforeTheDeployReachedMachines(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.startSim("db-boot-hang")
	release := filepath.Join(t.TempDir(), "release")
	flyctl, pidfile := flyctlWrapper(t, "while [ ! -e '"+release+"' ]; do sleep 0.05; done", "")
	args := append([]string{"run", "--yes"}, deployArgs(s, deployDir(t, "entrypoint-guarded.sh"), flyctl)...)
	killedMidway(t, e, args, "flyctl to start", func() bool { return readPid(pidfile) > 0 && e.journalHas(journal.KindCommandStart, "") })
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	// Off a terminal, a deploy needs --yes; the refusal says what is true.
	r := e.run("resume")
	wantCode(t, r, 2)
	wantIn(t, "stderr", r.stderr, "no machine runs a new image", "--yes")
	if strings.Contains(r.stderr, "--image") {
		t.Errorf("resume asks for --image though the Machines API has the answer:\n%s", r)
	}

	r = e.run("resume", "--yes")
	wantCode(t, r, 0)
	_, evs := e.onlyJournal()
	if n := kinds(evs)[journal.KindCommandStart]; n != 2 {
		t.Errorf("resume --yes after a deploy that reached no machine: %d command_start events, want 2", n)
	}
	if got := finalVerdict(t, evs); got != "RECOVERED" {
		t.Errorf("resumed incident ended %s, want RECOVERED\n%s", got, r)
	}
}

func TestCrashDuringHoldThenResume(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.startSim("db-boot-hang")
	flyctl, _ := flyctlWrapper(t, "", "")
	args := append([]string{"run", "--yes"}, deployArgs(s, deployDir(t, "entrypoint-guarded.sh"), flyctl)...)
	args = append(args, "--hold", "30s") // the later flag wins: a hold long enough to be killed in
	killedMidway(t, e, args, "the stability hold", func() bool { return e.journalHas(journal.KindHold, "") })

	r := e.run("resume", "--yes", "--hold", "2s")
	wantCode(t, r, 0)
	_, evs := e.onlyJournal()
	if n := kinds(evs)[journal.KindCommandStart]; n != 1 {
		t.Errorf("resume after the deploy deployed again: %d command_start events", n)
	}
	if got := finalVerdict(t, evs); got != "RECOVERED" {
		t.Errorf("resumed incident ended %s, want RECOVERED\n%s", got, r)
	}
	// The resumed smoke walk checked the image the deploy recorded.
	exit, _ := lastOf(evs, journal.KindCommandExit)
	digest := data[journal.CommandExit](exit).Digest
	if digest == "" {
		t.Fatalf("command_exit records no digest: %+v", exit)
	}
	var imageChecked bool
	for _, ev := range evs[len(evs)/2:] {
		if d, ok := ev.Data.(journal.SmokeResult); ok && d.Check == "image" {
			imageChecked = imageChecked || strings.Contains(d.Detail, digest)
		}
	}
	if !imageChecked {
		t.Errorf("the resumed smoke walk did not check the recorded digest %s", digest)
	}
}

func TestInterruptForwardedToFlyctl(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		body     string
		ready    string // command_output line once flyctl handles signals
		sigints  int
		graceful bool // flyctl exits on its own (127) rather than being killed
	}{
		{"flyctl stops on SIGINT", "", "Building image with Depot", 1, true},
		{"flyctl ignores SIGINT", "trap '' INT\necho '==> Building image' >&2\nwhile :; do sleep 1; done", "==> Building image", 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			s := e.startSim("db-boot-hang")
			e.set("JPOPS_SIM_FLYCTL_HANG", "1")
			flyctl, pidfile := flyctlWrapper(t, "", tt.body)
			cmd, wait := e.background(append([]string{"run", "--yes"}, deployArgs(s, deployDir(t, "entrypoint-guarded.sh"), flyctl)...)...)
			waitFor(t, "flyctl's first lines", 30*time.Second, func() bool { return e.journalHas(journal.KindCommandOutput, tt.ready) })
			pid := readPid(pidfile)
			if pid == 0 {
				t.Fatal("flyctl wrote no pid")
			}
			for i := 0; i < tt.sigints; i++ {
				if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
					t.Fatal(err)
				}
				time.Sleep(300 * time.Millisecond)
			}
			r := wait()
			wantCode(t, r, 130)
			wantIn(t, "stderr", r.stderr, "interrupted", "jpops resume")
			waitFor(t, "flyctl to be gone", 5*time.Second, func() bool { return gone(pid) && gone(-pid) })

			_, evs := e.onlyJournal()
			exit, ok := lastOf(evs, journal.KindCommandExit)
			if !ok {
				t.Fatalf("no command_exit in the journal after the interrupt:\n%s", r)
			}
			if tt.graceful {
				if code := data[journal.CommandExit](exit).Code; code != 127 {
					t.Errorf("flyctl exit %v, want its Ctrl-C code 127: %+v", code, exit.Data)
				}
			}
			text := strings.ToLower(strings.Join(eventTexts(evs[len(evs)-4:]), " "))
			if !strings.Contains(text, "interrupt") {
				t.Errorf("the journal's last events do not record the interruption: %s", text)
			}
		})
	}
}

// eventTexts renders events as their kind and data, for word checks.
func eventTexts(evs []journal.Event) []string {
	var out []string
	for _, ev := range evs {
		raw, _ := json.Marshal(ev.Data)
		out = append(out, ev.Kind+" "+string(raw))
	}
	return out
}

func TestFlyctlMissingOrFlooding(t *testing.T) {
	t.Parallel()
	t.Run("--flyctl names nothing", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		s := e.startSim("db-boot-hang")
		r := e.run(append([]string{"run", "--yes"}, deployArgs(s, deployDir(t, "entrypoint-guarded.sh"), "/nonexistent/flyctl")...)...)
		wantCode(t, r, 2)
		wantIn(t, "stderr", r.stderr, "/nonexistent/flyctl")
	})
	t.Run("JPOPS_FLYCTL names nothing", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		s := e.startSim("db-boot-hang")
		e.set("JPOPS_FLYCTL", "/nonexistent/flyctl")
		args := []string{"run", "--yes", "-a", "autonomath-api", "--dir", deployDir(t, "entrypoint-guarded.sh"), "--smoke-url", s.url + "/app", "--hold", "2s"}
		r := e.run(args...)
		wantCode(t, r, 2) // as --flyctl: a flyctl named explicitly that cannot run
		wantIn(t, "stderr", r.stderr, "JPOPS_FLYCTL", "/nonexistent/flyctl")
		if len(e.journals()) != 0 {
			t.Errorf("a run refused for its flyctl opened a journal")
		}
	})
	t.Run("no flyctl on PATH", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		s := e.startSim("db-boot-hang")
		e.set("PATH", t.TempDir())
		args := []string{"run", "--yes", "-a", "autonomath-api", "--dir", deployDir(t, "entrypoint-guarded.sh"), "--smoke-url", s.url + "/app", "--hold", "2s"}
		r := e.run(args...)
		wantCode(t, r, 20)
		wantIn(t, "output", r.stdout+r.stderr, "ESCAPE_FAILED", "flyctl not found")
		_, evs := e.onlyJournal()
		if finalVerdict(t, evs) != "ESCAPE_FAILED" || kinds(evs)[journal.KindCommandStart] != 0 {
			t.Errorf("want ESCAPE_FAILED with no command run")
		}
	})
	t.Run("10 MB of flyctl output", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		s := e.startSim("db-boot-hang")
		e.set("JPOPS_SIM_FLYCTL_FLOOD", "10000000")
		flyctl, _ := flyctlWrapper(t, "", "")
		r := e.run(append([]string{"run", "--yes", "--json"}, deployArgs(s, deployDir(t, "entrypoint-guarded.sh"), flyctl)...)...)
		wantCode(t, r, 0)
		path, evs := e.onlyJournal()
		if finalVerdict(t, evs) != "RECOVERED" {
			t.Errorf("flooded run ended %s", finalVerdict(t, evs))
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > 4<<20 {
			t.Errorf("journal is %d bytes after 10 MB of flyctl noise: want it bounded", fi.Size())
		}
		if len(r.stdout) > 4<<20 {
			t.Errorf("--json printed %d bytes after 10 MB of flyctl noise", len(r.stdout))
		}
		t.Logf("journal %d bytes, %d events; stdout %d bytes", fi.Size(), len(evs), len(r.stdout))
	})
}

func TestInterruptDuringHoldThenResume(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			s := e.startSim("db-boot-hang")
			flyctl, _ := flyctlWrapper(t, "", "")
			args := append([]string{"run", "--yes"}, deployArgs(s, deployDir(t, "entrypoint-guarded.sh"), flyctl)...)
			cmd, wait := e.background(append(args, "--hold", "30s")...)
			waitFor(t, "the stability hold", 30*time.Second, func() bool { return e.journalHas(journal.KindHold, "") })
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			r := wait()
			wantCode(t, r, 130)
			wantIn(t, "stderr", r.stderr, "jpops resume")
			_, evs := e.onlyJournal()
			if _, ok := lastOf(evs, journal.KindIncidentEnd); ok {
				if v := finalVerdict(t, evs); v == "RECOVERED" {
					t.Fatalf("an interrupted hold ended RECOVERED")
				}
			}

			r = e.run("resume", "--yes", "--hold", "1s")
			wantCode(t, r, 0)
			_, evs = e.onlyJournal()
			if n := kinds(evs)[journal.KindCommandStart]; n != 1 {
				t.Errorf("resume deployed again: %d command_start events", n)
			}
			if got := finalVerdict(t, evs); got != "RECOVERED" {
				t.Errorf("resumed incident ended %s\n%s", got, r)
			}
		})
	}
}

func TestSmokeAfterRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.startSim("db-boot-hang")
	flyctl, _ := flyctlWrapper(t, "", "")
	wantCode(t, e.run(append([]string{"run", "--yes"}, deployArgs(s, deployDir(t, "entrypoint-guarded.sh"), flyctl)...)...), 0)
	_, evs := e.onlyJournal()
	exit, _ := lastOf(evs, journal.KindCommandExit)
	digest := data[journal.CommandExit](exit).Digest
	tests := []struct {
		image string
		code  int
	}{
		{digest, 0},
		{"sha256:" + strings.Repeat("0", 64), 30}, // an image no machine runs
	}
	for _, tt := range tests {
		if tt.image == "" {
			t.Fatalf("no image on record: %+v", exit)
		}
		r := e.run("smoke", "-a", "autonomath-api", "--image", tt.image, "--smoke-url", s.url+"/app", "--hold", "1s", "--interval", "200ms", "--settle", "1s")
		wantCode(t, r, tt.code)
	}
	r := e.run("smoke", "-a", "autonomath-api")
	wantCode(t, r, 2)
	wantIn(t, "stderr", r.stderr, "--image")
}
