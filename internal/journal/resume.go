package journal

import (
	"time"

	"github.com/jpops-dev/jpops/runbook"
)

// ResumeState is where an incident stands, computed from its events alone.
type ResumeState struct {
	Incident string
	App      string
	Mode     string
	Started  time.Time // incident_start
	Ended    time.Time // incident_end; zero while open
	LastSeq  int

	// Recorded at incident_start.
	Runbook  string
	Dir      string // deploy directory
	SmokeURL string
	Flyctl   string
	Hold     time.Duration
	Interval time.Duration
	Start    IncidentStart // all of incident_start's data, for anything else

	LastPhase string            // the last phase that started
	Phases    map[string]string // phase -> running|passed|failed|skipped
	Verdict   string            // the latest verdict event's verdict
	Final     string            // incident_end's verdict; empty while open
	ExitCode  int               // incident_end's exit_code

	// The escape phase's deploy command.
	DeployStarted  bool
	DeployExited   bool
	DeployExitCode int
	DeployArgv     []string
	Image          string            // new image parsed from the deploy
	Digest         string            // its digest, when known
	PriorImages    map[string]string // machine id -> image seen before the deploy started

	// Smoke hold progress, from the latest hold event.
	HoldElapsed   time.Duration
	HoldRemaining time.Duration
	HoldMet       bool
}

// Finished reports whether the incident has ended.
func (s ResumeState) Finished() bool { return s.Final != "" }

// DeployInDoubt reports whether the deploy started but its exit was never
// recorded: it may have run to the end. Resume must ask before running it again.
func (s ResumeState) DeployInDoubt() bool { return s.DeployStarted && !s.DeployExited }

// NextPhase is the first runbook phase that has not passed or been skipped;
// "" when the incident has ended or every phase is done.
func (s ResumeState) NextPhase() string {
	if s.Finished() {
		return ""
	}
	for _, id := range runbook.PhaseIDs {
		if st := s.Phases[id]; st != "passed" && st != "skipped" {
			return id
		}
	}
	return ""
}

// State folds events into a ResumeState. It is a pure function of its input.
func State(events []Event) ResumeState {
	s := ResumeState{Phases: map[string]string{}, PriorImages: map[string]string{}}
	for _, e := range events {
		s.LastSeq = max(s.LastSeq, e.Seq)
		if s.Incident == "" {
			s.Incident = e.Incident
		}
		if s.Mode == "" {
			s.Mode = e.Mode
		}
		switch d := e.Data.(type) {
		case IncidentStart:
			s.Started = e.TS
			s.Start = d
			s.App = d.App
			s.Runbook = d.Runbook
			s.Dir = d.Dir
			s.SmokeURL = d.SmokeURL
			s.Flyctl = d.Flyctl
			s.Hold = secs(d.HoldS)
			s.Interval = secs(d.IntervalS)
		case PhaseStart:
			s.LastPhase = e.Phase
			s.Phases[e.Phase] = StatusRunning
		case PhaseEnd:
			s.Phases[e.Phase] = d.Status
		case Verdict:
			s.Verdict = string(d.Verdict)
		case Machine:
			if !s.DeployStarted && d.ID != "" && d.Image != "" {
				s.PriorImages[d.ID] = d.Image
			}
		case CommandStart:
			if e.Phase == runbook.PhaseEscape {
				s.DeployStarted, s.DeployExited = true, false
				s.DeployArgv = d.Argv
			}
		case CommandExit:
			if e.Phase == runbook.PhaseEscape {
				s.DeployExited = true
				s.DeployExitCode = d.Code
				if d.Image != "" {
					s.Image = d.Image
				}
				if d.Digest != "" {
					s.Digest = d.Digest
				}
			}
		case Hold:
			s.HoldElapsed = secs(d.ElapsedS)
			s.HoldRemaining = secs(d.RemainingS)
			if d.Met() {
				s.HoldMet = true
			}
		case IncidentEnd:
			s.Ended = e.TS
			s.Final = string(d.Verdict)
			s.ExitCode = d.ExitCode
		}
	}
	return s
}

// secs turns the journal's float seconds into a duration.
func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// timeOf parses a timestamp field (RFC 3339, as Fly and the journal write them).
func timeOf(v string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, v)
	return t, err == nil && v != ""
}
