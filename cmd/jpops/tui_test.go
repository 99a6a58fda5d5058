//go:build unix

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
)

// tmuxSession runs jpops in a detached tmux session on its own server, as a
// person at a terminal would.
type tmuxSession struct {
	t        *testing.T
	socket   string
	session  string
	exitfile string
	env      []string // the tmux server's environment: the test's clean one
}

// termOpts shape the terminal: its size, and whether the shell around jpops
// survives the terminal going away, to record jpops's exit code after a
// hang-up (jpops itself still receives SIGHUP).
type termOpts struct {
	cols, rows int
	outlive    bool
}

// startTmux runs jpops at 100×30.
func startTmux(t *testing.T, e *tenv, args ...string) *tmuxSession {
	t.Helper()
	return startTerm(t, e, termOpts{cols: 100, rows: 30}, args...)
}

func startTerm(t *testing.T, e *tenv, o termOpts, args ...string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("JPOPS_REQUIRE_TMUX") == "1" {
			t.Fatal("tmux is not installed and JPOPS_REQUIRE_TMUX=1")
		}
		t.Skip("tmux is not installed: the TUI test drives jpops through a real terminal (set JPOPS_REQUIRE_TMUX=1 to make this a failure)")
	}
	s := &tmuxSession{t: t, socket: fmt.Sprintf("jpops-e2e-%d-%d", os.Getpid(), time.Now().UnixNano()), session: "jpops", exitfile: filepath.Join(t.TempDir(), "exit")}
	e.set("TERM", "xterm-256color")
	s.env = e.environ()
	quoted := []string{strconv.Quote(jpopsBin)}
	for _, a := range args {
		quoted = append(quoted, strconv.Quote(a))
	}
	inner := strings.Join(quoted, " ") + "; echo $? > " + strconv.Quote(s.exitfile) + "; sleep 30"
	if o.outlive {
		// The shell passes the hang-up on to jpops, as a login shell does to
		// its jobs, and outlives it to record its exit code.
		exit := "echo $? > " + strconv.Quote(s.exitfile)
		inner = "trap 'kill -HUP $pid; wait $pid; " + exit + "; exit' HUP; " + strings.Join(quoted, " ") + " </dev/tty & pid=$!; wait $pid; " + exit
	}
	// The pane's shell records its pid: its process group (it and jpops)
	// must not outlive the test, whatever the test did to the terminal.
	shellPid := filepath.Join(t.TempDir(), "shell.pid")
	inner = "echo $$ > " + strconv.Quote(shellPid) + "; " + inner
	t.Cleanup(func() {
		if pid := readPid(shellPid); pid > 0 {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	})
	tmuxArgs := []string{"-L", s.socket, "-f", "/dev/null", "new-session", "-d", "-s", s.session, "-x", strconv.Itoa(o.cols), "-y", strconv.Itoa(o.rows)}
	for k, v := range e.vars {
		tmuxArgs = append(tmuxArgs, "-e", k+"="+v)
	}
	tmuxArgs = append(tmuxArgs, "sh", "-c", inner)
	// tmux keeps what a program copies with OSC 52 (the copy key) as a
	// paste buffer, where the test reads it back as a terminal would paste it.
	tmuxArgs = append(tmuxArgs, ";", "set-option", "-s", "set-clipboard", "on")
	s.tmux(tmuxArgs...)
	t.Cleanup(func() {
		kill := exec.Command("tmux", "-L", s.socket, "kill-server")
		kill.Env = s.env
		_ = kill.Run()
	})
	return s
}

