package flyapi

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func machineFixture(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/machine.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeMachineFixture(t *testing.T) {
	m, err := DecodeMachine(machineFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "148ed726c1e589" || m.State != "started" || m.Region != "nrt" || m.HostStatus != "ok" {
		t.Errorf("identity fields: %+v", m)
	}
	if m.ImageRef.String() != "registry.fly.io/autonomath-api:deployment-01KR8S4VVCTB5QG1EWDT88AGK0" {
		t.Errorf("ImageRef.String() = %q", m.ImageRef.String())
	}
	if m.ImageRef.Labels["fly.version"] != "7" || m.Config.Metadata["fly_process_group"] != "app" {
		t.Errorf("labels/metadata lost: %+v %+v", m.ImageRef.Labels, m.Config.Metadata)
	}
	if len(m.Checks) != 1 || m.Checks[0].Name != "servicecheck-00-http-8080" {
		t.Errorf("checks = %+v, want only the servicecheck (compat check dropped)", m.Checks)
	}
	if want := time.Date(2026, 5, 11, 3, 5, 38, 123e6, time.UTC); !m.Checks[0].UpdatedAt.Equal(want) {
		t.Errorf("check updated_at = %v, want %v", m.Checks[0].UpdatedAt, want)
	}
	if p, tot := m.ChecksPassing(); p != 0 || tot != 1 {
		t.Errorf("ChecksPassing = %d/%d, want 0/1", p, tot)
	}
	sc := m.Config.Services[0].Checks[0]
	if sc.Timeout.Std() != 5*time.Second || sc.Interval.Std() != 30*time.Second || sc.Path != "/healthz" || sc.Port != 8080 {
		t.Errorf("service check = %+v", sc)
	}
	if g := m.GracePeriod(time.Second); g != 90*time.Second {
		t.Errorf("GracePeriod = %v, want the longest, 1m30s", g)
	}
	if ls := m.LastStart(); !ls.Equal(time.UnixMilli(1778468726615)) {
		t.Errorf("LastStart = %v, want the newest start event", ls)
	}
	out, _ := json.Marshal(m)
	if strings.Contains(string(out), "hunter2") || strings.Contains(string(out), "DATABASE_PASSWORD") {
		t.Errorf("config.env survived decoding: %s", out)
	}
}

func TestMachineHelpers(t *testing.T) {
	def := 7 * time.Second
	tests := []struct {
		name      string
		m         Machine
		grace     time.Duration
		lastStart time.Time
		passing   [2]int
	}{
		{"empty", Machine{}, def, time.Time{}, [2]int{0, 0}},
		{"updated_at fallback", Machine{UpdatedAt: "2026-05-11T02:35:26Z", CreatedAt: "2026-05-11T02:30:10Z"},
			def, time.Date(2026, 5, 11, 2, 35, 26, 0, time.UTC), [2]int{0, 0}},
		{"created_at fallback", Machine{UpdatedAt: "garbage", CreatedAt: "2026-05-11T02:30:10Z"},
			def, time.Date(2026, 5, 11, 2, 30, 10, 0, time.UTC), [2]int{0, 0}},
		{"events unordered", Machine{Events: []MachineEvent{{Type: "start", Timestamp: 1000}, {Type: "exit", Timestamp: 9000}, {Type: "start", Timestamp: 5000}}},
			def, time.UnixMilli(5000), [2]int{0, 0}},
		{"checks mixed", Machine{Checks: []CheckStatus{{Status: "passing"}, {Status: "warning"}, {Status: "critical"}, {Status: "passing"}}},
			def, time.Time{}, [2]int{2, 4}},
		{"zero grace keeps default", Machine{Config: &MachineConfig{Services: []Service{{Checks: []ServiceCheck{{}}}}}},
			def, time.Time{}, [2]int{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if g := tt.m.GracePeriod(def); g != tt.grace {
				t.Errorf("GracePeriod = %v, want %v", g, tt.grace)
			}
			if ls := tt.m.LastStart(); !ls.Equal(tt.lastStart) {
				t.Errorf("LastStart = %v, want %v", ls, tt.lastStart)
			}
			if p, n := tt.m.ChecksPassing(); p != tt.passing[0] || n != tt.passing[1] {
				t.Errorf("ChecksPassing = %d/%d, want %d/%d", p, n, tt.passing[0], tt.passing[1])
			}
		})
	}
}

func TestMatchesImage(t *testing.T) {
	const digest = "sha256:de7c3283e97e632ac22da59b4b1300a5f457e01ee152404d977a81a71ff5a11e"
	r := ImageRef{Registry: "registry.fly.io", Repository: "autonomath-api", Tag: "deployment-01KR", Digest: digest}
	tests := []struct {
		ref  string
		want bool
	}{
		{digest, true},
		{strings.ToUpper(digest[:7]) + digest[7:], true},
		{"sha256:0000", false},
		{"registry.fly.io/autonomath-api:deployment-01KR", true},
		{"registry.fly.io/autonomath-api:deployment-01KR@" + digest, true},
		{"registry.fly.io/autonomath-api:deployment-01KR@sha256:0000", false},
		{"autonomath-api:deployment-01KR", true},
		{"autonomath-api:deployment-01KR@" + digest, true},
		{"autonomath-api@" + digest, true},
		{"other-app@" + digest, false},
		{"deployment-01KR", true},
		{"deployment-02XX", false},
		{"autonomath-api:deployment-02XX", false},
		{"docker.io/autonomath-api:deployment-01KR", false},
		{"registry.fly.io/autonomath-api", true},
		{"", false},
		{"  ", false},
	}
	for _, tt := range tests {
		if got := r.MatchesImage(tt.ref); got != tt.want {
			t.Errorf("MatchesImage(%q) = %v, want %v", tt.ref, got, tt.want)
		}
	}
	if got := r.Ref(); got != "registry.fly.io/autonomath-api:deployment-01KR@"+digest {
		t.Errorf("Ref() = %q", got)
	}
	// With no image_ref, config.image stands in.
	m := Machine{Config: &MachineConfig{Image: "registry.fly.io/autonomath-api:deployment-01KR"}}
	if !m.MatchesImage("autonomath-api:deployment-01KR") || m.MatchesImage(digest) {
		t.Error("Machine.MatchesImage does not fall back to config.image")
	}
	if m.Image() != "registry.fly.io/autonomath-api:deployment-01KR" {
		t.Errorf("Image() = %q", m.Image())
	}
}

func TestParseImageRef(t *testing.T) {
	tests := []struct {
		in   string
		want ImageRef
	}{
		{"registry.fly.io/app:tag@sha256:ab", ImageRef{Registry: "registry.fly.io", Repository: "app", Tag: "tag", Digest: "sha256:ab"}},
		{"localhost:5000/team/app:v1", ImageRef{Registry: "localhost:5000", Repository: "team/app", Tag: "v1"}},
		{"team/app", ImageRef{Repository: "team/app"}},
		{"app:v1", ImageRef{Repository: "app", Tag: "v1"}},
		{"sha256:ab", ImageRef{Digest: "sha256:ab"}},
	}
	for _, tt := range tests {
		got := ParseImageRef(tt.in)
		if got.Registry != tt.want.Registry || got.Repository != tt.want.Repository || got.Tag != tt.want.Tag || got.Digest != tt.want.Digest {
			t.Errorf("ParseImageRef(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{`"15s"`, 15 * time.Second, false},
		{`"1m30s"`, 90 * time.Second, false},
		{`60000000000`, time.Minute, false}, // a bare number is nanoseconds, as in fly-go
		{`5000`, 5 * time.Microsecond, false},
		{`"2500"`, 2500 * time.Nanosecond, false},
		{`1.5`, time.Nanosecond, false}, // fly-go truncates a float to whole nanoseconds
		{`0`, 0, false},
		{`null`, 0, false},
		{`""`, 0, false},
		{`"soon"`, 0, true},
		{`1e300`, 0, true},
		{`true`, 0, true},
	}
	for _, tt := range tests {
		var d Duration
		err := json.Unmarshal([]byte(tt.in), &d)
		if (err != nil) != tt.wantErr || d.Std() != tt.want {
			t.Errorf("Duration(%s) = %v, %v; want %v, err %v", tt.in, d.Std(), err, tt.want, tt.wantErr)
		}
	}
	out, _ := json.Marshal(Duration(15 * time.Second))
	if string(out) != `"15s"` {
		t.Errorf("Marshal = %s, want \"15s\"", out)
	}
}

func TestDecodeMachinesRejects(t *testing.T) {
	tests := map[string]string{
		"empty":        "",
		"object":       `{"id":"x"}`,
		"truncated":    `[{"id":"148ed726c1e589","state":"sta`,
		"html":         `<html>502 Bad Gateway</html>`,
		"no id":        `[{"state":"started"}]`,
		"wrong type":   `[{"id":"x","events":[{"timestamp":"yesterday"}]}]`,
		"null":         `null`,
		"bad duration": `[{"id":"x","config":{"services":[{"checks":[{"grace_period":"forever"}]}]}}]`,
	}
	for name, body := range tests {
		_, err := DecodeMachines([]byte(body))
		var de *DecodeError
		if !errors.As(err, &de) || !strings.Contains(err.Error(), "machines API returned a body that is not machine JSON") {
			t.Errorf("%s: err = %v, want a *DecodeError", name, err)
		}
	}
	if ms, err := DecodeMachines([]byte(" [] ")); err != nil || ms == nil || len(ms) != 0 {
		t.Errorf("empty list: %v, %v; want an empty non-nil slice", ms, err)
	}
}
