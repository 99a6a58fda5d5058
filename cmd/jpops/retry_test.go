//go:build unix

package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jpops-dev/jpops/internal/journal"
)

// TestAPIRetriesInPlainOutput: off a terminal, a drill against a flaky API
// prints one line per retried call (not per attempt) saying which call,
// why and when the next attempt goes, and the journal holds one note per
// phase, settle or hold saying how often; the calls the notes count are
// the lines printed.
func TestAPIRetriesInPlainOutput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.run("drill", "--yes", "--scenario", "flaky-api", "--hold", "2s")
	wantCode(t, r, 0)
	line := regexp.MustCompile(`(?m)^DRILL\t\d\d:\d\d:\d\d\t(\w+)\tretry\t(list machines|get logs) of app \S+: .+; asking again, up to \d+ attempts \(next in \S+\)$`)
	lines := line.FindAllStringSubmatch(r.stdout, -1)
	if len(lines) == 0 {
		t.Fatalf("no retry line in the plain output of a flaky API:\n%s", r.stdout)
	}
	if n := strings.Count(r.stdout, "\tretry\t"); n != len(lines) {
		t.Errorf("%d retry lines, %d of them in the expected form:\n%s", n, len(lines), r.stdout)
	}
	_, evs := e.onlyJournal()
	counted := regexp.MustCompile(`^the Fly API was retried (once|\d+ times) in (\d+) calls? during (.+) \(.+\)$`)
	calls := 0
	for _, ev := range evs {
		n, ok := ev.Data.(journal.Note)
		if !ok || !strings.Contains(n.Text, "Fly API was retried") {
			continue
		}
		m := counted.FindStringSubmatch(n.Text)
		if m == nil {
			t.Errorf("retry note in an unexpected form: %q", n.Text)
			continue
		}
		c, _ := strconv.Atoi(m[2])
		calls += c
	}
	if calls != len(lines) {
		t.Errorf("the journal counts %d retried calls, the output printed %d lines:\n%s", calls, len(lines), r.stdout)
	}
}
