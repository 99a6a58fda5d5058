//go:build unix

package main

// The operator at 3 a.m.: what a person at a terminal relies on during an
// outage, driven through the real binary in tmux (send-keys, capture-pane,
// the OSC 52 clipboard) at 60 and 120 columns, every width in parallel.
// Where each promise is held:
//
//	a hang-up in the deploy or the hold, and before the gate   hangup_test.go
//	one jpops per app, the holder named                        lock_test.go
//	resume after kill -9 offers only what can work             TestTUIResumeAfterKill9
//	a drill interrupted and resumed                            drillresume_test.go, TestTUIDrillInterruptedScenario
//	the copy key copies one command safe to paste              TestTUIEndScreens (copy key), TestTUIQuitAsksWhileRunning
//	nothing cut: the detail view, wrapped text                 TestTUIEndScreens (nothing cut), TestTUIGateDetails
//	the gate's evidence and its whole command                  drillresume_test.go, TestTUIGateDetails
//	timers tick; the settle and the hold show each machine     TestTUITimersTick, tui_settle_test.go
//	retries show                                               TestTUIRetriesShow
//	a wrong directory refused                                  deploydir_test.go
//	marks mean one thing; h shows the help                     TestTUIEndScreens (marks, help key)
//	q asks while something runs                                TestTUIQuitAsksWhileRunning
//	interrupts exit 130, refusals 40                           TestTUIExitCodes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/lock"
)

// eachWidth runs f at every width of the suite, in parallel.
func eachWidth(t *testing.T, f func(t *testing.T, cols int)) {
	t.Helper()
	for _, cols := range widths {
		t.Run(fmt.Sprintf("%dcols", cols), func(t *testing.T) {
			t.Parallel()
			f(t, cols)
		})
	}
}

const (
	atGate = "press enter to deploy"
	atEnd  = "press enter or q to exit"
)

// waitEither polls the pane until it shows a or b, and says which.
func (s *tmuxSession) waitEither(a, b string, d time.Duration) string {
	s.t.Helper()
	var got string
	waitFor(s.t, fmt.Sprintf("the screen to show %q or %q", a, b), d, func() bool {
		sc := s.screen()
		switch {
		case onScreen(sc, a):
			got = a
		case onScreen(sc, b):
			got = b
		}
		return got != ""
	})
	return got
}

// confirmGate types the app's name at the gate, as the gate asks.
func (s *tmuxSession) confirmGate() {
	s.keys("-l", "autonomath-api")
	s.keys("Enter")
}

// drillToEnd plays a drill scenario on a terminal, passing its gate if one
// opens, and leaves the terminal on the end screen.
func drillToEnd(t *testing.T, e *tenv, o termOpts, scenario string, extra ...string) *tmuxSession {
	t.Helper()
	term := startTerm(t, e, o, append([]string{"drill", "--scenario", scenario, "--hold", "1s"}, extra...)...)
	if term.waitEither(atGate, atEnd, 60*time.Second) == atGate {
		term.confirmGate()
		term.waitScreen(atEnd, 60*time.Second)
	}
	return term
}

// phaseLine is one phase's row of the header: its mark and what follows.
var phaseLine = regexp.MustCompile(`(?m)^ (\S) +([1-4])\. (.*)$`)

// safeToPaste says why text is not safe to paste into a shell at 3 a.m.,
// or "" when it is: one read-only command, or a jpops command that stops
// at its own gate. It is the test's own judgement, not the program's.
func safeToPaste(text string) string {
	if strings.ContainsAny(text, "`;&|<>$()\\\n#") {
		return "it holds shell syntax or a comment: not one plain command"
	}
	f := strings.Fields(text)
	if len(f) < 2 {
		return "it is not a command"
	}
	for _, a := range f {
		switch a {
		case "deploy", "--yes", "-y", "--force", "--redeploy", "restart", "destroy", "stop", "scale", "update":
			return "it changes the app or passes a gate (" + a + ")"
		}
	}
	switch f[0] {
	case "jpops":
		switch f[1] {
		case "run", "resume", "drill", "smoke", "diagnose", "journal", "postmortem", "audit", "doctor", "scan":
			return ""
		}
	case "flyctl", "fly":
		switch f[1] {
		case "status", "releases", "logs", "checks":
			return ""
		case "machine", "machines", "image":
			if len(f) > 2 && (f[2] == "list" || f[2] == "status" || f[2] == "show") {
				return ""
			}
		}
	}
	return "it is not a read-only command nor a jpops command with its own gate"
}

