package phases_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/clock"
	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flyapi/flyapitest"
	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/verdict"
	"github.com/jpops-dev/jpops/runbook"
)

// deployOutput runs the walk with --force past a fleet still in its grace
// period, deploying with a flyctl that prints script's output and exits
// with code. Before the deploy the machines run the old image; after it,
// after(id) says what each runs.
func deployOutput(t *testing.T, script string, code int, after func(id string) (image, digest string, serving bool)) (phases.Result, []journal.Event) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in flyctl is a shell script")
	}
	dir := t.TempDir()
	writeFlyToml(t, dir)
	flyctl := shellFlyctl(t, dir, "cat <<'EOF' >&2\n"+script+"\nEOF\nexit "+string(rune('0'+code))+"\n")
	start := time.Date(2026, 5, 11, 12, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	var deployed atomic.Bool
	fleet := func() []flyapi.Machine {
		var out []flyapi.Machine
		for _, id := range []string{"a", "b"} {
			m := fleetMachine(id, "started", "critical")
			m.ImageRef = flyapi.ImageRef{Registry: "registry.fly.io", Repository: "autonomath-api", Tag: "deployment-01KROLD", Digest: oldDigest}
			m.Config.Image = "registry.fly.io/autonomath-api:deployment-01KROLD"
			m.Events = []flyapi.MachineEvent{{Type: "start", Timestamp: clk.Now().Add(-10 * time.Second).UnixMilli()}}
			if deployed.Load() {
				img, digest, serving := after(id)
				ref := flyapi.ParseImageRef(img)
				ref.Digest = digest
				m.ImageRef, m.Config.Image = ref, img
				if serving {
					m.Checks[0].Status = flyapi.CheckPassing
				}
			}
			out = append(out, m)
		}
		return out
	}
	fly := &flyapitest.Fly{
		ListMachinesFunc: func(context.Context, string) ([]flyapi.Machine, error) { return fleet(), nil },
		GetLogsFunc: func(context.Context, string, flyapi.LogQuery) (flyapi.LogPage, error) {
			return flyapi.LogPage{Entries: []flyapi.LogEntry{}}, nil
		},
	}
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(app.Close)
	var events []journal.Event
	res, err := phases.Run(context.Background(), phases.Options{
		App: "autonomath-api", Runbook: runbook.Default(), Fly: fly, SmokeURL: app.URL,
		Now: clk.Now, Sleep: clk.Sleep, Flyctl: []string{flyctl}, Dir: dir, Yes: true, Force: true,
		Report: func(e journal.Event) {
			events = append(events, e)
			if e.Kind == journal.KindCommandStart {
				deployed.Store(true) // the deploy updates the machines while it runs
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return res, events
}

func TestPrebuiltImageDeployIsVerified(t *testing.T) {
	const prebuilt = "ghcr.io/acme/autonomath-api:v2"
	tests := []struct {
		name, output string
	}{
		{"flyctl names the image it searched for", "==> Verifying app config\nSearching for image '" + prebuilt + "' remotely...\nimage found: img_0lq747j0ym646x35\nUpdating existing machines in 'autonomath-api' with rolling strategy"},
		{"flyctl names no image at all", "Updating existing machines in 'autonomath-api' with rolling strategy\n✔ [1/2] Machine a is now in a good state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := deployOutput(t, tt.output, 0, func(string) (string, string, bool) { return prebuilt, newDigest, true })
			if res.Verdict != verdict.Recovered {
				t.Fatalf("verdict %s (%s), want RECOVERED: a pre-built image deploy happened", res.Verdict, res.Reason)
			}
			if res.Image != prebuilt {
				t.Errorf("verified image %q, want %q", res.Image, prebuilt)
			}
		})
	}
}

// After a failed rolling deploy some machines may already run the new
// image: jpops says which run what, from the API, never that all still run
// their recorded images.
func TestFailedRollingDeploySaysWhichRunsWhat(t *testing.T) {
	out := "image: registry.fly.io/autonomath-api:" + newTag + "\nUpdating existing machines in 'autonomath-api' with rolling strategy\n✖ Unrecoverable error: timeout reached waiting for health checks to pass\nError: timeout reached waiting for health checks to pass for machine a: context deadline exceeded"
	res, _ := deployOutput(t, out, 1, func(id string) (string, string, bool) {
		if id == "a" {
			return "registry.fly.io/autonomath-api:" + newTag, newDigest, false
		}
		return "registry.fly.io/autonomath-api:deployment-01KROLD", oldDigest, false
	})
	if res.Verdict != verdict.EscapeFailed {
		t.Fatalf("verdict %s, want ESCAPE_FAILED", res.Verdict)
	}
	for _, want := range []string{"a now runs registry.fly.io/autonomath-api:" + newTag + "@" + newDigest, "still on the recorded image: b", "no rollback"} {
		if !strings.Contains(res.Next.Note, want) {
			t.Errorf("next note %q does not say %q", res.Next.Note, want)
		}
	}
	if strings.Contains(res.Next.Note, "the machines still run their recorded images") {
		t.Errorf("next note %q claims every machine still runs its recorded image", res.Next.Note)
	}
	if res.Next.Command != "flyctl releases -a autonomath-api" {
		t.Errorf("next command %q, want the read-only releases list", res.Next.Command)
	}
}
