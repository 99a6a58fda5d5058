package conformance_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flyctl"
	"github.com/jpops-dev/jpops/internal/health"
	"github.com/jpops-dev/jpops/runbook"
)

// sample is one wire sample: where its shape comes from, and the body.
type sample struct {
	Source string          `json:"source"`
	Body   json.RawMessage `json:"body"`
}

func load(t *testing.T, name string) sample {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var s sample
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !strings.Contains(s.Source, ".go") && !strings.Contains(s.Source, ".markerb") && !strings.Contains(s.Source, ".md") {
		t.Fatalf("%s does not name the Fly file it comes from: %q", name, s.Source)
	}
	return s
}

func machines(t *testing.T, name string) []flyapi.Machine {
	t.Helper()
	ms, err := flyapi.DecodeMachines(load(t, name).Body)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ms
}

var now = time.Date(2026, 5, 11, 4, 0, 0, 0, time.UTC)

func rules() runbook.Checks { return runbook.Default().Checks }

// Every machine state the platform documents decodes, and each is classed:
// transient ones as "wait and look again", never as another failure.
func TestMachineStates(t *testing.T) {
	want := map[string]health.Class{
		"created": health.Idle, "started": health.Healthy, "stopped": health.Idle, "suspended": health.Idle, "failed": health.Unhealthy,
		"creating": health.Transient, "starting": health.Transient, "stopping": health.Transient, "restarting": health.Transient,
		"suspending": health.Transient, "launch_failed": health.Transient, "updating": health.Transient, "replacing": health.Transient,
		"replaced": health.Unknown, "migrated": health.Unknown,
	}
	ms := machines(t, "machines-every-state.json")
	if len(ms) != 17 {
		t.Fatalf("%d machines decoded, want 17", len(ms))
	}
	for i := range ms {
		m := &ms[i]
		if m.State == "destroyed" || m.State == "destroying" {
			if health.InApp(m) {
				t.Errorf("%s machine counted as part of the app", m.State)
			}
			continue
		}
		if got := health.Of(m, rules(), now).Class; got != want[m.State] {
			t.Errorf("state %s classed %s, want %s", m.State, got, want[m.State])
		}
		if m.ImageRef.Digest == "" || m.Conf().Image == "" || m.LastStart().IsZero() {
			t.Errorf("state %s: image_ref, config or events not decoded: %+v", m.State, m)
		}
	}
}

func TestCheckStatuses(t *testing.T) {
	m := machines(t, "checks-every-status.json")[0]
	if len(m.Checks) != 3 {
		t.Fatalf("checks %+v: want passing, warning and critical, the compat check dropped", m.Checks)
	}
	if p, n := m.ChecksPassing(); p != 1 || n != 3 {
		t.Errorf("passing %d/%d, want 1/3: warning is not passing", p, n)
	}
	if c := health.Of(&m, rules(), now).Class; c != health.Signature {
		t.Errorf("started, 1/3 passing for most of an hour: classed %s, want signature", c)
	}
}

func TestHostUnreachable(t *testing.T) {
	m := machines(t, "machine-host-unreachable.json")[0]
	if m.Config != nil || m.Conf() == nil || m.Conf().Image == "" || m.HostStatus != "unreachable" {
		t.Fatalf("config %v, incomplete_config %v, host_status %q", m.Config, m.Conf(), m.HostStatus)
	}
	if !health.Deployed(&m) {
		t.Error("metadata not read from incomplete_config")
	}
	if c := health.Of(&m, rules(), now).Class; c != health.Unknown {
		t.Errorf("classed %s, want unknown", c)
	}
}

