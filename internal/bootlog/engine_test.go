package bootlog

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

const (
	m1 = "85e273f4a1b2c3"
	m2 = "4d89691ae65d87"
)

// L renders a flyctl text line with colours; at is minutes after 11:40.
func L(at float64, machine, msg string) string {
	t := time.Date(2026, 5, 11, 11, 40, 0, 0, time.UTC).Add(time.Duration(at * float64(time.Minute)))
	return fmt.Sprintf("\x1b[2m%s\x1b[0m app[%s] \x1b[32mnrt\x1b[0m [\x1b[34minfo\x1b[0m]%s\n", t.Format(time.RFC3339), machine, msg)
}

func at(min float64) time.Time {
	return time.Date(2026, 5, 11, 11, 40, 0, 0, time.UTC).Add(time.Duration(min * float64(time.Minute)))
}

// run feeds log through Read+Feed and through Scan, checks both agree, and
// returns the findings and attempts.
func run(t *testing.T, log string, now time.Time, hangAfter time.Duration) ([]Finding, []Finding) {
	t.Helper()
	rb := runbook.Default()
	slow := New(rb)
	slow.SetHangAfter(hangAfter)
	if _, err := Read(strings.NewReader(log), func(e Entry) error { slow.Feed(e); return nil }); err != nil {
		t.Fatal(err)
	}
	fast := New(rb)
	fast.SetHangAfter(hangAfter)
	if _, err := fast.Scan(strings.NewReader(log)); err != nil {
		t.Fatal(err)
	}
	got := slow.Findings(now)
	if fs := fast.Findings(now); !reflect.DeepEqual(got, fs) {
		t.Fatalf("Scan and Read+Feed disagree:\nScan: %+v\nRead: %+v", fs, got)
	}
	return got, slow.Attempts(now)
}

type want struct {
	machine, op, db string
	status          Status
	running         time.Duration
}

