package postmortem

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/journal/journaltest"
	"github.com/jpops-dev/jpops/internal/redact"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// recorded are the journals recorded from drills (see internal/incident:
// `go generate ./internal/incident` records them and rewrites these goldens).
const recorded = "../incident/testdata/recorded"

func readRecorded(t *testing.T, name string) []journal.Event {
	t.Helper()
	events, err := journal.Read(filepath.Join(recorded, name+journal.Ext))
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// TestPostmortemGolden renders the draft of every recorded drill.
func TestPostmortemGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(recorded, "*"+journal.Ext))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded journals in %s: %v", recorded, err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), journal.Ext)
		t.Run(name, func(t *testing.T) {
			events := readRecorded(t, name)
			got := Render(events, Options{Redactor: redact.New()})
			golden := filepath.Join("testdata", name+".golden.md")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -run TestPostmortemGolden -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("post-mortem differs from %s (rerun with -update if intended):\n%s", golden, got)
			}
			if again := Render(events, Options{Redactor: redact.New()}); again != got {
				t.Error("two renders of the same events differ")
			}
		})
	}
}

func TestPostmortemSections(t *testing.T) {
	got := Render(readRecorded(t, "db-boot-hang"), Options{})
	for _, want := range []string{
		"# 2026-05-11 autonomath-api integrity_check boot hang outage post-mortem (draft)",
		"> **Drill.**",
		"## TL;DR", "## Timeline (UTC)", "| Time UTC | Event | Source |", "## Detection", "## Mitigation",
		"## Impact", "## Root cause", "## Action items", "| ID | Action | Owner | Status |",
		"| 11:40 | Machine 85e273f4b1c638 logs `[entrypoint] running integrity_check on /data/autonomath.db ...` | logs API |",
		"confirmed by the operator, typing `autonomath-api` | operator |",
		"flyctl deploy --remote-only --strategy rolling -a autonomath-api\n# exit 0 at",
		"- Resolution: `flyctl deploy --remote-only --strategy rolling -a autonomath-api` exited 0",
		"the stability hold of 5m was met",
		"`jpops audit`", "`jpops watch -a autonomath-api`", "`jpops drill`",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("post-mortem misses %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "==> Building image") {
		t.Error("timeline lists ordinary command output lines")
	}
}

// TestPostmortemStatesWhatTheJournalShows reads drills that went wrong in
// the ways the draft once misreported.
func TestPostmortemStatesWhatTheJournalShows(t *testing.T) {
	tests := []struct {
		journal       string
		want, notWant []string
	}{
		// Stopped 1m30s into a 5-minute hold, resumed with --hold 20s.
		{"hold-resumed",
			[]string{"| Stability hold of 5m started | smoke walk |", "| Stability hold of 20s started | smoke walk |", "| Stability hold of 20s met | smoke walk |", "the stability hold of 20s was met"},
			[]string{"hold of 5m was met", "Stability hold of 5m met"}},
		// Ctrl-C while flyctl deployed: flyctl answers an interrupt with 127.
		{"deploy-interrupted",
			[]string{"`flyctl` was interrupted and then exited 127", "# was interrupted and then exited 127 at"},
			[]string{"`flyctl` exited 127", "# exit 127"}},
		// The fix was not in the image: the deploy ran and did not verify.
		{"fix-missing",
			[]string{"- Attempted fix: `flyctl deploy", "the deploy did not verify", "Outcome: **SMOKE_FAILED**", "to deploy (unverified):", "never verified"},
			[]string{"mitigat", "- Resolution:", "verified incl."}},
		{"gate-refused",
			[]string{"Gate: refused `flyctl deploy --remote-only --strategy rolling -a autonomath-api` | operator |", "| Aborted: the operator refused the escape deploy at the gate | operator |"},
			nil},
		{"no-terminal",
			[]string{"| jpops (no terminal, no --yes) |"},
			[]string{"| operator |"}},
		{"db-boot-hang",
			[]string{"| Note: verifying every machine runs"},
			[]string{"Attempted fix", "did not verify"}},
		// A false alarm: no outage, no downtime, nothing "before the deploy".
		{"healthy",
			[]string{"jpops found autonomath-api healthy", "No downtime recorded.", "Downtime: none recorded", "when diagnosed"},
			[]string{"was down for", "Downtime ~", "before the deploy", "jpops smoke"}},
		// A crash loop, not this incident: the cause is the verdict's, and
		// the downtime only a lower bound (nothing shows when it began).
		{"other-failure",
			[]string{"not with the boot-hang signature", "down for at least ~", "start unknown"},
			[]string{"never passed their health checks", "before the deploy"}},
	}
	for _, tt := range tests {
		t.Run(tt.journal, func(t *testing.T) {
			got := Render(readRecorded(t, tt.journal), Options{})
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("draft misses %q:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("draft says %q:\n%s", w, got)
				}
			}
		})
	}
}