// Every drill scenario's end screen at both widths: status marks mean one
// thing, the copy key hands out only a command safe to paste, and nothing
// the operator needs is cut without a way to read it whole.
func TestTUIEndScreens(t *testing.T) {
	for _, scenario := range []string{"healthy", "other-failure", "deploy-fails", "fix-missing", "db-boot-hang"} {
		t.Run(scenario, func(t *testing.T) {
			eachWidth(t, func(t *testing.T, cols int) {
				e := newEnv(t)
				term := drillToEnd(t, e, termOpts{cols: cols, rows: 40}, scenario)
				end := term.screen()
				_, evs := e.onlyJournal()

				t.Run("marks", func(t *testing.T) { checkMarks(t, end, evs) })
				t.Run("copy key", func(t *testing.T) { checkCopy(t, term, end, evs) })
				t.Run("help key", func(t *testing.T) { checkHelp(t, term) })
				t.Run("nothing cut", func(t *testing.T) { checkNothingCut(t, term, evs) })
			})
		})
	}
}

// checkMarks reads the phase rows of an end screen: no phase is left
// pending or running, a mark says one thing (✓ a good outcome, ✗ a bad
// one, – not run), and "passed" is only a phase that passed.
func checkMarks(t *testing.T, end string, evs []journal.Event) {
	t.Helper()
	rows := phaseLine.FindAllStringSubmatch(end, -1)
	if len(rows) != 4 {
		t.Fatalf("the end screen shows %d phase rows, want 4:\n%s", len(rows), end)
	}
	for _, r := range rows {
		mark, n, rest := r[1], r[2], r[3]
		if strings.Contains(rest, "pending") || strings.Contains(rest, "running") {
			t.Errorf("phase %s is still %q on the end screen", n, strings.TrimSpace(rest))
		}
		want := map[string]string{"passed": "✓", "failed": "✗", "skipped": "–", "not run": "–", "stopped": "■"}
		for word, m := range want {
			if strings.Contains(rest, word) && mark != m {
				t.Errorf("phase %s says %q under the mark %s, want %s", n, word, mark, m)
			}
		}
		if !strings.ContainsAny(mark, "✓✗–■") {
			t.Errorf("phase %s has the mark %q on the end screen, not one of ✓ ✗ – ■", n, mark)
		}
	}
	end1 := rows[0][3]
	if v := finalVerdict(t, evs); (v == "HEALTHY" || v == "NOT_THIS_INCIDENT") && strings.Contains(end1, "passed") {
		t.Errorf("phase 1 says passed for %s: %q", v, end1)
	}
}

// checkCopy presses the copy key on the end screen: it copies the walk's
// advice, the command the screen shows as next, when that is one command
// safe to paste (by the test's own judgement), and otherwise copies
// nothing and says so; the clipboard never holds anything else.
func checkCopy(t *testing.T, term *tmuxSession, end string, evs []journal.Event) {
	t.Helper()
	last, _ := lastOf(evs, journal.KindIncidentEnd)
	next := data[journal.IncidentEnd](last).Next
	term.keys("c")
	said := term.waitEither("copied:", "nothing to copy:", 10*time.Second)
	if said != "copied:" {
		if next != "" && safeToPaste(next) == "" {
			t.Errorf("the copy key copied nothing, though the advice %q is safe to paste", next)
		}
		return
	}
	copied := term.clipboard(10 * time.Second)
	if why := safeToPaste(copied); why != "" {
		t.Errorf("the copy key copied %q: %s", copied, why)
	}
	if copied != next {
		t.Errorf("the copy key copied %q, not the advice %q", copied, next)
	}
	if !onScreen(end, copied) {
		t.Errorf("the copy key copied %q, which the end screen does not show whole:\n%s", copied, end)
	}
}

