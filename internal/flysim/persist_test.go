package flysim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"
)

// machineFacts are the parts of a machine that must survive a save and a
// restore: who it is, what it runs, and how it stands.
func machineFacts(t *testing.T, ts *httptest.Server) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range machinesOf(t, ts) {
		out[m.ID] = m.State + " " + m.InstanceID + " " + m.ImageRef.Tag + "@" + m.ImageRef.Digest
	}
	return out
}

// TestStateRestoresAnInterruptedRollout stops a rollout after one machine,
// saves the platform, restores it behind a new server and token, and
// checks it is the same platform: same machines on the same images, the
// same deploy interrupted, and it can go on (a second deploy finishes).
func TestStateRestoresAnInterruptedRollout(t *testing.T) {
	s, ts := newSim(t, "interrupted", 1)
	if !InterruptsMidRollout("interrupted") || InterruptsMidRollout("db-boot-hang") {
		t.Fatal("only the interrupted scenario stops jpops mid-rollout")
	}
	if r := do(t, http.MethodPost, ts.URL+"/_sim/apps/autonomath-api/deploy", "Bearer "+testToken, nil); r.status != http.StatusCreated {
		t.Fatalf("start deploy: %d %s", r.status, r.body)
	}
	s.Clock().Advance(defaultBuildFor + firstGap + stopFor + startFor + time.Second)
	if n := s.Replaced(); n != 1 {
		t.Fatalf("%d machines replaced, want 1 after the first turn", n)
	}
	s.Interrupt()
	before := machineFacts(t, ts)

	path := filepath.Join(t.TempDir(), "sim.json")
	if err := SaveState(path, s.State()); err != nil {
		t.Fatal(err)
	}
	st, err := LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Restore(st, "another-token")
	if err != nil {
		t.Fatal(err)
	}
	ts2 := httptest.NewServer(r.Handler())
	t.Cleanup(ts2.Close)
	if got := r.Clock().Now(); got.Before(st.Now) || got.Sub(st.Now) > time.Minute {
		t.Errorf("the restored clock reads %s, want from %s on", got, st.Now)
	}
	if n := r.Replaced(); n != 1 {
		t.Errorf("the restored platform has %d machines replaced, want 1", n)
	}
	after := map[string]string{}
	for _, m := range machinesOfToken(t, ts2, "another-token") {
		after[m.ID] = m.State + " " + m.InstanceID + " " + m.ImageRef.Tag + "@" + m.ImageRef.Digest
	}
	for id, want := range before {
		if after[id] != want {
			t.Errorf("machine %s after restore: %q, want %q", id, after[id], want)
		}
	}
	var tags = map[string]bool{}
	for _, f := range after {
		tags[f] = true
	}
	if len(tags) != 2 {
		t.Errorf("want one machine on the new image and one on the old after the interrupted rollout: %v", after)
	}

	// The restored platform goes on: a new deploy replaces both machines.
	req, _ := http.NewRequest(http.MethodPost, ts2.URL+"/_sim/apps/autonomath-api/deploy", nil)
	req.Header.Set("Authorization", "Bearer another-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("a deploy on the restored platform: %v %v", err, resp)
	}
	resp.Body.Close()
	r.Clock().Advance(defaultBuildFor + firstGap + 2*perMachine + healthyAfter + time.Minute)
	if n := r.Replaced(); n != 2 {
		t.Errorf("the second deploy replaced %d machines, want 2", n)
	}
}

func TestLoadStateRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadState(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("LoadState of a missing file succeeded")
	}
	bad := filepath.Join(dir, "bad.json")
	if err := SaveState(bad, State{Scenario: "nope", Start: DefaultStart, Now: DefaultStart}); err != nil {
		t.Fatal(err)
	}
	st, err := LoadState(bad)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(st, "t"); err == nil {
		t.Error("Restore of an unknown scenario succeeded")
	}
	if _, err := Restore(State{Scenario: "db-boot-hang", Start: DefaultStart, Now: DefaultStart.Add(-time.Hour)}, "t"); err == nil {
		t.Error("Restore of a clock before its start succeeded")
	}
}

func machinesOfToken(t *testing.T, ts *httptest.Server, token string) []tMachine {
	t.Helper()
	r := do(t, http.MethodGet, ts.URL+"/v1/apps/autonomath-api/machines", "Bearer "+token, nil)
	if r.status != 200 {
		t.Fatalf("list machines: %d %s", r.status, r.body)
	}
	var ms []tMachine
	if err := json.Unmarshal(r.body, &ms); err != nil {
		t.Fatal(err)
	}
	return ms
}
