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
	Detected  time.Time // the watchdog's page; zero when no page opened the incident
	Diagnosed time.Time // the boot-logs phase verdict
	Decided   time.Time // the escape gate passed: the decision to deploy
	Built     time.Time // the deploy printed the image it built: the rollout begins
	Deployed  time.Time // the deploy exited 0: mitigated only once Verified
	Healthy   time.Time // the deploy saw the first machine on the new image pass its checks
	HoldStart time.Time // the stability hold began
	Verified  time.Time // RECOVERED, or the smoke phase passed
	End       time.Time // incident_end, else the last event

	DeployS time.Duration // the deploy, start to exit: the build and the rollout
	HoldS   time.Duration // the hold that was met

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
	start, onset, detected, diagnosed, decided, built, deployStart, deployed, healthy, holdStart, verified, end time.Time
	hold                                                                                                        time.Duration
	gates                                                                                                       int
	wrong                                                                                                       []string
	refused                                                                                                     bool // the latest gate was refused
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
	case journal.Page:
		if m.detected.IsZero() {
			m.detected = e.TS
		}
	case journal.CommandStart:
		if e.Phase == runbook.PhaseEscape && m.deployed.IsZero() {
			m.deployStart = e.TS
		}
	case journal.CommandOutput:
		if e.Phase != runbook.PhaseEscape || !m.deployed.IsZero() {
			break
		}
		if m.built.IsZero() && imageLine().MatchString(d.Line) {
			m.built = e.TS
		}
		if m.healthy.IsZero() && goodLine(d.Line) {
			m.healthy = e.TS
		}
	case journal.CommandExit:
		if e.Phase == runbook.PhaseEscape && m.deployed.IsZero() && d.Code == 0 && d.Signal == "" {
			m.deployed = e.TS
		}
	case journal.Hold:
		if m.holdStart.IsZero() {
			m.holdStart = e.TS.Add(-secs(d.ElapsedS))
		}
		if d.Met() && m.hold == 0 {
			m.hold = secs(d.HoldS)
		}
	case journal.PhaseEnd:
		if e.Phase == runbook.PhaseSmoke && d.Status == journal.StatusPassed && m.verified.IsZero() {
			m.verified = e.TS
		}
	case journal.Gate:
		m.refused = !d.OK
		if !d.OK {
			m.wrong = append(m.wrong, "gate refused: "+orDash(d.Command))
		} else {
			m.gates++
			if m.decided.IsZero() {
				m.decided = e.TS
			}
		}
		if d.ConfirmedBy == journal.ByForce {
			m.wrong = append(m.wrong, "forced past gate: "+orDash(d.Command))
		}
	case journal.Precondition:
		if Forced(d) {
			m.wrong = append(m.wrong, "forced past precondition: "+orDash(d.Name))
		}
	case journal.Abort:
		// The abort a refusal at the gate ends the walk with is that refusal,
		// already counted: one refusal is one wrong turn.
		if !m.refused {
			m.wrong = append(m.wrong, "aborted: "+orDash(d.Reason))
		}
		m.refused = false
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
		Start: mk.start, Detected: mk.detected, Diagnosed: mk.diagnosed, Decided: mk.decided, Built: mk.built,
		Deployed: mk.deployed, Healthy: mk.healthy, HoldStart: mk.holdStart, Verified: mk.verified, End: mk.end,
		HoldS:      mk.hold,
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
	if !mk.deployStart.IsZero() && !mk.deployed.IsZero() {
		m.DeployS = mk.deployed.Sub(mk.deployStart)
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