func TestEngine(t *testing.T) {
	integ := func(m string) string { return "running integrity_check on /data/autonomath.db" }
	_ = integ
	start := "running integrity_check on /data/autonomath.db"
	tests := []struct {
		name      string
		log       string
		now       time.Time
		hangAfter time.Duration
		want      []want
		verdict   verdict.Verdict
		attempts  int
	}{
		{"post-mortem: started, then nothing", string(readFixture(t, "postmortem-hang.log")), at(45), 0,
			[]want{{m1, "integrity_check", "/data/autonomath.db", Hung, 45*time.Minute - 4*time.Second}, {m1, "sha256", "/data/autonomath.db", Completed, 0}},
			verdict.HangConfirmed, 2},
		{"post-mortem: inside hang_after", string(readFixture(t, "postmortem-hang.log")), at(3), 0,
			[]want{{m1, "integrity_check", "/data/autonomath.db", Running, 3*time.Minute - 4*time.Second}, {m1, "sha256", "/data/autonomath.db", Completed, 0}},
			verdict.Inconclusive, 2},
		{"post-mortem: the fixed boot skips by size", string(readFixture(t, "postmortem-fixed.log")), at(320), 0,
			[]want{{m1, "integrity_check", "/data/autonomath.db", Completed, 0}, {m1, "sha256", "/data/autonomath.db", Completed, 0}},
			verdict.Healthy, 3},
		{"completion after hang_after, now after it", L(0, m1, start) + L(31, m1, "ok"), at(40), 0,
			[]want{{m1, "integrity_check", "/data/autonomath.db", Completed, 31 * time.Minute}}, verdict.Healthy, 1},
		{"completion after hang_after, now before it", L(0, m1, start) + L(31, m1, "ok"), at(20), 0,
			[]want{{m1, "integrity_check", "/data/autonomath.db", Hung, 20 * time.Minute}}, verdict.HangConfirmed, 1},
		{"interleaved machines", L(0, m1, start) + L(0.1, m2, start) + L(1, m2, "ok") + L(2, m1, "[info] heartbeat"), at(10), 0,
			[]want{{m2, "integrity_check", "/data/autonomath.db", Completed, 54 * time.Second}, {m1, "integrity_check", "/data/autonomath.db", Hung, 10 * time.Minute}},
			verdict.HangConfirmed, 2},
		{"restart: start again", L(0, m1, start) + L(8, m1, start), at(10), 0,
			[]want{{m1, "integrity_check", "/data/autonomath.db", Running, 2 * time.Minute}}, verdict.Inconclusive, 2},
		{"restart: boot marker interrupts", L(0, m1, start) + L(8, m1, " INFO Starting init (commit: 1)..."), at(10), 0,
			[]want{{m1, "integrity_check", "/data/autonomath.db", Interrupted, 8 * time.Minute}}, verdict.Healthy, 1},
		{"boot marker after now does not count yet", L(0, m1, start) + L(8, m1, " INFO Starting init (commit: 1)..."), at(6), 0,
			[]want{{m1, "integrity_check", "/data/autonomath.db", Hung, 6 * time.Minute}}, verdict.HangConfirmed, 1},
		{"ok completes the latest unfinished op", L(0, m1, start) + L(0.5, m1, "running quick_check on /data/jpintel.db") + L(1, m1, "  ok  "), at(10), 0,
			[]want{{m1, "integrity_check", "/data/autonomath.db", Hung, 10 * time.Minute}, {m1, "quick_check", "/data/jpintel.db", Completed, 30 * time.Second}},
			verdict.HangConfirmed, 2},
		{"integrity_check result line", L(0, m1, start) + L(1, m1, "integrity_check result: ok"), at(10), 0,
			[]want{{m1, "integrity_check", "/data/autonomath.db", Completed, time.Minute}}, verdict.Healthy, 1},
		{"trusted stamp", L(0, m1, start) + L(1, m1, "trusted stamp match, skipping"), at(10), 0,
			[]want{{m1, "integrity_check", "/data/autonomath.db", Completed, time.Minute}}, verdict.Healthy, 1},
		{"VACUUM, REINDEX, ANALYZE, sha256",
			L(0, m1, "Running VACUUM on /data/a.db...") + L(0, m1, "running reindex on /data/b.db") + L(0, m1, "running analyze on /data/c.db") +
				L(0, m1, "Computing SHA256 of /data/d.db") + L(1, m1, "VACUUM done") + L(2, m1, "ANALYZE complete") + L(3, m1, "sha256 match"),
			at(10), 0,
			[]want{{m1, "vacuum", "/data/a.db", Completed, time.Minute}, {m1, "reindex", "/data/b.db", Hung, 10 * time.Minute},
				{m1, "analyze", "/data/c.db", Completed, 2 * time.Minute}, {m1, "sha256", "/data/d.db", Completed, 3 * time.Minute}},
			verdict.HangConfirmed, 4},
		{"pasted without prefixes", "running integrity_check on /data/autonomath.db\nbuilding index\n", at(10), 0,
			[]want{{"", "integrity_check", "/data/autonomath.db", Running, 0}}, verdict.Inconclusive, 1},
		{"watchdog hang-after override", L(0, m1, start), at(2), time.Minute,
			[]want{{m1, "integrity_check", "/data/autonomath.db", Hung, 2 * time.Minute}}, verdict.HangConfirmed, 1},
		{"bare ok with nothing running", L(0, m1, "ok") + L(1, m1, "request ok"), at(10), 0, nil, verdict.Healthy, 0},
		{"noise only", L(0, m1, "GET /v1/healthz 200") + L(1, m2, "Uvicorn running on http://0.0.0.0:8080"), at(10), 0, nil, verdict.Healthy, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, attempts := run(t, tt.log, tt.now, tt.hangAfter)
			var gw []want
			for _, f := range got {
				gw = append(gw, want{f.Machine, f.Op, f.DB, f.Status, f.RunningFor})
			}
			if !reflect.DeepEqual(gw, tt.want) {
				t.Errorf("findings\n got %+v\nwant %+v", gw, tt.want)
			}
			if v := Verdict(got); v != tt.verdict {
				t.Errorf("verdict %s, want %s", v, tt.verdict)
			}
			if len(attempts) != tt.attempts {
				t.Errorf("%d attempts, want %d: %+v", len(attempts), tt.attempts, attempts)
			}
		})
	}
}

