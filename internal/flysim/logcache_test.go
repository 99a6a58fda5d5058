package flysim

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// Every logs page served from the cached boot logs is the page the
// definition gives (every line built from the boots, sorted, filtered, the
// first 100): for every scenario, a grown fleet, app-wide, by machine and by
// region, at cursors walked page by page and at random ones, as the clock
// moves on (so the cache grows) and after a deploy adds boots and an
// interrupt takes them back (so it is rebuilt).
func TestLogPagesMatchDefinition(t *testing.T) {
	for _, sc := range Scenarios() {
		t.Run(sc, func(t *testing.T) {
			s, err := New(Options{Scenario: sc, Token: testToken})
			if err != nil {
				t.Fatal(err)
			}
			s.Grow(8)
			rng := rand.New(rand.NewPCG(1, uint64(len(sc))))
			check := func(stage string) {
				t.Helper()
				s.mu.Lock()
				defer s.mu.Unlock()
				now := s.clock.Now()
				queries := [][2]string{{"", ""}, {s.machines[0].id, ""}, {s.machines[len(s.machines)-1].id, ""}, {"", s.machines[0].region}}
				for _, q := range queries {
					// Walk forward page by page from 24 h back, as a reader does.
					from := now.Add(-24 * time.Hour)
					for page := 0; ; page++ {
						got := s.logsPage(from, now, q[0], q[1], logsPage)
						want := definitionPage(s, from, now, q[0], q[1])
						samePage(t, fmt.Sprintf("%s, instance %q region %q, page %d", stage, q[0], q[1], page), got, want)
						if len(want) < logsPage || page > 15 {
							break
						}
						from = want[len(want)-1].ts
					}
					// And from cursors anywhere in the last hour.
					for range 3 {
						from := now.Add(-time.Duration(rng.Int64N(int64(time.Hour))))
						samePage(t, fmt.Sprintf("%s, instance %q region %q, from %s", stage, q[0], q[1], from), s.logsPage(from, now, q[0], q[1], logsPage), definitionPage(s, from, now, q[0], q[1]))
					}
				}
			}
			check("at start")
			s.clock.Advance(3 * time.Minute)
			check("3 min later")
			s.clock.Advance(2 * cacheAhead)
			check("past the cached horizon")
			s.mu.Lock()
			d, err := s.newDeploy(s.clock.Now(), OutcomeFixed, "")
			s.mu.Unlock()
			if err != nil {
				t.Fatal(err)
			}
			s.clock.Advance(d.buildFor + 2*time.Minute)
			check("during a deploy")
			s.mu.Lock()
			s.cancel(d, s.clock.Now())
			s.mu.Unlock()
			check("after the deploy was interrupted")
			s.clock.Advance(time.Hour)
			check("an hour later")
		})
	}
}

// definitionPage is a logs page as logsBetween defines it.
func definitionPage(s *Server, from, to time.Time, instance, region string) []logEntry {
	var out []logEntry
	for _, e := range s.logsBetween(from, to, instance) {
		if (instance != "" && e.instance != instance) || (region != "" && e.region != region) {
			continue
		}
		out = append(out, e)
		if len(out) == logsPage {
			break
		}
	}
	return out
}

func samePage(t *testing.T, what string, got, want []logEntry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d lines, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: line %d is %+v, want %+v", what, i, got[i], want[i])
		}
	}
}
