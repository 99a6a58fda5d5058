package flysim

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	start := time.Date(2026, 5, 11, 12, 0, 0, 0, time.UTC)
	c := NewClock(start, 1000)
	time.Sleep(20 * time.Millisecond)
	if got := c.Now().Sub(start); got < 20*time.Second || got > 10*time.Minute {
		t.Errorf("after 20ms at 1000x, %v passed; want about 20s", got)
	}
	before := c.Now()
	c.Advance(time.Hour)
	if got := c.Now().Sub(before); got < time.Hour {
		t.Errorf("Advance(1h) moved %v", got)
	}
	c.Advance(-time.Hour) // ignored
	if c.Now().Before(before.Add(time.Hour)) {
		t.Error("negative Advance moved the clock back")
	}
	if c.Speed() != 1000 || NewClock(start, 0).Speed() != 1 {
		t.Error("speed not kept or not defaulted")
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	if _, err := New(Options{Scenario: "nope"}); err == nil || !strings.Contains(err.Error(), "db-boot-hang") {
		t.Errorf("unknown scenario: err = %v, want one listing the scenarios", err)
	}
	if _, err := New(Options{Speed: -1}); err == nil {
		t.Error("negative speed accepted")
	}
	for _, name := range Scenarios() {
		if Describe(name) == "" {
			t.Errorf("scenario %s has no description", name)
		}
	}
	s, _ := New(Options{})
	if _, err := s.Start("0.0.0.0:0"); err == nil {
		t.Error("non-loopback listen address accepted")
	}
}

func TestDBBootHangMachines(t *testing.T) {
	_, ts := newSim(t, "db-boot-hang", 1)
	ms := machinesOf(t, ts)
	if len(ms) != 2 {
		t.Fatalf("%d machines, want 2", len(ms))
	}
	hex14 := regexp.MustCompile(`^[0-9a-f]{14}$`)
	if !strings.HasPrefix(ms[0].ID, "85e273f4") {
		t.Errorf("first machine %s, want the post-mortem's 85e273f4…", ms[0].ID)
	}
	for _, m := range ms {
		if !hex14.MatchString(m.ID) || m.Region != "nrt" || m.State != "started" || m.HostStatus != "ok" {
			t.Errorf("machine %+v: want 14-hex id, nrt, started, host_status ok", m)
		}
		if m.Config == nil || m.Config.Metadata["fly_platform_version"] != "v2" || m.Config.Metadata["fly_process_group"] != "app" {
			t.Fatalf("machine %s config/metadata missing: %+v", m.ID, m.Config)
		}
		if g := m.Config.Services[0].Checks[0].GracePeriod; g != "60s" {
			t.Errorf("grace_period %q, want 60s", g)
		}
		if len(m.Checks) != 1 || m.Checks[0].Name != "servicecheck-00-http-8080" || m.Checks[0].Status != "critical" ||
			m.Checks[0].Output != "connect: connection refused" || m.Checks[0].UpdatedAt == "" {
			t.Errorf("checks %+v: want one critical servicecheck with output and updated_at", m.Checks)
		}
		if _, err := time.Parse(time.RFC3339, m.Checks[0].UpdatedAt); err != nil {
			t.Errorf("checks updated_at: %v", err)
		}
		for _, ts := range []string{m.CreatedAt, m.UpdatedAt} {
			if _, err := time.Parse(time.RFC3339, ts); err != nil {
				t.Errorf("timestamp %q: %v", ts, err)
			}
		}
		ir := m.ImageRef
		if ir.Registry != "registry.fly.io" || ir.Repository != "autonomath-api" || !strings.HasPrefix(ir.Tag, "deployment-") ||
			!regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(ir.Digest) || m.Config.Image != "registry.fly.io/autonomath-api:"+ir.Tag {
			t.Errorf("image_ref %+v / config.image %q malformed", ir, m.Config.Image)
		}
		if len(m.Events) < 2 {
			t.Fatalf("events %+v", m.Events)
		}
		for i := 1; i < len(m.Events); i++ {
			if m.Events[i].Timestamp > m.Events[i-1].Timestamp {
				t.Errorf("events not newest first: %+v", m.Events)
			}
		}
	}
	// One machine, and the 404 for an unknown one.
	r := get(t, ts.URL+"/v1/apps/autonomath-api/machines/"+ms[1].ID)
	var one tMachine
	if r.status != 200 || json.Unmarshal(r.body, &one) != nil || one.ID != ms[1].ID {
		t.Errorf("get machine: %d %s", r.status, r.body)
	}
}

