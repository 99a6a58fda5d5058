package journal

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jpops-dev/jpops/runbook"
)

// Phase statuses in ResumeState.Phases, beside phase_end's passed|failed|skipped.
const StatusRunning = "running"

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
	Start    map[string]any // all of incident_start's data, for anything else

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
		d := e.Data
		s.LastSeq = max(s.LastSeq, e.Seq)
		if s.Incident == "" {
			s.Incident = e.Incident
		}
		if s.Mode == "" {
			s.Mode = e.Mode
		}
		switch e.Kind {
		case KindIncidentStart:
			s.Started = e.TS
			s.Start = d
			s.App = str(d, "app")
			s.Runbook = str(d, "runbook")
			s.Dir = str(d, "dir")
			s.SmokeURL = str(d, "smoke_url")
			s.Flyctl = str(d, "flyctl")
			s.Hold = seconds(d, "hold_s")
			s.Interval = seconds(d, "interval_s")
		case KindPhaseStart:
			s.LastPhase = e.Phase
			s.Phases[e.Phase] = StatusRunning
		case KindPhaseEnd:
			s.Phases[e.Phase] = str(d, "status")
		case KindVerdict:
			s.Verdict = str(d, "verdict")
		case KindMachine:
			if !s.DeployStarted {
				if id, img := str(d, "id"), str(d, "image"); id != "" && img != "" {
					s.PriorImages[id] = img
				}
			}
		case KindCommandStart:
			if e.Phase == runbook.PhaseEscape {
				s.DeployStarted, s.DeployExited = true, false
				s.DeployArgv = strs(d, "argv")
			}
		case KindCommandExit:
			if e.Phase == runbook.PhaseEscape {
				s.DeployExited = true
				s.DeployExitCode = int(num(d, "code"))
				if img := str(d, "image"); img != "" {
					s.Image = img
				}
				if dg := str(d, "digest"); dg != "" {
					s.Digest = dg
				}
			}
		case KindHold:
			s.HoldElapsed = seconds(d, "elapsed_s")
			s.HoldRemaining = seconds(d, "remaining_s")
			h := seconds(d, "hold_s")
			_, hasRemaining := numOK(d, "remaining_s")
			if (h > 0 && s.HoldElapsed >= h) || (hasRemaining && s.HoldRemaining <= 0 && s.HoldElapsed > 0) {
				s.HoldMet = true
			}
		case KindIncidentEnd:
			s.Ended = e.TS
			s.Final = str(d, "verdict")
			s.ExitCode = int(num(d, "exit_code"))
		}
	}
	return s
}

// Data accessors: events read back from a file carry float64 numbers and
// []any slices; events from Append keep the caller's Go types.

func str(d map[string]any, k string) string {
	switch v := d[k].(type) {
	case string:
		return v
	case nil:
		return ""
	case json.Number:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}

func num(d map[string]any, k string) float64 {
	f, _ := numOK(d, k)
	return f
}

func numOK(d map[string]any, k string) (float64, bool) {
	switch v := d[k].(type) {
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case int32:
		return float64(v), true
	case uint64:
		return float64(v), true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	}
	return 0, false
}

func boolean(d map[string]any, k string) bool {
	switch v := d[k].(type) {
	case bool:
		return v
	case string:
		b, _ := strconv.ParseBool(v)
		return b
	}
	return false
}

func seconds(d map[string]any, k string) time.Duration {
	return time.Duration(num(d, k) * float64(time.Second))
}

func strs(d map[string]any, k string) []string {
	switch v := d[k].(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
		return out
	case string:
		return []string{v}
	}
	return nil
}

// timeOf parses a timestamp field (RFC 3339, as Fly and the journal write them).
func timeOf(d map[string]any, k string) (time.Time, bool) {
	switch v := d[k].(type) {
	case time.Time:
		return v, !v.IsZero()
	case string:
		t, err := time.Parse(time.RFC3339Nano, v)
		return t, err == nil
	}
	return time.Time{}, false
}