func (s *tmuxSession) tmux(args ...string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "tmux", args...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// hangUp closes the terminal under jpops: tmux kill-session closes the
// pane's terminal, and the kernel sends SIGHUP to its processes.
func (s *tmuxSession) hangUp() {
	s.tmux("-L", s.socket, "kill-session", "-t", s.session)
}

func (s *tmuxSession) screen() string {
	return s.tmux("-L", s.socket, "capture-pane", "-p", "-J")
}

// clipboard waits for what jpops copied with OSC 52 and returns it.
func (s *tmuxSession) clipboard(d time.Duration) string {
	s.t.Helper()
	var text string
	waitFor(s.t, "a copy to the clipboard", d, func() bool {
		cmd := exec.Command("tmux", "-L", s.socket, "show-buffer")
		cmd.Env = s.env
		out, err := cmd.Output()
		text = string(out)
		return err == nil
	})
	return text
}

func (s *tmuxSession) keys(keys ...string) {
	s.tmux(append([]string{"-L", s.socket, "send-keys"}, keys...)...)
}

// waitScreen polls the pane until it shows want; it returns every screen
// seen, so a test can check what passed by.
func (s *tmuxSession) waitScreen(want string, d time.Duration) string {
	s.t.Helper()
	var seen strings.Builder
	deadline := time.Now().Add(d)
	for {
		sc := s.screen()
		seen.WriteString(sc)
		if onScreen(sc, want) {
			return seen.String()
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the screen never showed %q in %s; last screen:\n%s", want, d, sc)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// exitCode waits for jpops to end and reads its exit code.
func (s *tmuxSession) exitCode(d time.Duration) int {
	s.t.Helper()
	var code int
	waitFor(s.t, "jpops to exit", d, func() bool {
		b, err := os.ReadFile(s.exitfile)
		if err != nil || len(b) == 0 || b[len(b)-1] != '\n' {
			return false
		}
		code, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	return code
}

func TestTUIDrillConfirmed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := startTmux(t, e, "drill", "--hold", "2s")
	seen := s.waitScreen("and press enter to deploy", 30*time.Second)
	if !strings.Contains(seen, "DRILL") {
		t.Errorf("the drill's screens never said DRILL:\n%s", seen)
	}
	s.keys("-l", "autonomath-api")
	s.keys("Enter")
	seen += s.waitScreen("RECOVERED", 40*time.Second)
	for _, phase := range []string{"Diagnose", "Boot logs", "Escape", "Smoke"} {
		if !strings.Contains(seen, phase) {
			t.Errorf("the screens never showed phase %q", phase)
		}
	}
	s.waitScreen("press enter or q to exit", 10*time.Second)
	s.keys("q")
	if code := s.exitCode(15 * time.Second); code != 0 {
		t.Errorf("drill confirmed at the gate exited %d, want 0; screen:\n%s", code, s.screen())
	}
	_, evs := e.onlyJournal()
	gate, ok := lastOf(evs, "gate")
	if !ok || data[journal.Gate](gate).ConfirmedBy != "operator" || !data[journal.Gate](gate).OK {
		t.Errorf("the gate is not journaled as confirmed by the operator: %+v", gate)
	}
}

func TestTUIDrillRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := startTmux(t, e, "drill", "--hold", "2s")
	s.waitScreen("and press enter to deploy", 30*time.Second)
	s.keys("-l", "autonomath-apx")
	s.keys("Enter")
	// The gate answers a wrong name on screen; only then is it fair to
	// look for what did not happen.
	s.waitScreen(`"autonomath-apx" is not autonomath-api`, 10*time.Second)
	if sc := s.screen(); !strings.Contains(sc, "and press enter to deploy") {
		t.Fatalf("a wrong app name passed the gate:\n%s", sc)
	}
	if _, err := os.Stat(s.exitfile); err == nil {
		t.Fatal("jpops exited on a wrong app name")
	}
	s.keys("Escape")
	seen := s.waitScreen("ABORTED", 15*time.Second)
	if strings.Contains(seen, "RECOVERED") {
		t.Errorf("a refused drill recovered:\n%s", seen)
	}
	s.waitScreen("press enter or q to exit", 10*time.Second)
	s.keys("q")
	if code := s.exitCode(15 * time.Second); code != 40 {
		t.Errorf("drill refused at the gate exited %d, want 40; screen:\n%s", code, s.screen())
	}
	_, evs := e.onlyJournal()
	if n := kinds(evs)["command_start"]; n != 0 {
		t.Errorf("a refused gate still deployed (%d command_start)", n)
	}
}

// The replay on a terminal: the watchdog's pages are shown before the walk,
// the operator answers the page with Enter and the gate with the app's name,
// and the scorecard sets the outage beside the post-mortem's.
func TestTUIDrillReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := startTmux(t, e, "drill", "--scenario", "replay-2026-05-11", "--speed", "600", "--hold", "1s")
	seen := s.waitScreen("Press Enter to answer the page", 60*time.Second)
	for _, want := range []string{"jpops watch -a autonomath-api watches", "the watchdog pages", "[DRILL] jpops: HANG autonomath-api", "integrity_check on /data/autonomath.db"} {
		if !strings.Contains(seen, want) {
			t.Errorf("before the walk the screen never showed %q:\n%s", want, seen)
		}
	}
	s.keys("Enter")
	s.waitScreen("and press enter to deploy", 60*time.Second)
	s.keys("-l", "autonomath-api")
	s.keys("Enter")
	s.waitScreen("press enter or q to exit", 90*time.Second)
	s.keys("q")
	if code := s.exitCode(15 * time.Second); code != 0 {
		t.Fatalf("the replay exited %d, want 0; screen:\n%s", code, s.screen())
	}
	s.waitScreen("instead of 5h12m00s", 10*time.Second)
	_, evs := e.onlyJournal()
	if evs[0].Kind != journal.KindPage {
		t.Errorf("the replay's journal opens with %s, want the watchdog's page", evs[0].Kind)
	}
	if gate, ok := lastOf(evs, "gate"); !ok || data[journal.Gate](gate).ConfirmedBy != "operator" {
		t.Errorf("the gate is not journaled as the operator's: %+v", gate)
	}
}
