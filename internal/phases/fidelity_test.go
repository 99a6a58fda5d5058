package phases_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flysim"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/verdict"
)

// notesOf joins the text of every note the walk journaled.
func notesOf(events []journal.Event) string {
	var b strings.Builder
	for _, e := range kinds(events, journal.KindNote) {
		b.WriteString(data[journal.Note](e).Text + "\n")
	}
	return b.String()
}

func smokeDetails(events []journal.Event) string {
	var b strings.Builder
	for _, e := range kinds(events, journal.KindSmokeResult) {
		r := data[journal.SmokeResult](e)
		b.WriteString(r.Machine + " " + r.Check + ": " + r.Detail + "\n")
	}
	return b.String()
}

// Each real-platform behaviour, shown by the simulator, walked end to end
// by the real client, flyctl child and journal: the walk must still recover.
func TestRunRecoversOnRealPlatformBehaviours(t *testing.T) {
	tests := []struct {
		name     string
		scenario string
		cfg      rigConfig
		check    func(t *testing.T, r *rig, res phases.Result)
	}{
		{"an autoscaled fleet", "autoscaled", rigConfig{}, func(t *testing.T, r *rig, res phases.Result) {
			notes := notesOf(r.events())
			for _, m := range r.sim.MachineIDs()[2:5] {
				if !strings.Contains(notes, m+" (") {
					t.Errorf("resting machine %s not journaled as left alone:\n%s", m, notes)
				}
			}
			for _, m := range r.sim.MachineIDs()[5:] {
				if strings.Contains(smokeDetails(r.events()), m) {
					t.Errorf("console or release-command machine %s was judged", m)
				}
			}
			if n := len(res.Machines); n != 5 {
				t.Errorf("phase 1 saw %d machines, want the 5 of the app (no console, no release command)", n)
			}
		}},
		{"warning checks", "db-boot-hang", rigConfig{quirks: flysim.Quirks{WarningChecks: true}}, nil},
		{"integer durations", "db-boot-hang", rigConfig{quirks: flysim.Quirks{IntegerDurations: true}}, nil},
		{"top-level checks", "db-boot-hang", rigConfig{quirks: flysim.Quirks{TopLevelChecks: true, IntegerDurations: true}}, nil},
		{"null log pages", "db-boot-hang", rigConfig{quirks: flysim.Quirks{NullLogPages: true}}, nil},
		{"a digest that is not the platform's", "db-boot-hang", rigConfig{quirks: flysim.Quirks{DigestDiffers: true}}, func(t *testing.T, r *rig, res phases.Result) {
			if !strings.Contains(smokeDetails(r.events()), "tag matches; its digest") {
				t.Errorf("the walk does not say the tag matched and the digest did not:\n%s", smokeDetails(r.events()))
			}
		}},
		{"strict auth with a macaroon", "db-boot-hang", rigConfig{quirks: flysim.Quirks{StrictAuth: true}, token: "fm2_phasesmacaroon"}, nil},
		{"strict auth with a user token", "db-boot-hang", rigConfig{quirks: flysim.Quirks{StrictAuth: true}, token: "fo1_phasesuser"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.scenario, tt.cfg)
			res, err := phases.Run(r.ctx(), r.opts)
			if err != nil || res.Verdict != verdict.Recovered {
				t.Fatalf("verdict %s (%s), err %v; want RECOVERED\n%s", res.Verdict, res.Reason, err, notesOf(r.events()))
			}
			if tt.check != nil {
				tt.check(t, r, res)
			}
		})
	}
}

// A pre-built image (fly.toml [build] image) prints no `image:` line; the
// deploy happened, and the walk verifies the image the machines now run.
func TestRunVerifiesPrebuiltImage(t *testing.T) {
	const prebuilt = "ghcr.io/acme/autonomath-api:v2"
	r := newRig(t, "db-boot-hang")
	if err := os.WriteFile(filepath.Join(r.opts.Dir, "fly.toml"), []byte("app = \"autonomath-api\"\n[build]\n  image = \""+prebuilt+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := phases.Run(r.ctx(), r.opts)
	if err != nil || res.Verdict != verdict.Recovered || res.Image != prebuilt {
		t.Fatalf("verdict %s (%s), image %q, err %v; want RECOVERED on %s", res.Verdict, res.Reason, res.Image, err, prebuilt)
	}
}

// A burst of 5xx from the Machines API during the stability hold outlasts
// the client's retries; the walk retries it, journals it and recovers.
//
// The outage the walk measures is engine time, which is the simulator's:
// the waits between reads, plus the real time the reads take times the
// simulator's speed. At the rig's 600x, 40 failing requests took past the
// 2 minutes smoke.api_outage allows on a loaded machine, so the walk rightly
// failed. Here the simulator runs at 60x (the deploy takes ~1.6 s) and the
// burst is two polls' worth of reads failing after every retry: about 25 s
// of waits, however slow the machine.
func TestRunRidesOut5xxBurstDuringHold(t *testing.T) {
	r := newRig(t, "db-boot-hang", rigConfig{speed: 60})
	burst := false
	r.onEvent = func(e journal.Event) {
		if e.Kind == journal.KindHold && !burst {
			burst = true
			r.sim.SetFaults(flysim.Faults{Status: 503, Count: 2 * (flyapi.DefaultMaxRetries + 1), PathPrefix: "/v1/"})
		}
	}
	res, err := phases.Run(r.ctx(), r.opts)
	if err != nil || res.Verdict != verdict.Recovered {
		t.Fatalf("verdict %s (%s), err %v; want RECOVERED", res.Verdict, res.Reason, err)
	}
	if notes := notesOf(r.events()); !strings.Contains(notes, "cannot read the machines") || !strings.Contains(notes, "readable again") {
		t.Errorf("the outage during the hold was not journaled:\n%s", notes)
	}
}

// What diagnose makes of the platform's other answers.
func TestDiagnoseOnRealPlatformBehaviours(t *testing.T) {
	tests := []struct {
		name     string
		scenario string
		quirks   flysim.Quirks
		want     verdict.Verdict
		health   map[int]string // machine index → health
	}{
		{"no checks configured", "healthy", flysim.Quirks{NoChecks: true}, verdict.Healthy, map[int]string{0: "healthy"}},
		{"a host unreachable", "db-boot-hang", flysim.Quirks{HostStatus: "unreachable"}, verdict.HangConfirmed, map[int]string{0: "unknown", 1: "signature"}},
		{"host status unknown on a healthy app", "healthy", flysim.Quirks{HostStatus: "unknown"}, verdict.Inconclusive, map[int]string{0: "unknown", 1: "healthy"}},
		{"an autoscaled healthy-looking fleet in its hang", "autoscaled", flysim.Quirks{}, verdict.HangConfirmed, map[int]string{2: "idle", 3: "idle", 4: "idle"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.scenario, rigConfig{quirks: tt.quirks})
			d, err := phases.Diagnose(r.ctx(), r.opts)
			if err != nil || d.Verdict != tt.want {
				t.Fatalf("verdict %s (%s), err %v; want %s", d.Verdict, d.Reason, err, tt.want)
			}
			ids := r.sim.MachineIDs()
			for i, want := range tt.health {
				for _, m := range d.Machines {
					if m.ID == ids[i] && m.Health != want {
						t.Errorf("machine %s health %s, want %s", m.ID, m.Health, want)
					}
				}
			}
		})
	}
}