func TestScenarioStates(t *testing.T) {
	tests := []struct {
		scenario    string
		states      []string
		checks      string
		exitCodeOne bool
	}{
		{"db-boot-hang", []string{"started", "started"}, "critical", false},
		{"healthy", []string{"started", "started"}, "passing", false},
		{"fix-missing", []string{"started", "started"}, "critical", false},
		{"other-failure", []string{"stopped", "restarting|started"}, "critical", true},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			_, ts := newSim(t, tt.scenario, 1)
			for i, m := range machinesOf(t, ts) {
				if !regexp.MustCompile("^(" + tt.states[i] + ")$").MatchString(m.State) {
					t.Errorf("machine %d state %s, want %s", i, m.State, tt.states[i])
				}
				if m.Checks[0].Status != tt.checks {
					t.Errorf("machine %d check %s, want %s", i, m.Checks[0].Status, tt.checks)
				}
				found := false
				for _, e := range m.Events {
					found = found || (e.Type == "exit" && e.Request != nil && e.Request.ExitEvent.ExitCode == 1)
				}
				if found != tt.exitCodeOne {
					t.Errorf("machine %d exit event with code 1: %v, want %v", i, found, tt.exitCodeOne)
				}
			}
		})
	}
}

func TestLogsOverTime(t *testing.T) {
	s, ts := newSim(t, "db-boot-hang", 1)
	lines, pages := allLogs(t, ts, "")
	if pages < 2 {
		t.Errorf("%d pages, want paging past 100 entries", pages)
	}
	ids := s.MachineIDs()
	for _, id := range ids {
		for _, want := range []string{
			"runner[" + id + "] info INFO Starting init (commit:",
			"[" + id + "] info INFO Preparing to run: `/app/entrypoint.sh` as root",
			"app[" + id + "] info [entrypoint] §2 size-based authoritative: /data/autonomath.db size=9722236928 >= threshold=5000000000 (skip sha256)",
			"app[" + id + "] info [entrypoint] running integrity_check on /data/autonomath.db ...",
			"health[" + id + "] error Health check 'servicecheck-00-http-8080' on port 8080 has failed.",
			"proxy[" + id + "] error [PR04] could not find a good candidate within 40 attempts at load balancing",
		} {
			if countContaining(lines, want) == 0 {
				t.Errorf("no line %q", want)
			}
		}
		// The wedge: after the integrity_check line the app says nothing more.
		seen := false
		for _, l := range lines {
			if strings.Contains(l, "app["+id+"]") {
				if seen {
					t.Errorf("app line after integrity_check: %s", l)
				}
				seen = seen || strings.Contains(l, "running integrity_check")
			}
		}
	}
	if n := countContaining(lines, "skip for", "size-based integrity_check"); n != 0 {
		t.Errorf("%d skip lines in a wedge", n)
	}
	// Filter by instance.
	only, _ := allLogs(t, ts, "instance="+ids[1])
	if len(only) == 0 || countContaining(only, ids[0]) != 0 {
		t.Errorf("instance filter: %d lines, %d of the other machine", len(only), countContaining(only, ids[0]))
	}
	// Time passes: more health lines appear, nothing from the future before.
	health := countContaining(lines, "health[")
	s.Clock().Advance(10 * time.Minute)
	later, _ := allLogs(t, ts, "")
	if got := countContaining(later, "health["); got < health+2*19 {
		t.Errorf("after 10 min: %d health lines, want at least %d", got, health+38)
	}
}

