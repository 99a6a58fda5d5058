package phases_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/verdict"
)

// A smoke URL that redirects to another host: the other host's 200 is not
// the app's answer, and the machine-pinning header must never reach it.
func TestSmokeDoesNotFollowARedirectToAnotherHost(t *testing.T) {
	t.Parallel()
	r := newRig(t, "healthy")
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		elsewhere.Add(1)
		if req.Header.Get("fly-force-instance-id") != "" {
			t.Errorf("the other host received fly-force-instance-id %q", req.Header.Get("fly-force-instance-id"))
		}
	}))
	defer other.Close()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, other.URL+req.URL.Path, http.StatusFound)
	}))
	defer front.Close()
	machines, err := r.opts.Fly.ListMachines(r.ctx(), r.opts.App)
	if err != nil || len(machines) == 0 {
		t.Fatalf("list machines: %v (%d)", err, len(machines))
	}
	r.opts.SmokeURL = front.URL
	r.opts.Settle = 50 * time.Millisecond
	res, err := phases.Smoke(r.ctx(), r.opts, machines[0].Image())
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != verdict.SmokeFailed || res.Failure == nil || res.Failure.Check != "request" {
		t.Fatalf("verdict %s, failure %+v: want SMOKE_FAILED on a request", res.Verdict, res.Failure)
	}
	for _, want := range []string{"302", "redirects to " + other.URL, "not followed"} {
		if !strings.Contains(res.Failure.Detail, want) {
			t.Errorf("failure detail %q lacks %q", res.Failure.Detail, want)
		}
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the other host received %d smoke requests", n)
	}
	found := false
	for _, e := range r.readBack() {
		if sr, ok := e.Data.(journal.SmokeResult); ok && !sr.OK && strings.Contains(sr.Detail, "redirects to") {
			found = true
		}
	}
	if !found {
		t.Error("the journal has no failed smoke_result naming the redirect")
	}
}

// A redirect on the app's own host (a trailing slash, say) is followed: it
// is still the app answering.
func TestSmokeFollowsARedirectOnTheSameHost(t *testing.T) {
	t.Parallel()
	r := newRig(t, "healthy")
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !strings.HasSuffix(req.URL.Path, "/") {
			http.Redirect(w, req, req.URL.Path+"/", http.StatusMovedPermanently)
			return
		}
		if req.Header.Get("fly-force-instance-id") == "" {
			http.Error(w, "no instance pinned", http.StatusBadRequest)
		}
	}))
	defer front.Close()
	machines, err := r.opts.Fly.ListMachines(r.ctx(), r.opts.App)
	if err != nil || len(machines) == 0 {
		t.Fatalf("list machines: %v (%d)", err, len(machines))
	}
	r.opts.SmokeURL = front.URL
	res, err := phases.Smoke(r.ctx(), r.opts, machines[0].Image())
	if err != nil || res.Verdict != verdict.Recovered {
		t.Fatalf("verdict %s, err %v, failure %+v: want RECOVERED", res.Verdict, err, res.Failure)
	}
}

func TestSmokeURLCheckedBeforeTheWalk(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"htp:/autonomath-api.fly.dev", "file:///etc/passwd", "https://", "autonomath-api.fly.dev", "https://autonomath-api.fly.dev/?x=1"} {
		t.Run(bad, func(t *testing.T) {
			r := newRig(t, "db-boot-hang")
			r.opts.SmokeURL = bad
			if err := phases.CheckSmokeURL(r.opts); err == nil || !strings.Contains(err.Error(), "smoke URL") || !strings.Contains(err.Error(), "--smoke-url") {
				t.Fatalf("CheckSmokeURL(%q) = %v, want an error naming the smoke URL and the fix", bad, err)
			}
			_, err := phases.Run(r.ctx(), r.opts)
			if err == nil {
				t.Fatal("Run started with a bad smoke URL")
			}
			if ev := r.readBack(); len(ev) != 0 {
				t.Errorf("Run journaled %d events before refusing the smoke URL", len(ev))
			}
		})
	}
	r := newRig(t, "db-boot-hang")
	r.opts.SmokeURL = "https://user:pw@{app}.fly.dev"
	if err := phases.CheckSmokeURL(r.opts); err != nil {
		t.Errorf("a good smoke URL refused: %v", err)
	}
}
