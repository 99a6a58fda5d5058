//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/jpops-dev/jpops/internal/flysim"
	"github.com/jpops-dev/jpops/internal/journal"
)

func TestRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		code     int
		verdict  string
		deploys  int // command_start events
	}{
		{"db-boot-hang", 0, "RECOVERED", 1},
		{"deploy-fails", 20, "ESCAPE_FAILED", 1},
		{"fix-missing", 30, "SMOKE_FAILED", 1},
		{"other-failure", 12, "NOT_THIS_INCIDENT", 0},
		{"healthy", 0, "HEALTHY", 0},
	}
	for _, tt := range tests {
		for _, jsonOut := range []bool{false, true} {
			name := tt.scenario
			if jsonOut {
				name += "/json"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t)
				s := e.startSim(tt.scenario)
				flyctl, pidfile := flyctlWrapper(t, "", "")
				args := append([]string{"run", "--yes"}, deployArgs(s, deployDir(t, "entrypoint-guarded.sh"), flyctl)...)
				if jsonOut {
					args = append(args, "--json")
				}
				r := e.run(args...)
				wantCode(t, r, tt.code)
				path, evs := e.onlyJournal()
				if got := finalVerdict(t, evs); got != tt.verdict {
					t.Errorf("journal verdict %s, want %s", got, tt.verdict)
				}
				if n := kinds(evs)[journal.KindCommandStart]; n != tt.deploys {
					t.Errorf("%d command_start events, want %d", n, tt.deploys)
				}
				if ran := readPid(pidfile) > 0; ran != (tt.deploys > 0) {
					t.Errorf("flyctl ran: %v, want %v", ran, tt.deploys > 0)
				}
				if jsonOut {
					checkNDJSON(t, r.stdout, tt.verdict)
				} else {
					wantIn(t, "stdout", r.stdout, tt.verdict)
					wantIn(t, "stderr", r.stderr, "verdict "+tt.verdict, path)
				}
			})
		}
	}
}

// checkNDJSON asserts run --json's stream: every line an event, seq rising,
// the incident's frame present and the verdict the one wanted.
func checkNDJSON(t *testing.T, out, verdict string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	seq, n := 0, 0
	seen := map[string]bool{}
	var lastVerdict string
	for sc.Scan() {
		n++
		var ev journal.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("NDJSON line %d does not decode: %v: %q", n, err, sc.Text())
		}
		if ev.Seq <= seq {
			t.Errorf("line %d: seq %d after %d", n, ev.Seq, seq)
		}
		seq = ev.Seq
		if ev.Incident == "" || ev.TS.IsZero() || ev.Mode != journal.ModeLive {
			t.Errorf("line %d misses incident, ts or mode live: %s", n, sc.Text())
		}
		seen[ev.Kind] = true
		if ev.Kind == journal.KindIncidentEnd {
			lastVerdict = string(data[journal.IncidentEnd](ev).Verdict)
		}
	}
	for _, k := range []string{journal.KindIncidentStart, journal.KindVerdict, journal.KindIncidentEnd} {
		if !seen[k] {
			t.Errorf("no %s event in the NDJSON stream", k)
		}
	}
	if lastVerdict != verdict {
		t.Errorf("NDJSON incident_end verdict %q, want %q", lastVerdict, verdict)
	}
}

func TestRunDryRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.startSim("db-boot-hang")
	flyctl, pidfile := flyctlWrapper(t, "", "")
	r := e.run(append([]string{"run", "--dry-run"}, deployArgs(s, deployDir(t, "entrypoint-guarded.sh"), flyctl)...)...)
	// A dry run stops at the diagnosis: its verdict is the exit code.
	wantCode(t, r, 10)
	wantIn(t, "stdout", r.stdout, "flyctl deploy --remote-only --strategy rolling -a autonomath-api", "HANG_CONFIRMED")
	_, evs := e.onlyJournal()
	if evs[0].Mode != journal.ModeDryRun {
		t.Errorf("journal mode %q, want dry-run", evs[0].Mode)
	}
	if n := kinds(evs)[journal.KindCommandStart]; n != 0 {
		t.Errorf("a dry run started %d commands", n)
	}
	if readPid(pidfile) != 0 {
		t.Error("a dry run ran flyctl")
	}
	// The platform is untouched: still wedged.
	if r := e.run("diagnose", "-a", "autonomath-api"); r.code != 10 {
		t.Errorf("after a dry run the app should still be wedged:\n%s", r)
	}
}

func TestRunRefusesUnguardedBootScript(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.startSim("db-boot-hang")
	flyctl, pidfile := flyctlWrapper(t, "", "")
	r := e.run(append([]string{"run", "--yes"}, deployArgs(s, deployDir(t, "entrypoint-unguarded.sh"), flyctl)...)...)
	wantCode(t, r, 20)
	wantIn(t, "output", r.stdout+r.stderr, "ESCAPE_FAILED", "entrypoint.sh", "integrity_check", "jpops audit")
	_, evs := e.onlyJournal()
	var found bool
	for _, ev := range evs {
		if d := data[journal.Precondition](ev); d.Name == "boot_script" && !d.OK {
			found = d.Findings != nil
		}
	}
	if !found {
		t.Error("the journal has no failed boot_script precondition with findings")
	}
	if readPid(pidfile) != 0 || kinds(evs)[journal.KindCommandStart] != 0 {
		t.Error("flyctl ran although the boot script re-arms the trap")
	}
}

func TestRunForce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		scenario string
		faults   *flysim.Faults
		code     int
		deploys  int
	}{
		// The logs API is down: the hang cannot be confirmed, --force deploys anyway.
		{"inconclusive", "db-boot-hang", &flysim.Faults{LogsDown: true, PathPrefix: "/api/v1/"}, 0, 1},
		// Nothing to escape from: --force is on record but nothing deploys.
		{"healthy", "healthy", nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			s := e.startSim(tt.scenario)
			if tt.faults != nil {
				s.SetFaults(*tt.faults)
			}
			flyctl, _ := flyctlWrapper(t, "", "")
			r := e.run(append([]string{"run", "--yes", "--force"}, deployArgs(s, deployDir(t, "entrypoint-guarded.sh"), flyctl)...)...)
			wantCode(t, r, tt.code)
			_, evs := e.onlyJournal()
			start := evs[0]
			if start.Kind != journal.KindIncidentStart || !data[journal.IncidentStart](start).Force {
				t.Errorf("incident_start does not record --force: %+v", start)
			}
			if n := kinds(evs)[journal.KindCommandStart]; n != tt.deploys {
				t.Errorf("%d deploys, want %d:\n%s", n, tt.deploys, r)
			}
			if tt.deploys == 0 {
				return
			}
			forced := false
			for _, ev := range evs {
				if d := data[journal.Precondition](ev); d.Name == "verdict" && d.Forced && d.ConfirmedBy == "--force" {
					forced = true
				}
			}
			if !forced {
				t.Errorf("no verdict precondition forced by --force in the journal:\n%s", r)
			}
		})
	}
}

func TestRunNDJSONMatchesJournal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := e.startSim("db-boot-hang")
	flyctl, _ := flyctlWrapper(t, "", "")
	r := e.run(append([]string{"run", "--yes", "--json"}, deployArgs(s, deployDir(t, "entrypoint-guarded.sh"), flyctl)...)...)
	wantCode(t, r, 0)
	path, _ := e.onlyJournal()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Count(r.stdout, "\n"), strings.Count(string(body), "\n"); got != want {
		t.Errorf("--json printed %d events, the journal holds %d", got, want)
	}
}
