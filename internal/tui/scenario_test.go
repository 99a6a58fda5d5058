package tui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/jpops-dev/jpops/internal/journal"
)

// script builds a realistic db-boot-hang run as the engine would send it,
// with timestamps from a fixed clock so every view is deterministic.
type script struct {
	t0   time.Time
	seq  int
	mode string
}

func newScript(mode string) *script {
	return &script{t0: time.Date(2026, 5, 11, 3, 12, 0, 0, time.UTC), mode: mode}
}

func (s *script) ev(atSec float64, phase, kind string, data map[string]any) tea.Msg {
	s.seq++
	return EventMsg{Event: journal.Event{
		TS: s.t0.Add(time.Duration(atSec * float64(time.Second))), Seq: s.seq, Incident: "inc-20260511-031200",
		Mode: s.mode, Phase: phase, Kind: kind, Data: wire(kind, data),
	}}
}

const (
	testApp  = "autonomath"
	machineA = "1854737c27e1d8"
	machineB = "18590deb29eee8"
	oldImage = "registry.fly.io/autonomath:deployment-01KR2AAAAAAAAAAAAAAAAAAAAA"
	newImage = "registry.fly.io/autonomath:deployment-01KR8S4VVCTB5QG1EWDT88AGK0"
	newDig   = "sha256:de7c32835a11e0f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f35a11"
	escapeCL = "flyctl deploy --remote-only --strategy rolling -a autonomath"
)

// beforeGate: phases 1 and 2, and phase 3 up to its gate.
func (s *script) beforeGate() []tea.Msg {
	return []tea.Msg{
		s.ev(0, journal.PhaseIncident, journal.KindIncidentStart, map[string]any{"app": testApp, "runbook": "db-boot-hang"}),
		s.ev(0, "diagnose", journal.KindPhaseStart, map[string]any{"title": "Diagnose: started but CHECKS 0/1"}),
		s.ev(1, "diagnose", journal.KindMachine, map[string]any{"id": machineA, "region": "nrt", "state": "started", "checks_passing": 0, "checks_total": 1, "image": oldImage, "signature": true, "since_s": 1872.0}),
		s.ev(1, "diagnose", journal.KindMachine, map[string]any{"id": machineB, "region": "nrt", "state": "started", "checks_passing": float64(0), "checks_total": float64(1), "image": oldImage, "signature": true, "since_s": 1865}),
		s.ev(2, "diagnose", journal.KindPhaseEnd, map[string]any{"status": "passed"}),
		s.ev(2, "bootlogs", journal.KindPhaseStart, map[string]any{}),
		s.ev(4, "bootlogs", journal.KindEvidence, map[string]any{"machine": machineA, "timestamp": "2026-05-11T02:40:48Z", "op": "integrity_check", "db": "/data/autonomath.db", "line": "running integrity_check on /data/autonomath.db (9.7 GB)...", "running_for_s": 1872.4, "completed": false}),
		s.ev(4, "bootlogs", journal.KindEvidence, map[string]any{"machine": machineB, "timestamp": "2026-05-11T02:40:55Z", "op": "integrity_check", "db": "/data/autonomath.db", "line": "running integrity_check on /data/autonomath.db (9.7 GB)...", "running_for_s": 1865, "completed": false}),
		s.ev(4, "bootlogs", journal.KindVerdict, map[string]any{"verdict": "HANG_CONFIRMED", "reason": "integrity_check on /data/autonomath.db has run 31m12s with no completion line", "next": "jpops run -a autonomath"}),
		s.ev(5, "bootlogs", journal.KindPhaseEnd, map[string]any{"status": "passed"}),
		s.ev(5, "escape", journal.KindPhaseStart, map[string]any{}),
		s.ev(5, "escape", journal.KindPrecondition, map[string]any{"name": "verdict is HANG_CONFIRMED", "ok": true}),
		s.ev(5, "escape", journal.KindPrecondition, map[string]any{"name": "flyctl found", "ok": true, "detail": "flyctl v0.3.120"}),
		s.ev(5, "escape", journal.KindPrecondition, map[string]any{"name": "pre-deploy images recorded", "ok": true, "detail": "2 machines"}),
		s.ev(6, "escape", journal.KindPrecondition, map[string]any{"name": "audit entrypoint.sh", "ok": true, "detail": "full scans are size-gated"}),
	}
}

