package flysim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Deploy timing, in simulated time.
const (
	defaultBuildFor = 60 * time.Second // remote build and push
	leaseBefore     = time.Second      // lease acquired this long before a replacement
	perMachine      = 16 * time.Second // one machine's turn in the rolling update
	waitTimeout     = 5 * time.Minute  // flyctl's default --wait-timeout
	firstGap        = 2 * time.Second  // build done → first lease
	imageSize       = "317 MB"
)

// DeployStatus is the control API's view of a rolling deploy
// (GET /_sim/apps/{app}/deploy).
type DeployStatus struct {
	ID        string          `json:"id"`
	App       string          `json:"app"`
	Outcome   string          `json:"outcome"` // fixed | unguarded | build-failed | health-timeout
	Phase     string          `json:"phase"`   // building | updating | done | failed | interrupted
	Image     string          `json:"image"`   // registry.fly.io/APP:deployment-…
	Tag       string          `json:"tag"`
	Digest    string          `json:"digest"`
	ImageSize string          `json:"image_size"`
	Prebuilt  bool            `json:"prebuilt"` // a pre-built image: nothing was built
	StartedAt string          `json:"started_at"`
	Now       string          `json:"now"`
	Machines  []DeployMachine `json:"machines"`
	Done      bool            `json:"done"`   // finished, successfully or not
	Failed    bool            `json:"failed"` // finished unsuccessfully
	Error     string          `json:"error,omitempty"`
}

// DeployMachine is one machine's step in a deploy.
type DeployMachine struct {
	ID     string `json:"id"`
	Step   string `json:"step"` // pending | lease | replacing | starting | checking | good | updated | failed
	State  string `json:"state"`
	Checks string `json:"checks"` // passing/total, as flyctl machine list shows it
}

type deploy struct {
	id        string
	outcome   string
	started   time.Time
	image     image
	replaceAt map[string]time.Time // machine id → replacement moment
	// printedDigest is the digest flyctl prints: the platform's, unless
	// Quirks.DigestDiffers.
	printedDigest string
	buildFor      time.Duration
	end           time.Time // when it finishes
	canceled      time.Time
}

func (d *deploy) buildDone() time.Time { return d.started.Add(d.buildFor) }

func (s *Server) startDeploy(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Outcome string `json:"outcome"`
		Image   string `json:"image"` // a pre-built image's ref; "" builds one
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if len(body) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			writeError(w, http.StatusBadRequest, "bad deploy request body: "+err.Error())
			return
		}
	}
	if req.Outcome == "" {
		req.Outcome = s.sc.outcome
	}
	switch req.Outcome {
	case OutcomeFixed, OutcomeUnguarded, OutcomeBuildFailed, OutcomeHealthTimeout:
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown outcome %q: want fixed, unguarded, build-failed or health-timeout", req.Outcome))
		return
	}
	now := s.clock.Now()
	s.mu.Lock()
	d, err := s.newDeploy(now, req.Outcome, req.Image)
	var st DeployStatus
	if err == nil {
		st = s.deployStatus(d, now)
	}
	s.mu.Unlock()
	if err != nil {
		writeError(w, http.StatusConflict, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, st)
}

// newDeploy schedules a rolling deploy from now: the boots it causes are
// added to the machines at once and take effect as the clock reaches them.
func (s *Server) newDeploy(now time.Time, outcome, prebuilt string) (*deploy, error) {
	if n := len(s.deploys); n > 0 {
		if last := s.deploys[n-1]; last.canceled.IsZero() && now.Before(last.end) {
			return nil, fmt.Errorf("deploy %s is still running: wait for it or interrupt it first", last.id)
		}
	}
	d := &deploy{id: s.ids.ulid(now), outcome: outcome, started: now, replaceAt: map[string]time.Time{}, buildFor: s.sc.buildFor}
	if d.buildFor == 0 {
		d.buildFor = defaultBuildFor
	}
	d.image = image{tag: "deployment-" + s.ids.ulid(d.buildDone()), digest: s.ids.digest(), guarded: outcome == OutcomeFixed, prebuilt: prebuilt}
	d.printedDigest = d.image.digest
	if s.q.DigestDiffers {
		d.printedDigest = s.ids.digest() // the build's manifest list, not the platform's manifest
	}
	at := d.buildDone().Add(firstGap)
	d.end = d.buildDone()
	if outcome != OutcomeBuildFailed {
		// Machines that rest stopped get the new config and image at once
		// and stay as they are; console and release-command machines are
		// not part of the deploy (docs/fly-platform.md, "Rolling deploy").
		for _, m := range s.machines {
			if m.idle() {
				m.boots = append(m.boots, boot{at: at, quiet: true, image: d.image, instanceID: s.ids.ulid(at), behavior: bootHealthy})
			}
		}
		for i, m := range s.serving() {
			if outcome == OutcomeHealthTimeout && i > 0 {
				break
			}
			b := boot{at: at, replace: true, image: d.image, instanceID: s.ids.ulid(at), behavior: bootWedge}
			if d.image.guarded {
				b.behavior = bootHealthy
			}
			m.boots = append(m.boots, b)
			d.replaceAt[m.id] = at
			d.end = at.Add(perMachine - leaseBefore)
			if outcome == OutcomeHealthTimeout {
				d.end = b.started().Add(waitTimeout)
			}
			at = at.Add(perMachine)
		}
	}
	s.deploys = append(s.deploys, d)
	return d, nil
}