// checkHelp presses h: the full help opens with every key, and h closes it.
func checkHelp(t *testing.T, term *tmuxSession) {
	t.Helper()
	term.keys("h")
	full := term.waitScreen("follow output", 10*time.Second)
	for _, want := range []string{"details", "copy next cmd", "scroll up", "quit"} {
		if !strings.Contains(full, want) {
			t.Errorf("the full help lacks %q:\n%s", want, term.screen())
		}
	}
	term.keys("h")
	waitFor(t, "h to close the full help", 10*time.Second, func() bool { return !strings.Contains(term.screen(), "follow output") })
}

// mustRead is what the journal says the operator needs from an end screen:
// each phase's title and outcome, every verdict's reason and advice, the
// walk's end, flyctl's error, and every smoke check that failed.
func mustRead(evs []journal.Event) []string {
	var out []string
	add := func(s string) {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	for _, ev := range evs {
		switch d := ev.Data.(type) {
		case journal.PhaseStart:
			add(d.Title)
		case journal.PhaseEnd:
			add(d.Reason)
		case journal.Verdict:
			add(d.Reason)
			add(d.Next)
			add(d.NextNote)
		case journal.CommandExit:
			add(d.Error)
		case journal.SmokeResult:
			if !d.OK {
				add(d.Detail)
			}
		case journal.IncidentEnd:
			add(d.Reason)
			add(d.Next)
			add(d.NextNote)
		}
	}
	return out
}

// detailHeader is the detail view's first line: where the window is.
var detailHeader = regexp.MustCompile(`(?m)^ details · (?:all of it|lines (\d+)–(\d+) of (\d+))`)

// readEverything returns what the operator can read from the end screen:
// the screen itself, and the detail view (d) read whole.
func readEverything(t *testing.T, term *tmuxSession) []string {
	t.Helper()
	end := term.screen()
	term.keys("d")
	term.waitScreen(" details · ", 10*time.Second)
	return []string{end, readDetails(t, term)}
}

// readDetails pages through the open detail view to its end and puts it
// back together by its line numbers, so text wrapped over a page break is
// still one text.
func readDetails(t *testing.T, term *tmuxSession) string {
	t.Helper()
	doc := map[int]string{}
	total, top := 0, 0
	for {
		var m []string
		var lines []string
		waitFor(t, fmt.Sprintf("the detail view from line %d", top+1), 10*time.Second, func() bool {
			sc := term.screen()
			m = detailHeader.FindStringSubmatch(sc)
			if m == nil {
				return false
			}
			lines = strings.Split(sc, "\n")
			return m[1] == "" || m[1] != fmt.Sprint(top) // moved on from the last window
		})
		at := slices.IndexFunc(lines, func(l string) bool { return detailHeader.MatchString(l) })
		first, last := 1, len(lines)-at-1
		if m[1] != "" {
			first, last = atoi(t, m[1]), atoi(t, m[2])
			total = atoi(t, m[3])
		}
		for n := first; n <= last && at+1+n-first < len(lines); n++ {
			doc[n] = lines[at+1+n-first]
		}
		if m[1] == "" || last >= total {
			break
		}
		top = first
		term.keys("PageDown")
	}
	whole := make([]string, 0, len(doc))
	for n := 1; n <= len(doc); n++ {
		l, ok := doc[n]
		if !ok {
			t.Fatalf("paging through the detail view skipped line %d", n)
		}
		whole = append(whole, l)
	}
	t.Logf("the detail view: %d lines", len(whole))
	return strings.Join(whole, "\n")
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// checkNothingCut reads everything reachable from the end screen and wants
// each thing the operator needs whole on one screen.
func checkNothingCut(t *testing.T, term *tmuxSession, evs []journal.Event) {
	t.Helper()
	screens := readEverything(t, term)
	var missing []string
	for _, want := range mustRead(evs) {
		whole := false
		for _, sc := range screens {
			if onScreen(sc, want) {
				whole = true
				break
			}
		}
		if !whole {
			missing = append(missing, want)
		}
	}
	if len(missing) > 0 {
		t.Errorf("no screen reachable from the end (scrolled, or in the detail view d) shows these whole:\n  %s\nthe end screen:\n%s", strings.Join(missing, "\n  "), screens[0])
	}
}

// blockedFlyctl is a flyctl that says nothing until the test releases it,
// then deploys: a quiet build, or a deploy to hang up or quit in.
func blockedFlyctl(t *testing.T) (script, pidfile string, release func()) {
	t.Helper()
	gate := filepath.Join(t.TempDir(), "release")
	script, pidfile = flyctlWrapper(t, "while [ ! -e '"+gate+"' ]; do sleep 0.05; done", "")
	return script, pidfile, func() {
		if err := os.WriteFile(gate, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// One stray q never stops what runs: during the deploy and during the
// hold it asks, any other key keeps going; y stops the walk with 130.
func TestTUIQuitAsksWhileRunning(t *testing.T) {
	eachWidth(t, func(t *testing.T, cols int) {
		e := newEnv(t)
		s := e.startSim("db-boot-hang")
		flyctl, pidfile, release := blockedFlyctl(t)
		dir := deployDir(t, "entrypoint-guarded.sh")
		args := append([]string{"run"}, deployArgs(s, dir, flyctl)...)
		term := startTerm(t, e, termOpts{cols: cols, rows: 30}, append(args, "--hold", "60s")...)
		gate := term.waitScreen(atGate, 30*time.Second)
		// The command confirmed is whole, and where it runs, however long.
		for _, want := range []string{"$ flyctl deploy --remote-only --strategy rolling -a autonomath-api", "in " + dir} {
			if !onScreen(gate, want) {
				t.Errorf("the gate at %d columns does not show %q whole:\n%s", cols, want, term.screen())
			}
		}
		term.confirmGate()
		waitFor(t, "flyctl to start", 15*time.Second, func() bool { return readPid(pidfile) > 0 })

		// While flyctl deploys, d opens the whole run so far, and closes.
		term.keys("d")
		term.waitScreen(" details · ", 10*time.Second)
		doc := readDetails(t, term)
		for _, want := range []string{"HANG_CONFIRMED", "[entrypoint] running integrity_check on /data/autonomath.db", "flyctl deploy --remote-only --strategy rolling -a autonomath-api", "confirmed at the gate"} {
			if !onScreen(doc, want) {
				t.Errorf("the detail view during the deploy at %d columns lacks %q:\n%s", cols, want, doc)
			}
		}
		term.keys("d")
		waitFor(t, "d to close the detail view", 10*time.Second, func() bool { return !strings.Contains(term.screen(), " details · ") })

		// While flyctl deploys, the copy key never hands out the deploy.
		term.keys("c")
		if term.waitEither("copied:", "nothing to copy:", 10*time.Second) == "copied:" {
			if copied := term.clipboard(10 * time.Second); safeToPaste(copied) != "" {
				t.Errorf("during the deploy the copy key copied %q: %s", copied, safeToPaste(copied))
			}
		}
		term.keys("q")
		term.waitScreen("Quit and send Ctrl-C to flyctl?", 10*time.Second)
		term.waitScreen("y quit and send Ctrl-C", 10*time.Second)
		term.keys("n")
		term.waitScreen("still deploying", 10*time.Second)
		if pid := readPid(pidfile); gone(pid) {
			t.Fatalf("flyctl (pid %d) stopped though the operator answered n", pid)
		}
		release()

		waitFor(t, "the stability hold", 30*time.Second, func() bool { return e.journalHas(journal.KindHold, "") })
		term.keys("q")
		term.waitScreen("The walk is running. Stop it here", 10*time.Second)
		term.waitScreen("y stop the walk", 10*time.Second)
		term.keys("Space")
		term.waitScreen("still running", 10*time.Second)
		term.keys("q")
		term.waitScreen("The walk is running. Stop it here", 10*time.Second)
		term.keys("y")
		if code := term.exitCode(20 * time.Second); code != 130 {
			t.Errorf("stopping the walk in the hold exited %d, want 130", code)
		}
		path, evs := e.onlyJournal()
		incident := strings.TrimSuffix(filepath.Base(path), journal.Ext)
		term.waitScreen("jpops resume "+incident, 10*time.Second)
		if end, ok := lastOf(evs, journal.KindIncidentEnd); ok && data[journal.IncidentEnd](end).Verdict == "RECOVERED" {
			t.Errorf("a walk stopped in the hold ended RECOVERED")
		}
		if x, _ := lastOf(evs, journal.KindCommandExit); data[journal.CommandExit](x).Code != 0 || data[journal.CommandExit](x).Interrupted {
			t.Errorf("the deploy the operator kept going did not finish: %+v", x.Data)
		}
	})
}

// Every way out of a drill on a terminal exits as the exit-code table
// says: a refusal at the gate 40, an interrupt 130, wherever it comes.
func TestTUIExitCodes(t *testing.T) {
	tests := []struct {
		name string
		code int
		// leave drives the terminal from the gate to jpops's exit.
		leave func(t *testing.T, e *tenv, term *tmuxSession)
	}{
		{"esc at the gate", 40, func(t *testing.T, e *tenv, term *tmuxSession) {
			term.keys("Escape")
			term.waitScreen(atEnd, 15*time.Second)
			term.keys("q")
		}},
		{"no at the gate", 40, func(t *testing.T, e *tenv, term *tmuxSession) {
			term.keys("-l", "no")
			term.keys("Enter")
			term.waitScreen(atEnd, 15*time.Second)
			term.keys("Enter")
		}},
		{"ctrl-c at the gate", 130, func(t *testing.T, e *tenv, term *tmuxSession) {
			term.keys("C-c")
		}},
		{"ctrl-c in the hold", 130, func(t *testing.T, e *tenv, term *tmuxSession) {
			term.confirmGate()
			waitFor(t, "the stability hold", 30*time.Second, func() bool { return e.journalHas(journal.KindHold, "") })
			term.keys("C-c")
			term.waitScreen("Stop it here", 10*time.Second)
			term.keys("y")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachWidth(t, func(t *testing.T, cols int) {
				e := newEnv(t)
				// A hold long enough to interrupt; the test ends it.
				term := startTerm(t, e, termOpts{cols: cols, rows: 30}, "drill", "--hold", "60s")
				term.waitScreen(atGate, 30*time.Second)
				tt.leave(t, e, term)
				if code := term.exitCode(20 * time.Second); code != tt.code {
					t.Errorf("%s exited %d, want %d; screen:\n%s", tt.name, code, tt.code, term.screen())
				}
				_, evs := e.onlyJournal()
				if tt.code == 40 {
					if n := kinds(evs)[journal.KindCommandStart]; n != 0 {
						t.Errorf("a refused gate deployed (%d command_start)", n)
					}
					if v := finalVerdict(t, evs); v != "ABORTED" {
						t.Errorf("a refused gate ended %s, want ABORTED", v)
					}
				}
			})
		})
	}
}

// holderPID is the pid of the jpops holding an incident in e's state dir,
// as its lock file names it.
func holderPID(t *testing.T, e *tenv) int {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(e.state, lock.Dir, "*.lock"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var h lock.Holder
		if json.Unmarshal(bytes.TrimSpace(b), &h) == nil && h.PID > 0 {
			return h.PID
		}
	}
	return 0
}

// kill -9 of jpops on a terminal at each point of the deploy, then resume
// on a terminal: it works out from the journal and the Machines API what
// is true, offers only the step that can work (the deploy again behind
// the gate, or straight on to the smoke walk), never asks for --image,
// and recovers.
func TestTUIResumeAfterKill9(t *testing.T) {
	tests := []struct {
		name    string
		blocked bool   // flyctl waits before deploying: killed before any machine changed
		body    string // flyctl's body, when not blocked
		hold    string
		ready   func(e *tenv, pidfile string) bool
		gate    bool   // resume must offer the deploy again, behind the gate
		deploys int    // command_start events in the journal at the end
		says    string // what resume tells the operator it found
	}{
		{"before the deploy reached a machine", true, "", "2s", func(e *tenv, pidfile string) bool {
			return readPid(pidfile) > 0 && e.journalHas(journal.KindCommandStart, "")
		}, true, 2, "no machine runs a new image"},
		{"deploy finished, flyctl not yet exited", false, `"$JPOPS_BIN" sim flyctl "$@"; sleep 60`, "2s", func(e *tenv, _ string) bool {
			return e.journalHas(journal.KindCommandOutput, "Visit your newly deployed app")
		}, false, 1, "nothing is deployed"},
		{"in the hold", false, "", "60s", func(e *tenv, _ string) bool {
			return e.journalHas(journal.KindHold, "")
		}, false, 1, "nothing is deployed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachWidth(t, func(t *testing.T, cols int) {
				e := newEnv(t)
				s := e.startSim("db-boot-hang")
				var flyctl, pidfile string
				release := func() {}
				if tt.blocked {
					flyctl, pidfile, release = blockedFlyctl(t)
				} else {
					flyctl, pidfile = flyctlWrapper(t, "", tt.body)
				}
				args := append([]string{"run"}, deployArgs(s, deployDir(t, "entrypoint-guarded.sh"), flyctl)...)
				first := startTerm(t, e, termOpts{cols: cols, rows: 30}, append(args, "--hold", tt.hold)...)
				first.waitScreen(atGate, 30*time.Second)
				first.confirmGate()
				waitFor(t, tt.name, 30*time.Second, func() bool { return tt.ready(e, pidfile) })
				pid := holderPID(t, e)
				if pid <= 0 {
					t.Fatal("no jpops holds the incident")
				}
				if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				if code := first.exitCode(15 * time.Second); code != 128+int(syscall.SIGKILL) {
					t.Fatalf("jpops was not killed: exit %d", code)
				}
				if tt.blocked {
					// The flyctl that never started deploying goes too (as with
					// the machine it ran on); the resume's own flyctl deploys.
					_ = syscall.Kill(readPid(pidfile), syscall.SIGKILL)
					release()
				}

				resume := startTerm(t, e, termOpts{cols: cols, rows: 30}, "resume", "--hold", "1s")
				seen := ""
				if got := resume.waitEither(atGate, atEnd, 60*time.Second); got == atGate {
					if !tt.gate {
						t.Fatalf("resume offers the deploy again though every machine runs the new image:\n%s", resume.screen())
					}
					seen += resume.screen()
					resume.confirmGate()
				} else if tt.gate {
					t.Fatalf("resume went on without the deploy no machine got:\n%s", resume.screen())
				}
				seen += resume.waitScreen(atEnd, 60*time.Second)
				if !onScreen(seen, "RECOVERED") {
					t.Errorf("the resumed walk did not end RECOVERED:\n%s", resume.screen())
				}
				if strings.Contains(seen, "--image") {
					t.Errorf("resume asks for --image though the Machines API has the answer:\n%s", resume.screen())
				}
				resume.keys("q")
				if code := resume.exitCode(15 * time.Second); code != 0 {
					t.Errorf("the resume exited %d, want 0", code)
				}
				if sc := resume.screen(); !onScreen(seen+sc, tt.says) {
					t.Errorf("resume never said %q:\n%s", tt.says, sc)
				}
				_, evs := e.onlyJournal()
				if n := kinds(evs)[journal.KindCommandStart]; n != tt.deploys {
					t.Errorf("%d command_start events after the resume, want %d", n, tt.deploys)
				}
				if v := finalVerdict(t, evs); v != "RECOVERED" {
					t.Errorf("the resumed incident ended %s", v)
				}
			})
		})
	}
}

// ticks polls the pane until re's first group has shown n different
// values, and returns them in the order seen.
func (s *tmuxSession) ticks(what string, re *regexp.Regexp, n int, d time.Duration) []string {
	s.t.Helper()
	var seen []string
	waitFor(s.t, fmt.Sprintf("%s to show %d different times", what, n), d, func() bool {
		if m := re.FindStringSubmatch(s.screen()); m != nil && !slices.Contains(seen, m[1]) {
			seen = append(seen, m[1])
		}
		return len(seen) >= n
	})
	return seen
}

var (
	phase3Timer = regexp.MustCompile(`(?m)3\. Escape path.*running (\S+)\s*$`)
	quietTimer  = regexp.MustCompile(`flyctl quiet for (\S+)`)
	holdTimer   = regexp.MustCompile(`stability hold\D*?(\d\S*) of `)
)

// Timers tick every second whatever happens between events: phase 3's
// while the gate waits and while a quiet build says nothing, the quiet
// build's own, and the hold's; the hold shows each machine's state.
func TestTUITimersTick(t *testing.T) {
	eachWidth(t, func(t *testing.T, cols int) {
		e := newEnv(t)
		s := e.startSim("db-boot-hang")
		flyctl, pidfile, release := blockedFlyctl(t)
		args := append([]string{"run"}, deployArgs(s, deployDir(t, "entrypoint-guarded.sh"), flyctl)...)
		term := startTerm(t, e, termOpts{cols: cols, rows: 30}, append(args, "--hold", "5s")...)
		term.waitScreen(atGate, 30*time.Second)
		term.ticks("phase 3's timer at the gate", phase3Timer, 3, 10*time.Second)
		term.confirmGate()
		waitFor(t, "flyctl to start", 15*time.Second, func() bool { return readPid(pidfile) > 0 })
		term.ticks("the quiet build's timer", quietTimer, 3, 10*time.Second)
		term.ticks("phase 3's timer during a quiet build", phase3Timer, 3, 10*time.Second)
		if e.journalHas(journal.KindCommandOutput, "") {
			t.Fatal("flyctl wrote output: the build was not quiet, the test proves nothing")
		}
		release()

		waitFor(t, "the stability hold", 30*time.Second, func() bool { return e.journalHas(journal.KindHold, "") })
		term.ticks("the hold's timer", holdTimer, 3, 10*time.Second)
		_, evs := e.onlyJournal()
		var machines []string
		for _, ev := range evs {
			if m, ok := ev.Data.(journal.Machine); ok && !slices.Contains(machines, m.ID) {
				machines = append(machines, m.ID)
			}
		}
		if len(machines) == 0 {
			t.Fatal("the journal names no machine")
		}
		sc := term.screen()
		for _, id := range machines {
			if !regexp.MustCompile(`(?m)^ \S  ?` + id + `\s+\S+ (image|state)`).MatchString(sc) {
				t.Errorf("the hold does not show machine %s's state at %d columns:\n%s", id, cols, sc)
			}
		}
		term.waitScreen(atEnd, 30*time.Second)
		term.keys("q")
		if code := term.exitCode(15 * time.Second); code != 0 {
			t.Errorf("the run exited %d, want 0", code)
		}
	})
}

// The interrupted scenario on a terminal: the drill stops jpops partway
// through the rollout (exit 130, the exit line naming jpops resume), and
// jpops resume on a terminal picks the simulated platform up where it was,
// says what it found, offers the deploy again behind the gate, and scores
// the drill.
func TestTUIDrillInterruptedScenario(t *testing.T) {
	eachWidth(t, func(t *testing.T, cols int) {
		e := newEnv(t)
		term := startTerm(t, e, termOpts{cols: cols, rows: 30}, "drill", "--scenario", "interrupted", "--hold", "1s")
		term.waitScreen(atGate, 30*time.Second)
		term.confirmGate()
		end := term.waitScreen(atEnd, 60*time.Second)
		path, _ := e.onlyJournal()
		incident := strings.TrimSuffix(filepath.Base(path), journal.Ext)
		if !onScreen(end, "jpops resume "+incident) {
			t.Errorf("the end screen does not name jpops resume %s:\n%s", incident, term.screen())
		}
		term.keys("q")
		if code := term.exitCode(15 * time.Second); code != 130 {
			t.Fatalf("the interrupted scenario exited %d, want 130; screen:\n%s", code, term.screen())
		}
		term.waitScreen("jpops resume "+incident, 10*time.Second)

		resume := startTerm(t, e, termOpts{cols: cols, rows: 30}, "resume", incident, "--hold", "1s")
		seen := resume.waitScreen(atGate, 60*time.Second)
		resume.confirmGate()
		seen += resume.waitScreen(atEnd, 60*time.Second)
		for _, want := range []string{"DRILL", "RECOVERED"} {
			if !onScreen(seen, want) {
				t.Errorf("the resumed drill's screens never showed %q", want)
			}
		}
		resume.keys("q")
		if code := resume.exitCode(15 * time.Second); code != 0 {
			t.Errorf("the resumed drill exited %d, want 0", code)
		}
		sc := resume.screen()
		for _, want := range []string{"1 of 2 machine(s) run the new image", "deploy again", "DRILL scorecard · scenario interrupted · RECOVERED (as expected)"} {
			if !onScreen(seen+sc, want) {
				t.Errorf("the resume never said %q:\n%s", want, sc)
			}
		}
		_, evs := e.onlyJournal()
		if n := kinds(evs)[journal.KindCommandStart]; n != 2 {
			t.Errorf("the drill deployed %d times in all, want 2 (the interrupted one and the redeploy)", n)
		}
	})
}

// retryShown is the TUI's line for a Fly API call being retried.
var retryShown = regexp.MustCompile(`↻ (list machines|get logs|get machine)[^:]*: .+; attempt \d+ of \d+ failed, (next in \S+|asking again)`)

// Retries of a flaky API show while they last, at both widths: which call,
// why, which attempt, and when the next goes. The run waits its backoff in
// real time, so each retry stays on the screen long enough to be read.
func TestTUIRetriesShow(t *testing.T) {
	eachWidth(t, func(t *testing.T, cols int) {
		e := newEnv(t)
		s := e.startSim("flaky-api")
		flyctl, _ := flyctlWrapper(t, "", "")
		args := append([]string{"run"}, deployArgs(s, deployDir(t, "entrypoint-guarded.sh"), flyctl)...)
		term := startTerm(t, e, termOpts{cols: cols, rows: 30}, args...)
		var shown string
		waitFor(t, "a retry on the screen", 60*time.Second, func() bool {
			sc := term.screen()
			// A wrapped line reads as one: join the rows of the pane.
			shown = retryShown.FindString(strings.Join(strings.Fields(strings.ReplaceAll(sc, "\n", " ")), " "))
			return shown != ""
		})
		t.Logf("at %d columns: %s", cols, shown)
		if term.waitEither(atGate, atEnd, 60*time.Second) == atGate {
			term.confirmGate()
			term.waitScreen(atEnd, 60*time.Second)
		}
		term.keys("q")
		if code := term.exitCode(15 * time.Second); code != 0 {
			t.Errorf("a run against a flaky API exited %d, want 0; screen:\n%s", code, term.screen())
		}
	})
}

// At the gate, where letters are typed into the answer, tab opens the
// detail view: the evidence and the command whole; tab closes it and the
// gate still takes the answer.
func TestTUIGateDetails(t *testing.T) {
	eachWidth(t, func(t *testing.T, cols int) {
		e := newEnv(t)
		term := startTerm(t, e, termOpts{cols: cols, rows: 30}, "drill", "--hold", "1s")
		term.waitScreen(atGate, 30*time.Second)
		term.keys("Tab")
		term.waitScreen(" details · ", 10*time.Second)
		doc := readDetails(t, term)
		for _, want := range []string{"flyctl deploy --remote-only --strategy rolling -a autonomath-api", "[entrypoint] running integrity_check on /data/autonomath.db", "HANG_CONFIRMED"} {
			if !onScreen(doc, want) {
				t.Errorf("the detail view at the gate at %d columns lacks %q:\n%s", cols, want, doc)
			}
		}
		term.keys("Tab")
		term.waitScreen(atGate, 10*time.Second)
		term.confirmGate()
		term.waitScreen(atEnd, 60*time.Second)
		term.keys("q")
		if code := term.exitCode(15 * time.Second); code != 0 {
			t.Errorf("the drill confirmed after reading the details exited %d, want 0", code)
		}
	})
}
