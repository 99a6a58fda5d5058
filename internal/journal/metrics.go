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
		if i == 0 {
			m.Start = e.TS
		}
		m.End = e.TS
		switch d := e.Data.(type) {
		case IncidentStart:
			m.Start = e.TS
		case Machine:
			if d.Signature && d.SinceS > 0 {
				earliest(e.TS.Add(-secs(d.SinceS)))
			}
		case Evidence:
			if d.Completed() {
				break // a completion line is recovery, not outage
			}
			if t, ok := timeOf(d.Timestamp); ok {
				earliest(t)
			}
		case Verdict:
			if e.Phase == runbook.PhaseBootlogs && m.Diagnosed.IsZero() {
				m.Diagnosed = e.TS
			}
		case CommandExit:
			if e.Phase == runbook.PhaseEscape && m.Mitigated.IsZero() && d.Code == 0 && d.Signal == "" {
				m.Mitigated = e.TS
			}
		case PhaseEnd:
			if e.Phase == runbook.PhaseSmoke && d.Status == StatusPassed && m.Verified.IsZero() {
				m.Verified = e.TS
			}
		case Gate:
			if !d.OK {
				wrong("gate refused: " + orDash(d.Command))
			} else {
				m.GatesTaken++
			}
			if d.ConfirmedBy == ByForce {
				wrong("forced past gate: " + orDash(d.Command))
			}
		case Precondition:
			if d.Forced || d.ConfirmedBy == ByForce {
				wrong("forced past precondition: " + orDash(d.Name))
			}
		case Abort:
			wrong("aborted: " + orDash(d.Reason))
		case IncidentEnd:
			if d.Verdict == verdict.Recovered && m.Verified.IsZero() {
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

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
