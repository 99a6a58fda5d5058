package journal

import (
	"encoding/json"
	"testing"
	"time"
)

// script builds events one second apart, as if read back from a file.
func script(steps ...Event) []Event {
	out := make([]Event, len(steps))
	for i, e := range steps {
		e.Seq = i + 1
		e.TS = t0.Add(time.Duration(i) * time.Second)
		e.Incident = "20260511T122005Z-autonomath-api-7c2e"
		if e.Mode == "" {
			e.Mode = ModeLive
		}
		out[i] = e
	}
	return out
}

// ev builds an event from its wire form, key by key, through the decoder
// every reader uses.
func ev(phase, kind string, kv ...any) Event {
	d := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		d[kv[i].(string)] = kv[i+1]
	}
	raw, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	p, err := DecodeData(kind, raw)
	if err != nil {
		panic(err)
	}
	return Event{Phase: phase, Kind: kind, Data: p}
}

var (
	start = ev(PhaseIncident, KindIncidentStart, "app", "autonomath-api", "runbook", "db-boot-hang", "dir", "deploy",
		"hold_s", 300.0, "interval_s", 10.0, "smoke_url", "https://autonomath-api.fly.dev", "flyctl", "flyctl")
	diagnosed = []Event{
		ev("diagnose", KindPhaseStart),
		ev("diagnose", KindMachine, "id", "85e273f4a1b2c3", "image", "registry.fly.io/autonomath-api:old", "signature", true, "since_s", 2400.0),
		ev("diagnose", KindPhaseEnd, "status", "passed"),
		ev("bootlogs", KindPhaseStart),
		ev("bootlogs", KindVerdict, "verdict", "HANG_CONFIRMED"),
		ev("bootlogs", KindPhaseEnd, "status", "passed"),
		ev("escape", KindPhaseStart),
		ev("escape", KindGate, "command", "flyctl deploy", "confirmed_by", "operator", "ok", true),
		ev("escape", KindCommandStart, "argv", []any{"flyctl", "deploy", "--remote-only"}),
	}
	deployed = []Event{
		ev("escape", KindCommandOutput, "line", "image: registry.fly.io/autonomath-api:new"),
		ev("escape", KindCommandExit, "code", 0.0, "image", "registry.fly.io/autonomath-api:new", "digest", "sha256:9f2e"),
		ev("escape", KindPhaseEnd, "status", "passed"),
		ev("smoke", KindPhaseStart),
		ev("smoke", KindMachine, "id", "85e273f4a1b2c3", "image", "registry.fly.io/autonomath-api:new"),
	}
	halfHold = ev("smoke", KindHold, "elapsed_s", 150.0, "remaining_s", 150.0, "hold_s", 300.0)
	fullHold = ev("smoke", KindHold, "elapsed_s", 300.0, "remaining_s", 0.0, "hold_s", 300.0)
	finished = []Event{
		ev("smoke", KindPhaseEnd, "status", "passed"),
		ev(PhaseIncident, KindIncidentEnd, "verdict", "RECOVERED", "exit_code", 0.0),
	}
)

func join(parts ...any) []Event {
	var out []Event
	for _, p := range parts {
		switch p := p.(type) {
		case Event:
			out = append(out, p)
		case []Event:
			out = append(out, p...)
		}
	}
	return script(out...)
}