func TestLogsCursor(t *testing.T) {
	s, ts := newSim(t, "db-boot-hang", 1)
	now := s.Clock().Now()
	// A token at "now" sees nothing until time passes; an empty page keeps the token.
	tok := strings.TrimSpace(itoa(now.UnixNano()))
	r := get(t, ts.URL+"/api/v1/apps/autonomath-api/logs?next_token="+tok)
	var l tLogs
	if err := json.Unmarshal(r.body, &l); err != nil || len(l.Data) != 0 || l.Meta.NextToken != tok {
		t.Fatalf("at now: %d entries, token %q (want 0, %q): %v", len(l.Data), l.Meta.NextToken, tok, err)
	}
	s.Clock().Advance(2 * time.Minute)
	r = get(t, ts.URL+"/api/v1/apps/autonomath-api/logs?next_token="+tok)
	json.Unmarshal(r.body, &l)
	if len(l.Data) == 0 {
		t.Fatal("no new lines after 2 simulated minutes")
	}
	for _, e := range l.Data {
		at, _ := time.Parse(time.RFC3339Nano, e.Attributes.Timestamp)
		if !at.After(now) || at.After(s.Clock().Now()) {
			t.Errorf("entry at %v outside (%v, now]", at, now)
		}
	}
	for _, bad := range []string{"abc", "-5", "1e9"} {
		if r := get(t, ts.URL+"/api/v1/apps/autonomath-api/logs?next_token="+bad); r.status != 400 {
			t.Errorf("next_token %q: status %d, want 400", bad, r.status)
		}
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestHealthz(t *testing.T) {
	tests := []struct {
		scenario string
		force    string // "" none, "0"/"1" machine index, else a literal id
		status   int
	}{
		{"db-boot-hang", "0", 503},
		{"db-boot-hang", "", 503},
		{"healthy", "0", 200},
		{"healthy", "1", 200},
		{"healthy", "", 200},
		{"healthy", "00000000000000", 503},
		{"other-failure", "0", 503},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+"/"+tt.force, func(t *testing.T) {
			s, ts := newSim(t, tt.scenario, 1)
			hdr := map[string]string{}
			switch tt.force {
			case "":
			case "0", "1":
				hdr["fly-force-instance-id"] = s.MachineIDs()[tt.force[0]-'0']
			default:
				hdr["fly-force-instance-id"] = tt.force
			}
			r := do(t, "GET", ts.URL+"/app/v1/healthz", "", hdr)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			want := `{"status":"ok"}`
			if tt.status == 503 {
				want = "[PR04] could not find a good candidate within 40 attempts at load balancing"
			}
			if strings.TrimSpace(string(r.body)) != want {
				t.Errorf("body %q, want %q", r.body, want)
			}
			if r.header.Get("fly-request-id") == "" {
				t.Error("no fly-request-id")
			}
		})
	}
}

func TestAuthAndNotFound(t *testing.T) {
	_, ts := newSim(t, "db-boot-hang", 1)
	machines := ts.URL + "/v1/apps/autonomath-api/machines"
	tests := []struct {
		name, url, auth string
		status          int
		body            string
	}{
		{"no token", machines, "", 401, `{"error":"Authenticate: token validation error"}`},
		{"wrong token", machines, "Bearer nope", 401, `{"error":"Authenticate: token validation error"}`},
		{"no scheme", machines, testToken, 401, `{"error":"Authenticate: token validation error"}`},
		{"bearer", machines, "Bearer " + testToken, 200, ""},
		{"flyv1", machines, "FlyV1 " + testToken, 200, ""},
		{"bearer flyv1", machines, "Bearer FlyV1 " + testToken, 200, ""},
		{"logs no token", ts.URL + "/api/v1/apps/autonomath-api/logs?next_token=", "", 401, `{"error":"Authenticate: token validation error"}`},
		{"control no token", ts.URL + "/_sim/apps/autonomath-api/deploy", "", 401, `{"error":"Authenticate: token validation error"}`},
		{"unknown app", ts.URL + "/v1/apps/other/machines", "Bearer " + testToken, 404, `{"error":"app not found"}`},
		{"unknown app logs", ts.URL + "/api/v1/apps/other/logs", "Bearer " + testToken, 404, `{"error":"app not found"}`},
		{"unknown machine", machines + "/0123456789abcd", "Bearer " + testToken, 404, `{"error":"machine not found"}`},
		{"get app", ts.URL + "/v1/apps/autonomath-api", "Bearer " + testToken, 200, ""},
		{"unknown path", ts.URL + "/v2/nothing", "Bearer " + testToken, 404, `{"error":"not found"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, "GET", tt.url, tt.auth, nil)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.body != "" && strings.TrimSpace(string(r.body)) != tt.body {
				t.Errorf("body %s, want %s", r.body, tt.body)
			}
			if r.header.Get("fly-request-id") == "" {
				t.Error("no fly-request-id header")
			}
		})
	}
	// Any non-empty token works when none is configured.
	open, _ := New(Options{})
	if !open.authorized("Bearer whatever") || open.authorized("Bearer ") || open.authorized("") {
		t.Error("open server: wrong token rule")
	}
}

func TestWait(t *testing.T) {
	s, ts := newSim(t, "db-boot-hang", 600)
	base := ts.URL + "/v1/apps/autonomath-api/machines/" + s.MachineIDs()[0] + "/wait"
	var m []tMachine = machinesOf(t, ts)
	tests := []struct {
		query  string
		status int
	}{
		{"?state=started", 200},
		{"?state=settled&timeout=5", 200},
		{"?state=started&version=" + m[0].InstanceID, 200},
		{"?state=started&instance_id=" + m[0].InstanceID, 200},
		{"?state=stopped&timeout=5", 408},
		{"?state=started&version=01AAAAAAAAAAAAAAAAAAAAAAAA", 404},
		{"?state=bogus", 400},
		{"?timeout=0", 400},
		{"?timeout=x", 400},
	}
	for _, tt := range tests {
		start := time.Now()
		r := get(t, base+tt.query)
		if r.status != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.query, r.status, tt.status, r.body)
		}
		if time.Since(start) > 2*time.Second {
			t.Errorf("%s took %v", tt.query, time.Since(start))
		}
	}
}
