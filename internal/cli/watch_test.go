package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/advice"
	"github.com/jpops-dev/jpops/internal/flysim"
	"github.com/jpops-dev/jpops/internal/iostreams"
	"github.com/jpops-dev/jpops/internal/notify"
	"github.com/jpops-dev/jpops/internal/state"
)

const watchSimToken = "flysim-cli-watch-token"

// simEnv serves a scenario on loopback and returns the environment that
// points jpops at it, with a fresh state directory.
func simEnv(t *testing.T, scenario string) (*flysim.Server, map[string]string) {
	t.Helper()
	sim, err := flysim.New(flysim.Options{Scenario: scenario, Speed: 1, Token: watchSimToken})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return sim, map[string]string{
		"FLY_FLAPS_BASE_URL": srv.URL,
		"FLY_API_BASE_URL":   srv.URL,
		"FLY_API_TOKEN":      watchSimToken,
		"JPOPS_STATE_DIR":    t.TempDir(),
	}
}

// runCLI runs jpops in-process and returns the exit code, stdout and stderr.
func runCLI(t *testing.T, vars map[string]string, now func() time.Time, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := NewFactory(ios)
	f.Getenv, f.Now, f.Home = func(k string) string { return vars[k] }, now, t.TempDir()
	code := Main(context.Background(), f, args)
	return code, out.String(), errOut.String()
}

// webhook receives alerts.
type webhook struct {
	mu     sync.Mutex
	alerts []notify.Alert
}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var a notify.Alert
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &a); err == nil {
		h.mu.Lock()
		h.alerts = append(h.alerts, a)
		h.mu.Unlock()
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *webhook) count() int { h.mu.Lock(); defer h.mu.Unlock(); return len(h.alerts) }

func TestWatchOnceExitCodes(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		code     int
		alerts   int
	}{
		{"healthy", 0, 0},
		{"db-boot-hang", 10, 1}, // one page naming both machines
		{"other-failure", 12, 0},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			sim, vars := simEnv(t, tc.scenario)
			hook := &webhook{}
			hs := httptest.NewServer(hook)
			defer hs.Close()
			code, out, errOut := runCLI(t, vars, sim.Clock().Now, "watch", "--once", "--json", "-a", sim.App(), "--notify", "webhook="+hs.URL)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, errOut)
			}
			lines := 0
			sc := bufio.NewScanner(strings.NewReader(out))
			for sc.Scan() {
				var a notify.Alert
				if err := json.Unmarshal(sc.Bytes(), &a); err != nil || a.Kind != notify.KindHang || a.App != sim.App() {
					t.Errorf("stdout line %q is not a hang alert (%v)", sc.Text(), err)
				}
				// The page's command is one a woken operator can paste as it is.
				if err := advice.Check(a.Command); err != nil {
					t.Errorf("the page's command %q is not safe to paste: %v", a.Command, err)
				}
				for _, id := range sim.MachineIDs() {
					if !strings.Contains(sc.Text(), id) {
						t.Errorf("the page does not name machine %s: %s", id, sc.Text())
					}
				}
				lines++
			}
			if lines != tc.alerts || hook.count() != tc.alerts {
				t.Errorf("%d NDJSON alerts and %d webhook posts, want %d; stderr %s", lines, hook.count(), tc.alerts, errOut)
			}
			if strings.Contains(out+errOut, watchSimToken) {
				t.Error("the token reached the output")
			}

			// Again with the same state: the verdict holds, nothing pages twice.
			code, out, _ = runCLI(t, vars, sim.Clock().Now, "watch", "--once", "-a", sim.App(), "--notify", "webhook="+hs.URL)
			if code != tc.code || hook.count() != tc.alerts || strings.Contains(out, "HANG ") {
				t.Errorf("second run: exit %d, %d webhook posts, stdout %q", code, hook.count(), out)
			}
		})
	}
}

func TestWatchUsageAndAuth(t *testing.T) {
	sim, vars := simEnv(t, "healthy")
	if code, _, _ := runCLI(t, vars, sim.Clock().Now, "watch", "--once", "-a", sim.App(), "--interval", "0s"); code != 2 {
		t.Errorf("--interval 0: exit %d, want 2", code)
	}
	if code, _, errOut := runCLI(t, vars, sim.Clock().Now, "watch", "--once", "-a", sim.App(), "--notify", "pager"); code != 2 || !strings.Contains(errOut, "unknown notifier") {
		t.Errorf("--notify pager: exit %d, %s", code, errOut)
	}
	vars["FLY_API_TOKEN"] = "wrong"
	if code, _, errOut := runCLI(t, vars, sim.Clock().Now, "watch", "--once", "-a", sim.App()); code != 3 {
		t.Errorf("bad token: exit %d, want 3; %s", code, errOut)
	}
}

// Without --once the watch runs until its context ends, then exits 130.
func TestWatchStopsOnCancel(t *testing.T) {
	sim, vars := simEnv(t, "db-boot-hang")
	ios, _, out, errOut := iostreams.Test()
	f := NewFactory(ios)
	f.Getenv, f.Now, f.Home = func(k string) string { return vars[k] }, sim.Clock().Now, t.TempDir()
	statePath := filepath.Join(vars["JPOPS_STATE_DIR"], state.WatchDir, sim.App()+".json")
	// Cancel once the watchdog has recorded its page as delivered, not after
	// a fixed time a loaded machine may not give it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		defer cancel()
		for ctx.Err() == nil {
			var st struct {
				Sent map[string]struct{ Announced []json.RawMessage }
			}
			if state.LoadJSON(statePath, &st) == nil {
				for _, s := range st.Sent {
					if len(s.Announced) > 0 {
						return
					}
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	code := Main(ctx, f, []string{"watch", "-a", sim.App(), "--interval", "50ms"})
	if code != 130 {
		t.Errorf("exit %d, want 130; stderr %s", code, errOut)
	}
	if n := strings.Count(out.String(), "HANG "); n != 1 || !strings.Contains(out.String(), "2 machine(s) stuck at boot") {
		t.Errorf("%d hang lines, want 1 page for both machines:\n%s", n, out)
	}
	var st struct {
		Open []struct{ Machine, Op string }
	}
	if err := state.LoadJSON(statePath, &st); err != nil || len(st.Open) != 4 {
		t.Errorf("state file: %v, %d open alerts, want 4", err, len(st.Open))
	}
}