func TestDurations(t *testing.T) {
	m := machines(t, "machine-durations.json")[0]
	c := m.Config.Services[0].Checks
	if c[0].GracePeriod.Std() != time.Minute || c[0].Interval.Std() != 15*time.Second || c[0].Timeout.Std() != 5*time.Second {
		t.Errorf("integer nanoseconds read as %v/%v/%v, want 1m/15s/5s", c[0].GracePeriod.Std(), c[0].Interval.Std(), c[0].Timeout.Std())
	}
	if c[1].GracePeriod.Std() != 30*time.Second || c[1].Timeout.Std() != 0 {
		t.Errorf("float nanoseconds and null read as %v and %v", c[1].GracePeriod.Std(), c[1].Timeout.Std())
	}
	if g := m.GracePeriod(time.Second); g != 5*time.Minute {
		t.Errorf("grace %v, want the top-level check's 5m", g)
	}
}

func TestAutoscaledFleet(t *testing.T) {
	ms := machines(t, "machines-autoscaled.json")
	want := []struct {
		inApp bool
		class health.Class
	}{{true, health.Idle}, {true, health.Idle}, {false, ""}, {false, ""}, {true, health.Unhealthy}}
	for i := range ms {
		m := &ms[i]
		if health.InApp(m) != want[i].inApp {
			t.Errorf("machine %s (%s): in app %v, want %v", m.ID, m.Metadata("fly_process_group"), health.InApp(m), want[i].inApp)
			continue
		}
		if want[i].inApp {
			if c := health.Of(m, rules(), now).Class; c != want[i].class {
				t.Errorf("machine %s classed %s, want %s", m.ID, c, want[i].class)
			}
		}
	}
	if ms[0].Events[0].Request == nil || !ms[0].Events[0].Request.ExitEvent.RequestedStop {
		t.Errorf("exit event not decoded: %+v", ms[0].Events[0])
	}
}

func TestLogsPages(t *testing.T) {
	for _, tt := range []struct {
		name    string
		entries int
	}{{"logs-page.json", 2}, {"logs-empty.json", 0}, {"logs-data-null.json", 0}} {
		page, err := flyapi.DecodeLogs(load(t, tt.name).Body)
		if err != nil || len(page.Entries) != tt.entries || page.NextToken != "1778468728000000000" {
			t.Errorf("%s: %d entries, next %q, err %v; want %d entries", tt.name, len(page.Entries), page.NextToken, err, tt.entries)
		}
	}
	page, _ := flyapi.DecodeLogs(load(t, "logs-page.json").Body)
	if e := page.Entries[1]; e.Provider != "health" || e.Instance != "148ed726c1e589" || e.Region != "nrt" {
		t.Errorf("entry %+v: provider, instance or region not read", e)
	}
}

// deployOutput reads a deploy sample: a source line, "---", then the output.
func deployOutput(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var lines []string
	sc.Scan()
	if src := sc.Text(); !strings.HasPrefix(src, "source: ") || !strings.Contains(src, ".go") {
		t.Fatalf("%s does not name its source: %q", name, src)
	}
	sc.Scan()
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

func TestDeployOutput(t *testing.T) {
	const digest = "sha256:de7c3283e97e632ac22da59b4b1300a5f457e01ee152404d977a81a71ff5a11e"
	for _, tt := range []struct {
		name, image, digest string
	}{
		{"deploy-build.txt", "registry.fly.io/autonomath-api:deployment-01KR8S4VVCTB5QG1EWDT88AGK0", digest},
		{"deploy-docker-push.txt", "registry.fly.io/autonomath-api:deployment-01KR8S4VVCTB5QG1EWDT88AGK0", digest},
		{"deploy-prebuilt.txt", "ghcr.io/acme/autonomath-api:v2", ""},
	} {
		var image, dig string
		for _, l := range deployOutput(t, tt.name) {
			if v, ok := flyctl.ParseImage(l); ok {
				image = v
			}
			if v, ok := flyctl.ParseDigest(l); ok {
				dig = v
			}
		}
		if image != tt.image || dig != tt.digest {
			t.Errorf("%s: image %q digest %q, want %q %q", tt.name, image, dig, tt.image, tt.digest)
		}
	}
}
