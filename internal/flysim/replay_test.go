package flysim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The replay plays 2026-05-11 with the post-mortem's own facts: 85e273f4
// cold-boots at 11:40 into integrity_check, a second nrt machine follows,
// the proxy answers PR04, the remote build takes 15 minutes, and the first
// machine on the new image logs the size-based skip.
func TestReplayScenario(t *testing.T) {
	s, ts := newSim(t, ReplayScenario, 1)
	if got := s.Clock().Now(); got.Sub(ReplayStart) < 0 || got.Sub(ReplayStart) > time.Minute {
		t.Fatalf("replay starts at %v, want %v whatever Options.Start says", got, ReplayStart)
	}
	s.Clock().Advance(6 * time.Minute)

	started := map[string]time.Time{}
	for _, id := range s.MachineIDs() {
		at, line := firstLogLine(t, ts.URL, id, "running integrity_check on /data/autonomath.db")
		if at.IsZero() {
			t.Fatalf("machine %s never logs the integrity_check start", id)
		}
		started[id] = at
		t.Logf("%s %s: %s", at.Format("15:04:05"), id, line)
	}
	first, second := started["85e273f4b1c638"], started[s.MachineIDs()[1]]
	if first.Format("15:04") != "11:40" {
		t.Errorf("85e273f4 starts integrity_check at %v, want 11:40", first)
	}
	if !second.After(first) {
		t.Errorf("the second machine starts at %v, not after the first (%v)", second, first)
	}
	for _, m := range machinesOf(t, ts) {
		if m.Region != "nrt" || m.State != "started" || m.Checks[0].Status != "critical" {
			t.Errorf("machine %s: %s %s %s, want nrt started critical", m.ID, m.Region, m.State, m.Checks[0].Status)
		}
	}
	if r := do(t, http.MethodGet, ts.URL+"/app/v1/healthz", "", nil); r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body)+r.header.Get("fly-proxy-error"), "PR04") {
		t.Errorf("the proxy answers %d %q, want 503 with PR04", r.status, r.body)
	}

	r := do(t, http.MethodPost, ts.URL+"/_sim/apps/autonomath-api/deploy", "Bearer "+testToken, nil)
	if r.status != http.StatusCreated {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	phase := func() string {
		var st DeployStatus
		if err := json.Unmarshal(get(t, ts.URL+"/_sim/apps/autonomath-api/deploy").body, &st); err != nil {
			t.Fatal(err)
		}
		return st.Phase
	}
	s.Clock().Advance(14*time.Minute + 50*time.Second)
	if p := phase(); p != "building" {
		t.Errorf("14m50s into the deploy: %s, want still building (the build takes 15 minutes)", p)
	}
	s.Clock().Advance(5 * time.Minute)
	if p := phase(); p != "done" {
		t.Errorf("20 minutes into the deploy: %s, want done", p)
	}
	at, _ := firstLogLine(t, ts.URL, "85e273f4b1c638", "size-based integrity_check skip for /data/autonomath.db")
	if at.IsZero() || at.Before(first.Add(20*time.Minute)) {
		t.Errorf("the first machine on the new image logs the size-based skip at %v, want after the build", at)
	}
}

// firstLogLine pages through a machine's logs and returns the first line
// holding sub, with its timestamp.
func firstLogLine(t *testing.T, base, machine, sub string) (time.Time, string) {
	t.Helper()
	token := ""
	for range 1000 {
		r := get(t, base+"/api/v1/apps/autonomath-api/logs?instance="+machine+"&next_token="+token)
		var l tLogs
		if err := json.Unmarshal(r.body, &l); err != nil || r.status != http.StatusOK {
			t.Fatalf("logs: %d %v %s", r.status, err, r.body)
		}
		if len(l.Data) == 0 {
			return time.Time{}, ""
		}
		for _, e := range l.Data {
			if strings.Contains(e.Attributes.Message, sub) {
				at, err := time.Parse(time.RFC3339Nano, e.Attributes.Timestamp)
				if err != nil {
					t.Fatal(err)
				}
				return at, e.Attributes.Message
			}
		}
		token = l.Meta.NextToken
	}
	t.Fatal("logs never end")
	return time.Time{}, ""
}
