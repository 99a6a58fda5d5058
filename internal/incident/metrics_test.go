package incident

import (
	"strings"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
)

func TestMeasure(t *testing.T) {
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	tests := []struct {
		name   string
		events []journal.Event
		check  func(t *testing.T, m Metrics)
	}{
		{"empty", nil, func(t *testing.T, m Metrics) {
			if !m.Start.IsZero() || m.Downtime != 0 || m.GatesTaken != 0 || m.WrongTurns != 0 {
				t.Errorf("Reduce(nil).Metrics() = %+v, want zero", m)
			}
		}},
		{"recovered", join(start, diagnosed, deployed, fullHold, finished), func(t *testing.T, m Metrics) {
			// since_s 2400 on the machine event at t0+2s puts the onset 40m before it.
			if want := t0.Add(sec(2) - 40*time.Minute); !m.Onset.Equal(want) {
				t.Errorf("onset = %v, want %v", m.Onset, want)
			}
			if m.TimeToDiagnose != sec(5) || m.TimeToDeploy != sec(11) || m.TimeToVerify != sec(16) {
				t.Errorf("TTD %v TTM %v TTV %v; want 5s 11s 16s", m.TimeToDiagnose, m.TimeToDeploy, m.TimeToVerify)
			}
			if want := 40*time.Minute + sec(14); m.Downtime != want {
				t.Errorf("downtime = %v, want %v", m.Downtime, want)
			}
			if m.GatesTaken != 1 || m.WrongTurns != 0 {
				t.Errorf("gates %d wrong turns %d", m.GatesTaken, m.WrongTurns)
			}
		}},
		{"evidence timestamp earlier than the machine", join(start,
			ev("bootlogs", journal.KindEvidence, "timestamp", "2026-05-11T11:40:12Z", "op", "integrity_check"),
			ev("smoke", journal.KindEvidence, "timestamp", "2026-05-11T09:00:00Z", "status", "completed"),
			finished), func(t *testing.T, m Metrics) {
			if want := time.Date(2026, 5, 11, 11, 40, 12, 0, time.UTC); !m.Onset.Equal(want) {
				t.Errorf("onset = %v, want the first uncompleted evidence %v", m.Onset, want)
			}
			if m.Verified.IsZero() || m.TimeToDiagnose != 0 || m.TimeToDeploy != 0 {
				t.Errorf("verified %v TTD %v TTM %v", m.Verified, m.TimeToDiagnose, m.TimeToDeploy)
			}
		}},
		{"never verified", join(start, diagnosed, ev("escape", journal.KindCommandExit, "code", 1.0),
			ev(journal.PhaseIncident, journal.KindIncidentEnd, "verdict", "ESCAPE_FAILED", "exit_code", 20.0)), func(t *testing.T, m Metrics) {
			if !m.Deployed.IsZero() || !m.Verified.IsZero() {
				t.Errorf("mitigated %v verified %v, want neither", m.Deployed, m.Verified)
			}
			if want := m.End.Sub(m.Onset); m.Downtime != want || want <= 40*time.Minute {
				t.Errorf("downtime = %v, want onset to end %v", m.Downtime, want)
			}
		}},
		{"smoke phase passed counts as verified", join(start, ev("smoke", journal.KindPhaseEnd, "status", "passed")), func(t *testing.T, m Metrics) {
			if m.TimeToVerify != sec(1) {
				t.Errorf("TTV = %v, want 1s", m.TimeToVerify)
			}
		}},
		{"wrong turns", join(start,
			ev("escape", journal.KindGate, "command", "flyctl deploy", "confirmed_by", "operator", "ok", false),
			ev("escape", journal.KindPrecondition, "name", "verdict", "ok", false, "confirmed_by", "--force"),
			ev("escape", journal.KindPrecondition, "name", "audit", "ok", false, "forced", true),
			ev("escape", journal.KindGate, "command", "flyctl deploy", "confirmed_by", "--force", "ok", true),
			ev("escape", journal.KindGate, "command", "flyctl deploy", "confirmed_by", "--yes", "ok", true),
			ev("escape", journal.KindAbort, "reason", "operator declined")), func(t *testing.T, m Metrics) {
			if m.GatesTaken != 2 || m.WrongTurns != 5 {
				t.Errorf("gates %d wrong turns %d (%v); want 2 and 5", m.GatesTaken, m.WrongTurns, m.WrongTurnReasons)
			}
			got := strings.Join(m.WrongTurnReasons, "; ")
			for _, want := range []string{"gate refused: flyctl deploy", "forced past precondition: verdict", "forced past precondition: audit", "forced past gate: flyctl deploy", "aborted: operator declined"} {
				if !strings.Contains(got, want) {
					t.Errorf("reasons %q miss %q", got, want)
				}
			}
		}},
		{"one refusal, one wrong turn", join(start,
			ev("escape", journal.KindGate, "command", "flyctl deploy", "confirmed_by", "operator", "ok", false),
			ev("escape", journal.KindAbort, "reason", "the operator refused the escape deploy at the gate")), func(t *testing.T, m Metrics) {
			if m.WrongTurns != 1 || m.WrongTurnReasons[0] != "gate refused: flyctl deploy" {
				t.Errorf("wrong turns %d (%v), want the refusal once", m.WrongTurns, m.WrongTurnReasons)
			}
		}},
		{"typed data from Append", script(
			journal.New(journal.PhaseIncident, journal.IncidentStart{}),
			journal.New("diagnose", journal.Machine{SinceS: 60, Signature: true}),
			journal.New("escape", journal.CommandExit{Code: 0}),
		), func(t *testing.T, m Metrics) {
			if m.Onset != t0.Add(sec(1)-time.Minute) || m.Deployed.IsZero() {
				t.Errorf("int-typed data ignored: onset %v mitigated %v", m.Onset, m.Deployed)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, Reduce(tt.events).Metrics()) })
	}
}
