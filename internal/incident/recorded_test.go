package incident_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/incident"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/verdict"
)

func readRecorded(t *testing.T, name string) []journal.Event {
	t.Helper()
	events, err := journal.Read(filepath.Join(recordedDir, name+journal.Ext))
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// TestViewOfRecordedDrills: what the view makes of each recorded drill.
func TestViewOfRecordedDrills(t *testing.T) {
	who := func(v *incident.View, kind string) []string {
		var out []string
		for _, m := range v.Timeline {
			if m.Data.Kind() == kind {
				out = append(out, m.Who)
			}
		}
		return out
	}
	tests := []struct {
		name  string
		check func(t *testing.T, v *incident.View, events []journal.Event)
	}{
		{"db-boot-hang", func(t *testing.T, v *incident.View, _ []journal.Event) {
			if v.Final != verdict.Recovered || !v.Hold.Met || v.Hold.HeldS != 300 || !v.Deployed() || !v.Verified() {
				t.Errorf("final %s hold %+v deployed %v verified %v", v.Final, v.Hold, v.Deployed(), v.Verified())
			}
			if got := who(v, journal.KindGate); len(got) != 1 || got[0] != incident.ByOperator {
				t.Errorf("gate credited to %v, want the operator", got)
			}
			if m := v.Metrics(); m.TimeToDiagnose <= 0 || m.TimeToDeploy <= m.TimeToDiagnose || m.TimeToVerify <= m.TimeToDeploy || m.Onset.After(m.Start) {
				t.Errorf("metrics out of order: %+v", m)
			}
		}},
		{"hold-resumed", func(t *testing.T, v *incident.View, _ []journal.Event) {
			if v.Resumes != 1 || v.Hold.Starts != 2 || !v.Hold.Met || v.Hold.HeldS != 20 || v.HoldAsked() != 5*time.Minute {
				t.Errorf("resumes %d hold %+v asked %v: want the 20s hold met after a resume", v.Resumes, v.Hold, v.HoldAsked())
			}
		}},
		{"deploy-interrupted", func(t *testing.T, v *incident.View, events []journal.Event) {
			if len(v.Commands) != 2 {
				t.Fatalf("%d commands, want the interrupted deploy and the one after the resume", len(v.Commands))
			}
			first := v.Commands[0]
			if !first.Exit.Interrupted || first.Exit.Code != 127 || !strings.Contains(first.Ended(), "interrupted") {
				t.Errorf("first deploy ended %+v (%s), want interrupted, then 127", first.Exit, first.Ended())
			}
			var raw int
			for _, e := range events {
				if ev, ok := e.Data.(journal.Evidence); ok && !ev.Completed() {
					raw++
				}
			}
			seen := map[string]bool{}
			for _, e := range v.Evidence {
				key := e.Data.Machine + e.Data.Timestamp + e.Data.Line
				if seen[key] {
					t.Errorf("boot-log line twice: %+v", e.Data)
				}
				seen[key] = true
			}
			if raw <= len(v.Evidence) {
				t.Errorf("%d evidence events, %d kept: the resumed walk should have read the logs again", raw, len(v.Evidence))
			}
		}},
		{"fix-missing", func(t *testing.T, v *incident.View, _ []journal.Event) {
			if v.Final != verdict.SmokeFailed || !v.Deployed() || v.Verified() || len(v.SmokeFail) == 0 {
				t.Errorf("final %s deployed %v verified %v smoke fails %d", v.Final, v.Deployed(), v.Verified(), len(v.SmokeFail))
			}
		}},
		{"deploy-fails", func(t *testing.T, v *incident.View, _ []journal.Event) {
			if d := v.Deploy(); d == nil || !d.Exited || d.Exit.Code == 0 || v.Deployed() || v.Final != verdict.EscapeFailed {
				t.Errorf("deploy %+v final %s", d, v.Final)
			}
		}},
		{"gate-refused", func(t *testing.T, v *incident.View, _ []journal.Event) {
			if got := who(v, journal.KindAbort); len(got) != 1 || got[0] != incident.ByOperator {
				t.Errorf("abort credited to %v, want the operator who refused the gate", got)
			}
		}},
		{"no-terminal", func(t *testing.T, v *incident.View, _ []journal.Event) {
			if got := who(v, journal.KindGate); len(got) != 1 || got[0] != incident.ByNoTerminal {
				t.Errorf("gate credited to %v, want jpops with no one to ask", got)
			}
		}},
		{"dry-run", func(t *testing.T, v *incident.View, _ []journal.Event) {
			if v.Mode != journal.ModeDryRun || v.Deploy() != nil {
				t.Errorf("mode %s deploy %+v", v.Mode, v.Deploy())
			}
		}},
		{"healthy", func(t *testing.T, v *incident.View, _ []journal.Event) {
			if v.Final != verdict.Healthy || len(v.Evidence) != 0 || len(v.Signature) != 0 {
				t.Errorf("final %s evidence %d signature %d", v.Final, len(v.Evidence), len(v.Signature))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := readRecorded(t, tt.name)
			v := incident.Reduce(events)
			tt.check(t, v, events)
			for _, who := range who(v, journal.KindNote) {
				if who == incident.ByOperator {
					t.Error("a note of jpops's credited to the operator")
				}
			}
		})
	}
}

// TestReduceIsIncremental: a view fed event by event (as the TUI does) is
// the view of the whole stream, and reducing twice gives the same view.
func TestReduceIsIncremental(t *testing.T) {
	for _, name := range []string{"db-boot-hang", "deploy-interrupted", "hold-resumed"} {
		events := readRecorded(t, name)
		whole := incident.Reduce(events)
		step := incident.Reduce(events[:len(events)/2])
		for _, e := range events[len(events)/2:] {
			step.Apply(e)
		}
		if !reflect.DeepEqual(whole, step) || !reflect.DeepEqual(whole, incident.Reduce(events)) {
			t.Errorf("%s: the view depends on how the events were fed", name)
		}
	}
}