func TestFindingEvidence(t *testing.T) {
	got, attempts := run(t, string(readFixture(t, "postmortem-fixed.log")), at(320), 0)
	f := got[0]
	if f.StartLine != "" || f.CompletionLine != "size-based integrity_check skip for /data/autonomath.db (size=9722236928 >= threshold=5000000000)" ||
		!f.CompletedAt.Equal(time.Date(2026, 5, 11, 16, 48, 0, 0, time.UTC)) || f.Region != "nrt" {
		t.Errorf("fixed boot evidence: %+v", f)
	}
	var hung *Finding
	for i := range attempts {
		if attempts[i].Op == "integrity_check" && attempts[i].Status == Interrupted {
			hung = &attempts[i]
		}
	}
	if hung == nil || hung.StartLine != "running integrity_check on /data/autonomath.db" || !hung.StartedAt.Equal(at(4.0/60)) {
		t.Errorf("the wedged attempt is not kept as interrupted: %+v", attempts)
	}
}

func TestFindingsZeroNowIsEndOfLog(t *testing.T) {
	log := L(0, m1, "running integrity_check on /data/autonomath.db") + L(30, m1, "heartbeat")
	for name, feed := range map[string]func(*Engine){
		"Read+Feed": func(e *Engine) { Read(strings.NewReader(log), func(en Entry) error { e.Feed(en); return nil }) },
		"Scan":      func(e *Engine) { e.Scan(strings.NewReader(log)) },
	} {
		e := New(runbook.Default())
		feed(e)
		if fs := e.Findings(time.Time{}); len(fs) != 1 || fs[0].RunningFor != 30*time.Minute || fs[0].Status != Hung {
			t.Errorf("%s: %+v", name, fs)
		}
	}
}

func TestScanJSON(t *testing.T) {
	for _, name := range []string{"flyctl-logs.json", "logs-api-page.json"} {
		e := New(runbook.Default())
		st, err := e.Scan(bytes.NewReader(readFixture(t, name)))
		if err != nil || st.Entries != 5 {
			t.Fatalf("%s: %+v, %v", name, st, err)
		}
		fs := e.Findings(at(30))
		if len(fs) != 2 || fs[0].Machine != m2 || fs[0].Status != Completed || fs[1].Machine != m1 || fs[1].Status != Hung {
			t.Errorf("%s: %+v", name, fs)
		}
	}
}

