package phases_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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

const (
	newTag    = "deployment-01KRNEW"
	newDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	oldDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
)

// fleetMachine is one Fly Launch machine of the app on the new image.
func fleetMachine(id, state string, checks ...string) flyapi.Machine {
	m := flyapi.Machine{ID: id, State: state, Region: "nrt", HostStatus: "ok",
		ImageRef: flyapi.ImageRef{Registry: "registry.fly.io", Repository: "autonomath-api", Tag: newTag, Digest: newDigest},
		Config: &flyapi.MachineConfig{Image: "registry.fly.io/autonomath-api:" + newTag,
			Metadata: map[string]string{"fly_platform_version": "v2", "fly_process_group": "app"},
			Services: []flyapi.Service{{Checks: []flyapi.ServiceCheck{{Type: "http"}}}}},
	}
	for _, c := range checks {
		m.Checks = append(m.Checks, flyapi.CheckStatus{Name: "servicecheck-00-http-8080", Status: c})
	}
	return m
}

func stoppedCleanly(m flyapi.Machine) flyapi.Machine {
	m.Events = []flyapi.MachineEvent{{Type: "exit", Status: "stopped", Timestamp: 1,
		Request: &flyapi.EventRequest{ExitEvent: &flyapi.ExitEvent{ExitCode: 0, RequestedStop: true}}}}
	return m
}

type smokeRun struct {
	res    phases.Result
	events []journal.Event
	took   time.Duration // of the engine's clock
}

func (s smokeRun) notes() string {
	var b strings.Builder
	for _, e := range s.events {
		if n, ok := e.Data.(journal.Note); ok {
			b.WriteString(n.Text + "\n")
		}
	}
	return b.String()
}

func (s smokeRun) details() string {
	var b strings.Builder
	for _, e := range s.events {
		if r, ok := e.Data.(journal.SmokeResult); ok {
			b.WriteString(r.Machine + " " + r.Check + ": " + r.Detail + "\n")
		}
	}
	return b.String()
}

// walkStart is when walk's manual clock starts.
var walkStart = time.Date(2026, 5, 11, 12, 0, 0, 0, time.UTC)

// walk runs the smoke walk alone against fleet (called at every list; an
// error is what the API answered), on a manual clock from walkStart.
func walk(t *testing.T, image string, fleet func(now time.Time) ([]flyapi.Machine, error)) smokeRun {
	t.Helper()
	clk := clock.NewManual(walkStart)
	var served sync.Map
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Store(r.Header.Get("fly-force-instance-id"), true)
	}))
	t.Cleanup(app.Close)
	fly := &flyapitest.Fly{ListMachinesFunc: func(context.Context, string) ([]flyapi.Machine, error) {
		return fleet(clk.Now())
	}}
	var run smokeRun
	var mu sync.Mutex
	res, err := phases.Smoke(context.Background(), phases.Options{
		App: "autonomath-api", Runbook: runbook.Default(), Fly: fly, SmokeURL: app.URL,
		Now: clk.Now, Sleep: clk.Sleep,
		Report: func(e journal.Event) { mu.Lock(); run.events = append(run.events, e); mu.Unlock() },
	}, image)
	if err != nil {
		t.Fatal(err)
	}
	run.res, run.took = res, clk.Now().Sub(walkStart)
	return run
}

// The rule flyctl's rolling deploy follows: every Fly Launch machine gets
// the new image; only those it starts must serve; stopped, suspended and
// standby machines are left as they were; console and release-command
// machines are not the app.
func TestSmokeRuleAutoscaledFleet(t *testing.T) {
	standby := stoppedCleanly(fleetMachine("standby", "stopped"))
	standby.Config.Standbys = []string{"a"}
	console := fleetMachine("console", "started", "critical")
	console.Config.Metadata["fly_process_group"] = "fly_app_console"
	console.ImageRef.Digest, console.ImageRef.Tag = oldDigest, "old"
	release := stoppedCleanly(fleetMachine("release", "stopped"))
	release.Config.Metadata["fly_process_group"] = "fly_app_release_command"
	byHand := fleetMachine("byhand", "started", "critical")
	delete(byHand.Config.Metadata, "fly_platform_version")
	noChecks := fleetMachine("nochecks", "started")
	noChecks.Config.Services = nil
	base := []flyapi.Machine{
		fleetMachine("a", "started", "passing"),
		stoppedCleanly(fleetMachine("stopped", "stopped")),
		fleetMachine("suspended", "suspended"),
		standby, console, release, byHand, noChecks,
	}
	run := walk(t, "registry.fly.io/autonomath-api:"+newTag+"@"+newDigest, func(time.Time) ([]flyapi.Machine, error) { return base, nil })
	if run.res.Verdict != verdict.Recovered {
		t.Fatalf("verdict %s (%s), want RECOVERED\n%s%s", run.res.Verdict, run.res.Reason, run.details(), run.notes())
	}
	notes := run.notes()
	for _, id := range []string{"stopped", "suspended", "standby"} {
		if !strings.Contains(notes, id+" (") {
			t.Errorf("machine %s is not journaled as left alone:\n%s", id, notes)
		}
	}
	details := run.details()
	for _, id := range []string{"console", "release", "byhand"} {
		if strings.Contains(details, id+" ") {
			t.Errorf("machine %s, which a deploy does not update, was judged:\n%s", id, details)
		}
	}
	if !strings.Contains(details, "a image: runs registry.fly.io/autonomath-api:"+newTag+"@"+newDigest+": tag and digest match") {
		t.Errorf("the image check does not say what matched:\n%s", details)
	}
}

