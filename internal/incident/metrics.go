package incident

import (
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
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
	Deployed  time.Time // the deploy exited 0: mitigated only once Verified
	Verified  time.Time // RECOVERED, or the smoke phase passed
	End       time.Time // incident_end, else the last event

	TimeToDiagnose time.Duration
	TimeToDeploy   time.Duration
	TimeToVerify   time.Duration
	Downtime       time.Duration // Onset to Verified, or to End when never verified

	GatesTaken       int
	WrongTurns       int
	WrongTurnReasons []string
}

// marks is what the reducer keeps for the metrics as events pass.
type marks struct {
	start, onset, diagnosed, deployed, verified, end time.Time
	gates                                            int
	wrong                                            []string
}

func (m *marks) earliest(t time.Time) {
	if !t.IsZero() && (m.onset.IsZero() || t.Before(m.onset)) {
		m.onset = t
	}
}

func (m *marks) apply(e journal.Event) {
	if m.start.IsZero() {
		m.start = e.TS
	}
	m.end = e.TS
	switch d := e.Data.(type) {
	case journal.IncidentStart:
		m.start = e.TS
	case journal.Machine:
		if d.Signature && d.SinceS > 0 {
			m.earliest(e.TS.Add(-secs(d.SinceS)))
		}
	case journal.Evidence:
		if d.Completed() {
			break // a completion line is recovery, not outage
		}
		if t, ok := timeOf(d.Timestamp); ok {
			m.earliest(t)
		}
	case journal.Verdict:
		if e.Phase == runbook.PhaseBootlogs && m.diagnosed.IsZero() {
			m.diagnosed = e.TS
		}
	case journal.CommandExit:
		if e.Phase == runbook.PhaseEscape && m.deployed.IsZero() && d.Code == 0 && d.Signal == "" {
			m.deployed = e.TS
		}
	case journal.PhaseEnd:
		if e.Phase == runbook.PhaseSmoke && d.Status == journal.StatusPassed && m.verified.IsZero() {
			m.verified = e.TS
		}
	case journal.Gate:
		if !d.OK {
			m.wrong = append(m.wrong, "gate refused: "+orDash(d.Command))
		} else {
			m.gates++
		}
		if d.ConfirmedBy == journal.ByForce {
			m.wrong = append(m.wrong, "forced past gate: "+orDash(d.Command))
		}
	case journal.Precondition:
		if Forced(d) {
			m.wrong = append(m.wrong, "forced past precondition: "+orDash(d.Name))
		}
	case journal.Abort:
		m.wrong = append(m.wrong, "aborted: "+orDash(d.Reason))
	case journal.IncidentEnd:
		if d.Verdict == verdict.Recovered && m.verified.IsZero() {
			m.verified = e.TS
		}
	}
}

// Metrics scores the incident so far.
func (v *View) Metrics() Metrics {
	mk := v.metrics
	m := Metrics{
		Start: mk.start, Diagnosed: mk.diagnosed, Deployed: mk.deployed, Verified: mk.verified, End: mk.end,
		GatesTaken: mk.gates, WrongTurns: len(mk.wrong), WrongTurnReasons: append([]string(nil), mk.wrong...),
	}
	m.Onset = m.Start
	if !mk.onset.IsZero() && (m.Start.IsZero() || mk.onset.Before(m.Start)) {
		m.Onset = mk.onset
	}
	since := func(t time.Time) time.Duration {
		if t.IsZero() || m.Start.IsZero() {
			return 0
		}
		return t.Sub(m.Start)
	}
	m.TimeToDiagnose = since(m.Diagnosed)
	m.TimeToDeploy = since(m.Deployed)
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