// A long log must not grow the engine: it keeps per-machine state only.
func TestEngineStateConstant(t *testing.T) {
	rb := runbook.Default()
	e := New(rb)
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriterSize(pw, 256<<10)
		genLog(bw, 200_000)
		bw.Flush()
		pw.Close()
	}()
	var sizes []int
	n := 0
	_, err := Read(pr, func(en Entry) error {
		e.Feed(en)
		if n++; n%20_000 == 0 {
			sizes = append(sizes, e.stateSize())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every machine boots twice, at the start and half way; after that the
	// state must not move.
	last := sizes[len(sizes)-1]
	if last == 0 || last > 12*(historyPerMachine+len(rb.BootOps)) || sizes[len(sizes)/2+1] != last {
		t.Fatalf("engine state grows with the log: %v", sizes)
	}
}

func TestHistoryBounded(t *testing.T) {
	var b strings.Builder
	for i := range 100 {
		b.WriteString(L(float64(i), m1, "running integrity_check on /data/autonomath.db"))
	}
	e := New(runbook.Default())
	e.Scan(strings.NewReader(b.String()))
	if got := len(e.Attempts(at(200))); got != historyPerMachine+1 {
		t.Errorf("%d attempts kept, want %d", got, historyPerMachine+1)
	}
}

// A pattern without a required literal turns the prefilter off; Scan then
// parses every line and still finds it.
func TestScanWithoutPrefilter(t *testing.T) {
	rb := runbook.Default()
	rb.BootOps = append(rb.BootOps, runbook.BootOp{Name: "custom", Start: runbook.MustPattern(`(?:warming|priming)\s+(?P<db>\S+)`),
		Completions: []runbook.Pattern{runbook.MustPattern(`warm`)}, HangAfter: rb.BootOps[0].HangAfter})
	e := New(rb)
	if e.pf != nil {
		t.Fatal("prefilter on although a pattern has no literal")
	}
	e.Scan(strings.NewReader(L(0, m1, "priming /data/x.db")))
	if fs := e.Findings(at(10)); len(fs) != 1 || fs[0].Op != "custom" || fs[0].Status != Hung {
		t.Errorf("%+v", fs)
	}
}

// Scan and Read+Feed must find the same: the prefilter only skips lines
// that no pattern can match.
func FuzzScanAgreesWithFeed(f *testing.F) {
	f.Add(string(readFixtureF(f, "postmortem-fixed.log")), "ok")
	f.Add(string(readFixtureF(f, "flyctl-text-edges.log")), "ok")
	f.Add("running integrity_check on /d.db\n", "  ok")
	f.Add("RUNNING VACUUM ON /d.db\n", "Vacuum Done")
	f.Add("computing ſha256 of /d.db\n", "SHA256 OK")
	f.Fuzz(func(t *testing.T, log, extra string) {
		if strings.ContainsRune(log+extra, 0x1b) {
			return // documented: a colour code inside a keyword hides it from Scan
		}
		log += L(1, m1, extra)
		rb := runbook.Default()
		slow, fast := New(rb), New(rb)
		Read(strings.NewReader(log), func(e Entry) error { slow.Feed(e); return nil })
		fast.Scan(strings.NewReader(log))
		now := at(60)
		if a, b := slow.Findings(now), fast.Findings(now); !reflect.DeepEqual(a, b) {
			t.Errorf("Scan and Read+Feed disagree on %q:\nScan: %+v\nRead: %+v", log, b, a)
		}
	})
}

// TestFreshSharesPatternsNotState: a Fresh engine finds what a new one finds,
// whatever its template has been fed, and feeding it leaves the template be.
func TestFreshSharesPatternsNotState(t *testing.T) {
	rb := runbook.Default()
	t0 := time.Date(2026, 5, 11, 11, 40, 0, 0, time.UTC)
	boot := func(machine string) []Entry {
		return []Entry{
			{Time: t0, Machine: machine, Region: "nrt", Message: "[entrypoint] running integrity_check on /data/autonomath.db ..."},
		}
	}
	now := t0.Add(40 * time.Minute)

	tmpl := New(rb)
	tmpl.SetHangAfter(time.Minute)
	for _, en := range boot("85e273f4b1c638") {
		tmpl.Feed(en)
	}
	before := tmpl.Findings(now)

	fresh, plain := tmpl.Fresh(), New(rb)
	plain.SetHangAfter(time.Minute)
	if got := fresh.Findings(now); len(got) != 0 {
		t.Fatalf("a fresh engine starts with the template's findings: %+v", got)
	}
	for _, en := range boot("d8d2e1a7c40958") {
		fresh.Feed(en)
		plain.Feed(en)
	}
	if got, want := fresh.Findings(now), plain.Findings(now); !reflect.DeepEqual(got, want) || len(want) == 0 {
		t.Errorf("fresh engine found %+v, a new one %+v", got, want)
	}
	if after := tmpl.Findings(now); !reflect.DeepEqual(after, before) {
		t.Errorf("feeding the fresh engine changed the template's findings: %+v, was %+v", after, before)
	}
}

// BenchmarkEngineForMachine: what diagnose pays per machine it reads, a
// new engine against a Fresh copy of one.
func BenchmarkEngineForMachine(b *testing.B) {
	rb := runbook.Default()
	b.Run("New", func(b *testing.B) {
		for b.Loop() {
			New(rb)
		}
	})
	tmpl := New(rb)
	b.Run("Fresh", func(b *testing.B) {
		for b.Loop() {
			tmpl.Fresh()
		}
	})
}