func TestState(t *testing.T) {
	tests := []struct {
		name   string
		events []Event
		check  func(t *testing.T, s ResumeState)
	}{
		{"empty", nil, func(t *testing.T, s ResumeState) {
			if s.Finished() || s.DeployStarted || s.NextPhase() != "diagnose" {
				t.Errorf("empty state = %+v, want open at diagnose", s)
			}
		}},
		{"deploy started, not exited", join(start, diagnosed), func(t *testing.T, s ResumeState) {
			if !s.DeployStarted || s.DeployExited || !s.DeployInDoubt() {
				t.Errorf("deploy started %v exited %v: want in doubt", s.DeployStarted, s.DeployExited)
			}
			if s.LastPhase != "escape" || s.Phases["escape"] != StatusRunning || s.NextPhase() != "escape" {
				t.Errorf("last phase %q status %q next %q; want escape running", s.LastPhase, s.Phases["escape"], s.NextPhase())
			}
			if s.Verdict != "HANG_CONFIRMED" || s.Final != "" {
				t.Errorf("verdict %q final %q", s.Verdict, s.Final)
			}
			if len(s.DeployArgv) != 3 || s.DeployArgv[0] != "flyctl" {
				t.Errorf("argv = %v", s.DeployArgv)
			}
			if s.App != "autonomath-api" || s.Runbook != "db-boot-hang" || s.Dir != "deploy" || s.Hold != 5*time.Minute ||
				s.Interval != 10*time.Second || s.SmokeURL != "https://autonomath-api.fly.dev" || s.Flyctl != "flyctl" {
				t.Errorf("incident_start flags not recorded: %+v", s)
			}
			if s.PriorImages["85e273f4a1b2c3"] != "registry.fly.io/autonomath-api:old" {
				t.Errorf("prior images = %v", s.PriorImages)
			}
		}},
		{"deploy exited 0", join(start, diagnosed, deployed), func(t *testing.T, s ResumeState) {
			if !s.DeployExited || s.DeployInDoubt() || s.DeployExitCode != 0 {
				t.Errorf("exited %v code %d", s.DeployExited, s.DeployExitCode)
			}
			if s.Image != "registry.fly.io/autonomath-api:new" || s.Digest != "sha256:9f2e" {
				t.Errorf("image %q digest %q", s.Image, s.Digest)
			}
			if s.PriorImages["85e273f4a1b2c3"] != "registry.fly.io/autonomath-api:old" {
				t.Errorf("a machine seen after the deploy overwrote its prior image: %v", s.PriorImages)
			}
			if s.NextPhase() != "smoke" {
				t.Errorf("next phase %q, want smoke", s.NextPhase())
			}
		}},
		{"deploy failed", join(start, diagnosed, ev("escape", KindCommandExit, "code", 1.0, "error", "remote builder timed out")), func(t *testing.T, s ResumeState) {
			if !s.DeployExited || s.DeployExitCode != 1 || s.Image != "" {
				t.Errorf("exited %v code %d image %q", s.DeployExited, s.DeployExitCode, s.Image)
			}
		}},
		{"hold half done", join(start, diagnosed, deployed, halfHold), func(t *testing.T, s ResumeState) {
			if s.HoldElapsed != 150*time.Second || s.HoldRemaining != 150*time.Second || s.HoldMet {
				t.Errorf("hold elapsed %v remaining %v met %v", s.HoldElapsed, s.HoldRemaining, s.HoldMet)
			}
			if s.Finished() {
				t.Error("finished mid-hold")
			}
		}},
		{"finished", join(start, diagnosed, deployed, halfHold, fullHold, finished), func(t *testing.T, s ResumeState) {
			if !s.Finished() || s.Final != "RECOVERED" || s.ExitCode != 0 || s.Ended.IsZero() || !s.HoldMet {
				t.Errorf("final %q exit %d ended %v hold met %v", s.Final, s.ExitCode, s.Ended, s.HoldMet)
			}
			if s.NextPhase() != "" || s.LastSeq != 19 {
				t.Errorf("next %q last seq %d; want none and 19", s.NextPhase(), s.LastSeq)
			}
		}},
		{"deploy run again after a failure", join(start, diagnosed, ev("escape", KindCommandExit, "code", 1.0), ev("escape", KindCommandStart, "argv", []string{"flyctl"})), func(t *testing.T, s ResumeState) {
			if !s.DeployInDoubt() {
				t.Error("second deploy start not in doubt")
			}
		}},
		{"commands outside escape are not the deploy", join(start, ev("diagnose", KindCommandStart, "argv", []string{"flyctl", "status"})), func(t *testing.T, s ResumeState) {
			if s.DeployStarted {
				t.Error("a diagnose-phase command counted as the deploy")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, State(tt.events)) })
	}
}

func TestStateOfFixture(t *testing.T) {
	events, err := Read("testdata/recovered.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	s := State(events)
	if s.Incident != "20260511T122005Z-autonomath-api-7c2e" || s.App != "autonomath-api" || s.Final != "RECOVERED" ||
		!s.HoldMet || s.Image != "registry.fly.io/autonomath-api:deployment-01KR8S4VVCTB5QG1EWDT88AGK0" || len(s.PriorImages) != 2 {
		t.Errorf("fixture state = %+v", s)
	}
}
