package journal

import (
	"time"

	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// Metrics is the scorecard of an incident or drill. Times are zero when the
// moment was never reached; the Time* durations run from Start (when jpops
// began) and are zero when their moment is.
type Metrics struct {
	Start     time.Time // incident_start (else the first event)
	Onset     time.Time // earliest evidence of the outage; Start when there is none
	Diagnosed time.Time // the boot-logs phase verdict
	Mitigated time.Time // the deploy exited 0
	Verified  time.Time // RECOVERED, or the smoke phase passed
	End       time.Time // incident_end, else the last event

	TimeToDiagnose time.Duration
	TimeToMitigate time.Duration
	TimeToVerify   time.Duration
	Downtime       time.Duration // Onset to Verified, or to End when never verified

	GatesTaken       int
	WrongTurns       int
	WrongTurnReasons []string
}

// Measure scores events. It is a pure function of its input.
func Measure(events []Event) Metrics {
	var m Metrics
	var onset time.Time
	earliest := func(t time.Time) {
		if !t.IsZero() && (onset.IsZero() || t.Before(onset)) {
			onset = t
		}
	}
	wrong := func(reason string) {
		m.WrongTurns++
		m.WrongTurnReasons = append(m.WrongTurnReasons, reason)
	}
	for i, e := range events {
		d := e.Data
		if i == 0 {
			m.Start = e.TS
		}
		m.End = e.TS
		switch e.Kind {
		case KindIncidentStart:
			m.Start = e.TS
		case KindMachine:
			if t, ok := timeOf(d, "started_at"); ok {
				earliest(t)
			}
			if since, ok := numOK(d, "since_s"); ok && since > 0 && (d["signature"] == nil || boolean(d, "signature")) {
				earliest(e.TS.Add(-time.Duration(since * float64(time.Second))))
			}
		case KindEvidence:
			if boolean(d, "completed") {
				break // a completion line is recovery, not outage
			}
			for _, k := range []string{"timestamp", "started_at", "since"} {
				if t, ok := timeOf(d, k); ok {
					earliest(t)
				}
			}
		case KindVerdict:
			if e.Phase == runbook.PhaseBootlogs && m.Diagnosed.IsZero() {
				m.Diagnosed = e.TS
			}
		case KindCommandExit:
			if e.Phase == runbook.PhaseEscape && m.Mitigated.IsZero() {
				if code, ok := numOK(d, "code"); ok && code == 0 {
					m.Mitigated = e.TS
				}
			}
		case KindPhaseEnd:
			if e.Phase == runbook.PhaseSmoke && str(d, "status") == "passed" && m.Verified.IsZero() {
				m.Verified = e.TS
			}
		case KindGate:
			if _, has := d["ok"]; has && !boolean(d, "ok") {
				wrong("gate refused: " + orDash(str(d, "command")))
			} else {
				m.GatesTaken++
			}
			if forced(d) {
				wrong("forced past gate: " + orDash(str(d, "command")))
			}
		case KindPrecondition:
			if forced(d) {
				wrong("forced past precondition: " + orDash(str(d, "name")))
			}
		case KindAbort:
			wrong("aborted: " + orDash(str(d, "reason")))
		case KindIncidentEnd:
			if str(d, "verdict") == string(verdict.Recovered) && m.Verified.IsZero() {
				m.Verified = e.TS
			}
		}
	}
	m.Onset = m.Start
	if !onset.IsZero() && (m.Start.IsZero() || onset.Before(m.Start)) {
		m.Onset = onset
	}
	since := func(t time.Time) time.Duration {
		if t.IsZero() || m.Start.IsZero() {
			return 0
		}
		return t.Sub(m.Start)
	}
	m.TimeToDiagnose = since(m.Diagnosed)
	m.TimeToMitigate = since(m.Mitigated)
	m.TimeToVerify = since(m.Verified)
	if up := m.Verified; !up.IsZero() {
		m.Downtime = up.Sub(m.Onset)
	} else if !m.End.IsZero() {
		m.Downtime = m.End.Sub(m.Onset)
	}
	return m
}

func forced(d map[string]any) bool {
	return str(d, "confirmed_by") == "--force" || boolean(d, "forced")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
