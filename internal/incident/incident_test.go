package incident

import (
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/journal/journaltest"
)

// The events of these tests are built by journaltest, as postmortem's are.
var (
	t0     = journaltest.T0
	script = journaltest.Script
	ev     = journaltest.Ev
	join   = journaltest.Join
)

var (
	start = ev(journal.PhaseIncident, journal.KindIncidentStart, "app", "autonomath-api", "runbook", "db-boot-hang", "dir", "deploy",
		"hold_s", 300.0, "interval_s", 10.0, "smoke_url", "https://autonomath-api.fly.dev", "flyctl", "flyctl")
	diagnosed = journaltest.Diagnosed()
	deployed  = []journal.Event{
		ev("escape", journal.KindCommandOutput, "line", "image: registry.fly.io/autonomath-api:new"),
		ev("escape", journal.KindCommandExit, "code", 0.0, "image", "registry.fly.io/autonomath-api:new", "digest", "sha256:9f2e"),
		ev("escape", journal.KindPhaseEnd, "status", "passed"),
		ev("smoke", journal.KindPhaseStart),
		ev("smoke", journal.KindMachine, "id", "85e273f4a1b2c3", "image", "registry.fly.io/autonomath-api:new"),
	}
	halfHold = ev("smoke", journal.KindHold, "elapsed_s", 150.0, "remaining_s", 150.0, "hold_s", 300.0)
	fullHold = ev("smoke", journal.KindHold, "elapsed_s", 300.0, "remaining_s", 0.0, "hold_s", 300.0)
	finished = []journal.Event{
		ev("smoke", journal.KindPhaseEnd, "status", "passed"),
		ev(journal.PhaseIncident, journal.KindIncidentEnd, "verdict", "RECOVERED", "exit_code", 0.0),
	}
)

func TestReduce(t *testing.T) {
	tests := []struct {
		name   string
		events []journal.Event
		check  func(t *testing.T, s *View)
	}{
		{"empty", nil, func(t *testing.T, s *View) {
			if s.Finished() || s.Deploy() != nil || s.NextPhase() != "diagnose" {
				t.Errorf("empty state = %+v, want open at diagnose", s)
			}
		}},
		{"deploy started, not exited", join(start, diagnosed), func(t *testing.T, s *View) {
			if s.Deploy() == nil || s.Deploy().Exited || !s.DeployInDoubt() {
				t.Errorf("deploy %+v: want started, in doubt", s.Deploy())
			}
			if cur := s.Phases[s.Current]; cur.ID != "escape" || cur.Status != journal.StatusRunning || s.NextPhase() != "escape" {
				t.Errorf("current phase %q status %q next %q; want escape running", cur.ID, cur.Status, s.NextPhase())
			}
			if s.Verdict != "HANG_CONFIRMED" || s.Final != "" {
				t.Errorf("verdict %q final %q", s.Verdict, s.Final)
			}
			if argv := s.Deploy().Argv; len(argv) != 3 || argv[0] != "flyctl" {
				t.Errorf("argv = %v", argv)
			}
			if st := s.Start; s.App() != "autonomath-api" || st.Runbook != "db-boot-hang" || st.Dir != "deploy" || s.HoldAsked() != 5*time.Minute ||
				st.IntervalS != 10 || st.SmokeURL != "https://autonomath-api.fly.dev" || st.Flyctl != "flyctl" {
				t.Errorf("incident_start flags not recorded: %+v", st)
			}
			if s.Prior["85e273f4a1b2c3"] != "registry.fly.io/autonomath-api:old" {
				t.Errorf("prior images = %v", s.Prior)
			}
		}},
		{"deploy exited 0", join(start, diagnosed, deployed), func(t *testing.T, s *View) {
			if !s.Deployed() || s.DeployInDoubt() {
				t.Errorf("deploy %+v: want exited 0", s.Deploy())
			}
			if s.Image != "registry.fly.io/autonomath-api:new" || s.Digest != "sha256:9f2e" {
				t.Errorf("image %q digest %q", s.Image, s.Digest)
			}
			if s.Prior["85e273f4a1b2c3"] != "registry.fly.io/autonomath-api:old" {
				t.Errorf("a machine seen after the deploy overwrote its prior image: %v", s.Prior)
			}
			if s.NextPhase() != "smoke" {
				t.Errorf("next phase %q, want smoke", s.NextPhase())
			}
		}},
		{"deploy failed", join(start, diagnosed, ev("escape", journal.KindCommandExit, "code", 1.0, "error", "remote builder timed out")), func(t *testing.T, s *View) {
			if d := s.Deploy(); !d.Exited || d.Exit.Code != 1 || s.Deployed() || s.Image != "" {
				t.Errorf("deploy %+v image %q", d, s.Image)
			}
		}},
		{"hold half done", join(start, diagnosed, deployed, halfHold), func(t *testing.T, s *View) {
			if h := s.Hold; h.ElapsedS != 150 || h.RemainingS != 150 || h.Met {
				t.Errorf("hold %+v", h)
			}
			if s.Finished() {
				t.Error("finished mid-hold")
			}
		}},
		{"finished", join(start, diagnosed, deployed, halfHold, fullHold, finished), func(t *testing.T, s *View) {
			if !s.Finished() || s.Final != "RECOVERED" || s.ExitCode != 0 || s.Ended.IsZero() || !s.Hold.Met || s.Hold.HeldS != 300 {
				t.Errorf("final %q exit %d ended %v hold %+v", s.Final, s.ExitCode, s.Ended, s.Hold)
			}
			if s.NextPhase() != "" || s.LastSeq != 19 {
				t.Errorf("next %q last seq %d; want none and 19", s.NextPhase(), s.LastSeq)
			}
		}},
		{"deploy run again after a failure", join(start, diagnosed, ev("escape", journal.KindCommandExit, "code", 1.0), ev("escape", journal.KindCommandStart, "argv", []string{"flyctl"})), func(t *testing.T, s *View) {
			if !s.DeployInDoubt() {
				t.Error("second deploy start not in doubt")
			}
		}},
		{"commands outside escape are not the deploy", join(start, ev("diagnose", journal.KindCommandStart, "argv", []string{"flyctl", "status"})), func(t *testing.T, s *View) {
			if s.Deploy() != nil {
				t.Error("a diagnose-phase command counted as the deploy")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, Reduce(tt.events)) })
	}
}