func TestSmokeRuleFailures(t *testing.T) {
	oldImage := stoppedCleanly(fleetMachine("stopped", "stopped"))
	oldImage.ImageRef.Tag, oldImage.ImageRef.Digest, oldImage.Config.Image = "deployment-01KROLD", oldDigest, "registry.fly.io/autonomath-api:deployment-01KROLD"
	waiting := fleetMachine("b", "started")
	tests := []struct {
		name      string
		fleet     []flyapi.Machine
		image     string
		wantCheck string
		wantIn    string
	}{
		{"a stopped machine the deploy did not update", []flyapi.Machine{fleetMachine("a", "started", "passing"), oldImage}, newDigest, "image", "not the deployed image"},
		{"a started machine with a warning check", []flyapi.Machine{fleetMachine("a", "started", "passing", "warning")}, newDigest, "checks", "1/2 passing"},
		{"checks configured but none reported", []flyapi.Machine{fleetMachine("a", "started", "passing"), waiting}, newDigest, "checks", "no result yet"},
		{"replacing", []flyapi.Machine{fleetMachine("a", "replacing", "passing")}, newDigest, "state", "state replacing"},
		{"no app machine at all", nil, newDigest, "machines", "no machine of the app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := walk(t, tt.image, func(time.Time) ([]flyapi.Machine, error) { return tt.fleet, nil })
			f := run.res.Failure
			if run.res.Verdict != verdict.SmokeFailed || f == nil || f.Check != tt.wantCheck || !strings.Contains(f.Detail, tt.wantIn) {
				t.Errorf("verdict %s, failure %+v; want SMOKE_FAILED on %s saying %q", run.res.Verdict, f, tt.wantCheck, tt.wantIn)
			}
		})
	}
}

// The registry's manifest digest need not be the one the build printed: a
// matching tag verifies the machine, and the walk says so.
func TestSmokeMatchesTagWhenDigestDiffers(t *testing.T) {
	m := fleetMachine("a", "started", "passing")
	m.ImageRef.Digest = oldDigest
	run := walk(t, "registry.fly.io/autonomath-api:"+newTag+"@"+newDigest, func(time.Time) ([]flyapi.Machine, error) { return []flyapi.Machine{m}, nil })
	if run.res.Verdict != verdict.Recovered {
		t.Fatalf("verdict %s (%s), want RECOVERED", run.res.Verdict, run.res.Reason)
	}
	if !strings.Contains(run.details(), "tag matches; its digest "+oldDigest+" is not the "+newDigest) {
		t.Errorf("the walk does not say the tag matched and the digest did not:\n%s", run.details())
	}
	run = walk(t, newDigest, func(time.Time) ([]flyapi.Machine, error) {
		return []flyapi.Machine{fleetMachine("a", "started", "passing")}, nil
	})
	if run.res.Verdict != verdict.Recovered || !strings.Contains(run.details(), "digest matches") {
		t.Errorf("a bare digest: verdict %s\n%s", run.res.Verdict, run.details())
	}
}

// A burst of 5xx from the Machines API during the hold is retried and
// journaled; only an outage longer than smoke.api_outage fails the walk.
func TestSmokeHoldRidesOutAPIOutage(t *testing.T) {
	start := time.Date(2026, 5, 11, 12, 0, 0, 0, time.UTC)
	outage := errors.New("machines API: 503 Service Unavailable")
	fleet := []flyapi.Machine{fleetMachine("a", "started", "passing")}
	tests := []struct {
		name     string
		from, to time.Duration // the API fails in [from, to) of the walk
		want     verdict.Verdict
	}{
		{"a burst mid-hold", time.Minute, 2 * time.Minute, verdict.Recovered},
		{"a burst at the end of the hold", 4*time.Minute + 50*time.Second, 6 * time.Minute, verdict.Recovered},
		{"a burst during the settle", 0, 30 * time.Second, verdict.Recovered},
		{"an outage past the bound", time.Minute, time.Hour, verdict.SmokeFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := walk(t, newDigest, func(now time.Time) ([]flyapi.Machine, error) {
				if at := now.Sub(start); at >= tt.from && at < tt.to {
					return nil, outage
				}
				return fleet, nil
			})
			if run.res.Verdict != tt.want {
				t.Fatalf("verdict %s (%s), want %s", run.res.Verdict, run.res.Reason, tt.want)
			}
			notes := run.notes()
			if !strings.Contains(notes, "cannot read the machines ("+outage.Error()+"); retrying") {
				t.Errorf("the failed reads were not journaled:\n%s", notes)
			}
			if tt.want == verdict.Recovered && !strings.Contains(notes, "readable again") {
				t.Errorf("the recovery of the API was not journaled:\n%s", notes)
			}
			if tt.want == verdict.SmokeFailed && !strings.Contains(run.res.Failure.Detail, "past the 2m0s the runbook allows (smoke.api_outage)") {
				t.Errorf("failure %+v does not name the bound", run.res.Failure)
			}
		})
	}
}