// TestPostmortemCreditsJpopsNotes: jpops's own notes are not the operator's.
func TestPostmortemCreditsJpopsNotes(t *testing.T) {
	for _, name := range []string{"db-boot-hang", "hold-resumed", "deploy-interrupted"} {
		for _, line := range strings.Split(Render(readRecorded(t, name), Options{}), "\n") {
			if strings.Contains(line, "| Note: ") && !strings.HasSuffix(line, "| jpops |") {
				t.Errorf("%s: note credited to another than jpops: %s", name, line)
			}
		}
	}
}

// TestPostmortemEachLineOnce: a resumed walk reads the boot logs again;
// each line is shown once, in the timeline, the detection and the root cause.
func TestPostmortemEachLineOnce(t *testing.T) {
	events := readRecorded(t, "deploy-interrupted")
	var evidence int
	for _, e := range events {
		if _, ok := e.Data.(journal.Evidence); ok {
			evidence++
		}
	}
	got := Render(events, Options{})
	seen := map[string]int{}
	for _, line := range strings.Split(got, "\n") {
		if strings.Contains(line, " logs `") || strings.HasPrefix(line, "- Boot log of machine") || strings.Contains(line, " [entrypoint] ") {
			seen[line]++
		}
	}
	if len(seen) == 0 || evidence <= len(seen)/2 {
		t.Fatalf("the drill should read its boot logs twice: %d evidence events, %d lines shown", evidence, len(seen))
	}
	for line, n := range seen {
		if n > 1 {
			t.Errorf("shown %d times: %s", n, line)
		}
	}
}

func TestPostmortemVariants(t *testing.T) {
	drill := join(start, diagnosed, ev("escape", journal.KindCommandExit, "code", 0.0, "image", "registry.fly.io/autonomath-api:new"),
		ev("escape", journal.KindPhaseEnd, "status", "passed"),
		ev("smoke", journal.KindSmokeResult, "machine", "85e273f4a1b2c3", "check", "request", "request", "GET /v1/healthz", "status", 503.0, "ok", false, "detail", "no healthy candidate"),
		ev("smoke", journal.KindNote, "text", "pasted FLY_API_TOKEN=FlyV1 fm2_lJPECAAAAAAAAMZ4xBAaY2Fr by mistake"),
		ev("smoke", journal.KindPhaseEnd, "status", "failed"),
		ev(journal.PhaseIncident, journal.KindIncidentEnd, "verdict", "SMOKE_FAILED", "exit_code", 30.0))
	for i := range drill {
		drill[i].Mode = journal.ModeDrill
	}
	got := Render(drill, Options{})
	for _, want := range []string{
		"> **Drill.**",
		"Outcome: **SMOKE_FAILED**",
		"Smoke walk failed (1 failed checks",
		"Machine 85e273f4a1b2c3 failed the request check: no healthy candidate",
		"Find why the incident ended SMOKE_FAILED",
		"[REDACTED]",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("drill post-mortem misses %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "fm2_") {
		t.Error("a token reached the post-mortem")
	}

	secret := "hunter2-telegram-bot-secret"
	withSecret := join(start, ev(journal.PhaseIncident, journal.KindNote, "text", "bot token "+secret))
	if out := Render(withSecret, Options{Redactor: redact.New(secret)}); strings.Contains(out, secret) {
		t.Error("a secret value passed to the Redactor reached the post-mortem")
	}

	if out := Render(nil, Options{}); !strings.Contains(out, "## Timeline (UTC)") || !strings.Contains(out, "No command was run.") || !strings.HasPrefix(out, "# undated") {
		t.Errorf("empty journal renders no skeleton:\n%s", out)
	}

	pipes := join(start, ev(journal.PhaseIncident, journal.KindAbort, "reason", "a|b\nc"))
	if out := Render(pipes, Options{}); !strings.Contains(out, `Aborted: a\|b c |`) {
		t.Errorf("table cell not escaped:\n%s", out)
	}
}

func TestDur(t *testing.T) {
	for _, tt := range []struct {
		secs float64
		want string
	}{{0, "n/a"}, {45, "45s"}, {60, "1m"}, {583, "9m43s"}, {18720, "5h12m"}} {
		if got := dur(secs(tt.secs)); got != tt.want {
			t.Errorf("dur(%vs) = %q, want %q", tt.secs, got, tt.want)
		}
	}
}

// The events of these tests are built by journaltest, as incident's are.
var (
	ev   = journaltest.Ev
	join = journaltest.Join
)

var (
	start     = ev(journal.PhaseIncident, journal.KindIncidentStart, "app", "autonomath-api", "runbook", "db-boot-hang", "hold_s", 300.0)
	diagnosed = journaltest.Diagnosed()
)
