package flysim

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// State is what a simulated platform needs to pick up where it was: every
// machine's state is a function of the scenario, the clock and the deploys,
// so these few facts rebuild it exactly (the ids are seeded by scenario and
// app, and replaying the deploys in order draws the same ones again). A
// drill saves it beside its journal, so jpops resume can continue the drill.
type State struct {
	Scenario string        `json:"scenario"`
	App      string        `json:"app"`
	Speed    float64       `json:"speed"`
	Start    time.Time     `json:"start"` // the scenario's start, simulated
	Now      time.Time     `json:"now"`   // simulated time when saved
	Deploys  []DeployState `json:"deploys,omitempty"`
	Requests int           `json:"requests,omitempty"` // the flaky-api pattern's position
	LogsSeen int           `json:"logs_seen,omitempty"`
}

// DeployState is one deploy: when it started, what it does, when it was
// interrupted (zero if never).
type DeployState struct {
	Started  time.Time `json:"started"`
	Outcome  string    `json:"outcome"`
	Prebuilt string    `json:"prebuilt,omitempty"` // flyctl deploy --image
	Canceled time.Time `json:"canceled,omitzero"`
}

// State returns the platform's state now.
func (s *Server) State() State {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{Scenario: s.sc.name, App: s.app, Speed: s.clock.Speed(), Start: s.start, Now: now, Requests: s.requests, LogsSeen: s.logsSeen}
	for _, d := range s.deploys {
		st.Deploys = append(st.Deploys, DeployState{Started: d.started, Outcome: d.outcome, Prebuilt: d.image.prebuilt, Canceled: d.canceled})
	}
	return st
}

// Restore rebuilds a platform from a saved State; its clock goes on from
// st.Now (the time jpops was away does not pass), and it accepts token.
func Restore(st State, token string) (*Server, error) {
	if st.Now.Before(st.Start) {
		return nil, fmt.Errorf("simulated platform state: now %s is before the start %s", st.Now, st.Start)
	}
	s, err := New(Options{Scenario: st.Scenario, App: st.App, Speed: st.Speed, Start: st.Start, Token: token})
	if err != nil {
		return nil, err
	}
	s.clock.Advance(st.Now.Sub(st.Start))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.logsSeen = st.Requests, st.LogsSeen
	for i, rec := range st.Deploys {
		d, err := s.newDeploy(rec.Started, rec.Outcome, rec.Prebuilt)
		if err != nil {
			return nil, fmt.Errorf("simulated platform state: deploy %d: %w", i+1, err)
		}
		if !rec.Canceled.IsZero() {
			s.cancel(d, rec.Canceled)
		}
	}
	return s, nil
}

// SaveState writes st to path atomically (mode 0600).
func SaveState(path string, st State) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("save the simulated platform: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save the simulated platform: %w", err)
	}
	return nil
}

// LoadState reads a State saved by SaveState.
func LoadState(path string) (State, error) {
	var st State
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return st, fmt.Errorf("no saved simulated platform at %s", path)
		}
		return st, err
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("simulated platform state %s: %w", path, err)
	}
	return st, nil
}

// Replaced reports how many machines the latest deploy has replaced by now
// (their new boot has begun).
func (s *Server) Replaced() int {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.deploys) == 0 {
		return 0
	}
	d := s.deploys[len(s.deploys)-1]
	n := 0
	for _, at := range d.replaceAt {
		if !at.After(now) {
			n++
		}
	}
	return n
}

// Interrupt stops the latest deploy now, as flyctl's Ctrl-C does.
func (s *Server) Interrupt() {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.deploys) > 0 {
		s.cancel(s.deploys[len(s.deploys)-1], now)
	}
}
