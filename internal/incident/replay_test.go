package incident_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/incident"
	"github.com/jpops-dev/jpops/internal/journal"
)

// The replay's journal (recorded: the watchdog pages, the walk answers)
// gives every moment of the scorecard, in the order the outage ran.
func TestReplayMoments(t *testing.T) {
	events, err := journal.Read(filepath.Join(recordedDir, "replay-2026-05-11"+journal.Ext))
	if err != nil {
		t.Fatal(err)
	}
	v := incident.Reduce(events)
	m := v.Metrics()
	if len(v.Pages) < 1 || v.Pages[0].Data.By != "jpops watch" || len(v.Pages[0].Data.Machines) == 0 {
		t.Fatalf("pages = %+v, want the watchdog's, naming machines", v.Pages)
	}
	if !m.Detected.Equal(v.Pages[0].TS) {
		t.Errorf("detected %v, want the first page's %v", m.Detected, v.Pages[0].TS)
	}
	order := []struct {
		name string
		at   time.Time
	}{
		{"onset", m.Onset}, {"detected", m.Detected}, {"diagnosed", m.Diagnosed}, {"decided", m.Decided},
		{"built", m.Built}, {"healthy", m.Healthy}, {"deployed", m.Deployed}, {"hold start", m.HoldStart}, {"verified", m.Verified},
	}
	for i, o := range order {
		if o.at.IsZero() {
			t.Errorf("%s: no moment", o.name)
			continue
		}
		if i > 0 && o.at.Before(order[i-1].at) {
			t.Errorf("%s at %v is before %s at %v", o.name, o.at, order[i-1].name, order[i-1].at)
		}
	}
	if got := m.Onset.UTC().Format("15:04"); got != "11:39" && got != "11:40" {
		t.Errorf("onset %v, want about 11:40, when 85e273f4 booted", m.Onset)
	}
	if m.DeployS < 15*time.Minute || m.DeployS > 20*time.Minute {
		t.Errorf("deploy took %v, want the 15-minute build and a short rollout", m.DeployS)
	}
	if m.HoldS != 5*time.Minute || m.Verified.Sub(m.HoldStart) < 5*time.Minute {
		t.Errorf("hold %v from %v to %v, want 5m met", m.HoldS, m.HoldStart, m.Verified)
	}
	// A hang is proved only past hang_after: the walk answers a page after it.
	if m.Diagnosed.Sub(m.Onset) < 5*time.Minute {
		t.Errorf("diagnosed %v after onset, before the 5-minute hang_after", m.Diagnosed.Sub(m.Onset))
	}
}