// deployOutput is what flyctl deploy prints (a condensed real run).
var deployOutput = []string{
	"==> Verifying app config",
	"✓ Configuration is valid",
	"==> Building image",
	"==> Building image with Depot",
	"#11 exporting manifest sha256:de7c3283…5a11e done",
	"--> Building image done",
	"image: " + newImage,
	"image size: 317 MB",
	"Watch your deployment at https://fly.io/apps/autonomath/monitoring",
	"Updating existing machines in 'autonomath' with rolling strategy",
	"> [1/2] Acquiring lease for " + machineA,
	"✔ [1/2] Machine " + machineA + " is now in a good state",
	"> [2/2] Checking health of machine " + machineB,
	"✔ [2/2] Machine " + machineB + " is now in a good state",
	"✔ [1/2] Cleared lease for " + machineA,
	"Visit your newly deployed app at https://autonomath.fly.dev/",
}

// afterGate: the deploy, the smoke walk and the end of the incident.
func (s *script) afterGate() []tea.Msg {
	msgs := []tea.Msg{
		s.ev(20, "escape", journal.KindGate, map[string]any{"command": escapeCL, "expect": testApp, "confirmed_by": "operator", "ok": true}),
		s.ev(20, "escape", journal.KindCommandStart, map[string]any{"argv": []any{"flyctl", "deploy", "--remote-only", "--strategy", "rolling", "-a", testApp}, "dir": "/srv/autonomath", "pid": 4242}),
	}
	for i, l := range deployOutput {
		stream := "stdout"
		if i < 8 {
			stream = "stderr"
		}
		msgs = append(msgs, s.ev(21+float64(i)*5, "escape", journal.KindCommandOutput, map[string]any{"stream": stream, "line": l}))
	}
	msgs = append(msgs,
		s.ev(110, "escape", journal.KindCommandExit, map[string]any{"code": 0, "image": newImage, "digest": newDig}),
		s.ev(110, "escape", journal.KindPhaseEnd, map[string]any{"status": "passed"}),
		s.ev(110, "smoke", journal.KindPhaseStart, map[string]any{}),
	)
	for _, id := range []string{machineA, machineB} {
		msgs = append(msgs,
			s.ev(111, "smoke", journal.KindSmokeResult, map[string]any{"machine": id, "check": "image", "ok": true, "detail": newDig}),
			s.ev(111, "smoke", journal.KindSmokeResult, map[string]any{"machine": id, "check": "state", "ok": true}),
			s.ev(111, "smoke", journal.KindSmokeResult, map[string]any{"machine": id, "check": "checks", "ok": true, "detail": "1/1 passing"}),
			s.ev(112, "smoke", journal.KindSmokeResult, map[string]any{"machine": id, "check": "request", "request": "GET /v1/healthz", "status": 200, "ok": true}),
		)
	}
	msgs = append(msgs,
		s.ev(112, "smoke", journal.KindHold, map[string]any{"elapsed_s": 0, "remaining_s": 300, "hold_s": 300}),
		s.ev(262, "smoke", journal.KindHold, map[string]any{"elapsed_s": 150.0, "remaining_s": 150.0, "hold_s": 300.0}),
		s.ev(412, "smoke", journal.KindHold, map[string]any{"elapsed_s": 300, "remaining_s": 0, "hold_s": 300}),
		s.ev(412, "smoke", journal.KindVerdict, map[string]any{"verdict": "RECOVERED", "reason": "both machines on the new image, passing, answering, held 5m0s"}),
		s.ev(412, "smoke", journal.KindPhaseEnd, map[string]any{"status": "passed"}),
		s.ev(412, journal.PhaseIncident, journal.KindIncidentEnd, map[string]any{"verdict": "RECOVERED", "exit_code": 0}),
	)
	return msgs
}