// step is a machine's step in deploy d at t.
func (d *deploy) step(id string, t time.Time) string {
	r, ok := d.replaceAt[id]
	if !ok || t.Before(r.Add(-leaseBefore)) {
		return "pending"
	}
	switch {
	case t.Before(r):
		return "lease"
	case t.Before(r.Add(stopFor)):
		return "replacing"
	case t.Before(r.Add(stopFor + startFor)):
		return "starting"
	}
	started := r.Add(stopFor + startFor)
	switch d.outcome {
	case OutcomeUnguarded:
		return "updated"
	case OutcomeHealthTimeout:
		if t.Before(started.Add(waitTimeout)) {
			return "checking"
		}
		return "failed"
	}
	if t.Before(started.Add(healthyAfter)) {
		return "checking"
	}
	return "good"
}

func (s *Server) deployStatus(d *deploy, now time.Time) DeployStatus {
	t := now
	if !d.canceled.IsZero() && d.canceled.Before(t) {
		t = d.canceled
	}
	st := DeployStatus{
		ID: d.id, App: s.app, Outcome: d.outcome,
		Image: d.image.ref(s.app), Tag: d.image.tag, Digest: d.printedDigest, ImageSize: imageSize, Prebuilt: d.image.prebuilt != "",
		StartedAt: d.started.Format(time.RFC3339Nano), Now: now.Format(time.RFC3339Nano),
		Machines: []DeployMachine{},
	}
	for _, m := range s.serving() {
		snap := m.at(now)
		passing := 0
		if snap.checkStatus == "passing" {
			passing = 1
		}
		st.Machines = append(st.Machines, DeployMachine{ID: m.id, Step: d.step(m.id, t), State: snap.state, Checks: fmt.Sprintf("%d/1", passing)})
	}
	switch {
	case !d.canceled.IsZero():
		st.Phase, st.Done, st.Failed, st.Error = "interrupted", true, true, "context canceled"
	case t.Before(d.buildDone()):
		st.Phase = "building"
	case d.outcome == OutcomeBuildFailed:
		st.Phase, st.Done, st.Failed = "failed", true, true
		st.Error = "failed to fetch an image or build from source: error building: failed to receive status: rpc error: code = Unavailable desc = error reading from server: EOF"
	case t.Before(d.end):
		st.Phase = "updating"
	case d.outcome == OutcomeHealthTimeout:
		id := s.machines[0].id
		st.Phase, st.Done, st.Failed = "failed", true, true
		st.Error = fmt.Sprintf("timeout reached waiting for health checks to pass for machine %s: context deadline exceeded", id)
	default:
		st.Phase, st.Done = "done", true
	}
	return st
}

// serving are the machines a deploy replaces one by one and waits for.
func (s *Server) serving() []*machine {
	var out []*machine
	for _, m := range s.machines {
		if m.kind == "" {
			out = append(out, m)
		}
	}
	return out
}

func (s *Server) latestDeploy() (*deploy, error) {
	if len(s.deploys) == 0 {
		return nil, errors.New("no deploy has been started")
	}
	return s.deploys[len(s.deploys)-1], nil
}

func (s *Server) getDeploy(w http.ResponseWriter, r *http.Request) {
	now := s.clock.Now()
	s.mu.Lock()
	d, err := s.latestDeploy()
	var st DeployStatus
	if err == nil {
		st = s.deployStatus(d, now)
	}
	s.mu.Unlock()
	if err != nil {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// cancelDeploy interrupts the running deploy: replacements not yet begun are
// dropped, as when flyctl is killed mid-deploy.
func (s *Server) cancelDeploy(w http.ResponseWriter, r *http.Request) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.latestDeploy()
	if err != nil {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	s.cancel(d, now)
	writeJSON(w, http.StatusOK, s.deployStatus(d, now))
}

// cancel stops d at now, if it still runs: replacements not yet begun are
// dropped. The caller holds s.mu.
func (s *Server) cancel(d *deploy, now time.Time) {
	if d.canceled.IsZero() && now.Before(d.end) {
		d.canceled = now
		for _, m := range s.machines {
			if n := len(m.boots); m.idle() && n > 1 && m.boots[n-1].at.After(now) {
				m.boots = m.boots[:n-1] // its config update had not happened yet
			}
		}
		for _, m := range s.serving() {
			if at, ok := d.replaceAt[m.id]; ok && at.After(now) {
				m.boots = m.boots[:len(m.boots)-1]
				delete(d.replaceAt, m.id)
			}
		}
	}
}
