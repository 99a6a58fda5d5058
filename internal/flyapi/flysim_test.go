package flyapi_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/flysim"
)

// The client against the simulated platform: the same wire shapes a real
// Fly answers with, over real HTTP on loopback.
func simClient(t *testing.T, scenario string) (*flyapi.HTTPClient, *flysim.Server) {
	t.Helper()
	sim, err := flysim.New(flysim.Options{Scenario: scenario, Speed: 60, Token: "fo1_simtoken"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	c, err := flyapi.New(flyapi.Config{MachinesBaseURL: srv.URL, LogsBaseURL: srv.URL, Token: "fo1_simtoken", Backoff: func(int) time.Duration { return time.Millisecond },
		MachinesPerSecond: -1}) // these tests list faster than the real API allows
	if err != nil {
		t.Fatal(err)
	}
	return c, sim
}

func TestAgainstSimulator(t *testing.T) {
	tests := []struct {
		scenario    string
		wantState   string
		wantPassing int
		wantLogLine string
	}{
		{"db-boot-hang", "started", 0, "running integrity_check on /data/autonomath.db"},
		{"healthy", "started", 1, "size-based integrity_check skip"},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			c, sim := simClient(t, tt.scenario)
			ms, err := c.ListMachines(ctx, sim.App())
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != 2 {
				t.Fatalf("got %d machines, want 2", len(ms))
			}
			for _, m := range ms {
				passing, total := m.ChecksPassing()
				if m.State != tt.wantState || passing != tt.wantPassing || total != 1 || m.Region != "nrt" {
					t.Errorf("machine %s: state %s checks %d/%d region %s", m.ID, m.State, passing, total, m.Region)
				}
				if m.GracePeriod(0) != time.Minute || m.LastStart().IsZero() || m.ImageRef.Digest == "" {
					t.Errorf("machine %s: grace %v last start %v digest %q", m.ID, m.GracePeriod(0), m.LastStart(), m.ImageRef.Digest)
				}
			}
			// Page one machine's logs forward from its last start until caught up.
			it := flyapi.NewLogIterator(c, sim.App(), flyapi.LogQuery{Instance: ms[0].ID}, ms[0].LastStart().Add(-time.Minute))
			found, pages := false, 0
			for ; pages < 50; pages++ {
				entries, err := it.Next(ctx)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range entries {
					if e.Instance != ms[0].ID {
						t.Errorf("entry from %s in a page for %s", e.Instance, ms[0].ID)
					}
					if strings.Contains(e.Message, tt.wantLogLine) {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("no %q line in %d pages of %s's logs", tt.wantLogLine, pages, ms[0].ID)
			}
		})
	}
}

func TestSimulatorErrors(t *testing.T) {
	ctx := context.Background()
	c, sim := simClient(t, "db-boot-hang")
	if _, err := c.ListMachines(ctx, "no-such-app"); !errors.Is(err, flyapi.ErrNotFound) || !strings.Contains(err.Error(), "not found") {
		t.Errorf("unknown app: %v", err)
	}
	sim.SetFaults(flysim.Faults{Unauthorized: true})
	_, err := c.ListMachines(ctx, sim.App())
	if !flyapi.IsAuth(err) || strings.Contains(err.Error(), "fo1_simtoken") {
		t.Errorf("401: %v", err)
	}
	sim.SetFaults(flysim.Faults{Status: 503, Count: 2})
	if _, err := c.ListMachines(ctx, sim.App()); err != nil {
		t.Errorf("two 503s then success should be retried through: %v", err)
	}
}
