package flysim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

const testToken = "sim-test-token"

func TestMain(m *testing.M) {
	// The child-process flyctl test re-executes this binary as flyctl.
	if os.Getenv("FLYSIM_TEST_FLYCTL_CHILD") == "1" {
		os.Exit(FlyctlMain(strings.Fields(os.Getenv("FLYSIM_TEST_FLYCTL_ARGS")), os.Stdout, os.Stderr, os.Getenv))
	}
	os.Exit(m.Run())
}

func newSim(t *testing.T, scenario string, speed float64) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(Options{Scenario: scenario, Speed: speed, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, method, url, auth string, hdr map[string]string) resp {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return resp{r.StatusCode, r.Header, b}
}

func get(t *testing.T, url string) resp {
	t.Helper()
	return do(t, http.MethodGet, url, "Bearer "+testToken, nil)
}

// Test-side wire structs: decoded independently of the server's own.
type tMachine struct {
	ID         string `json:"id"`
	State      string `json:"state"`
	Region     string `json:"region"`
	InstanceID string `json:"instance_id"`
	HostStatus string `json:"host_status"`
	CreatedAt  string `json:"created_at"`
	UpdatedAt  string `json:"updated_at"`
	ImageRef   struct {
		Registry, Repository, Tag, Digest string
	} `json:"image_ref"`
	Config *struct {
		Image    string            `json:"image"`
		Metadata map[string]string `json:"metadata"`
		Services []struct {
			Checks []struct {
				GracePeriod string `json:"grace_period"`
				Path        string `json:"path"`
			} `json:"checks"`
		} `json:"services"`
	} `json:"config"`
	Checks []struct {
		Name, Status, Output string
		UpdatedAt            string `json:"updated_at"`
	} `json:"checks"`
	Events []struct {
		Type, Status string
		Timestamp    int64 `json:"timestamp"`
		Request      *struct {
			ExitEvent struct {
				ExitCode int `json:"exit_code"`
			} `json:"exit_event"`
		} `json:"request"`
	} `json:"events"`
}

type tLogs struct {
	Data []struct {
		Attributes struct {
			Timestamp, Message, Level, Instance, Region string
			Meta                                        struct {
				Event struct{ Provider string }
			}
		}
	}
	Meta struct {
		NextToken string `json:"next_token"`
	}
}

func machinesOf(t *testing.T, ts *httptest.Server) []tMachine {
	t.Helper()
	r := get(t, ts.URL+"/v1/apps/autonomath-api/machines")
	if r.status != 200 {
		t.Fatalf("list machines: %d %s", r.status, r.body)
	}
	var ms []tMachine
	if err := json.Unmarshal(r.body, &ms); err != nil {
		t.Fatalf("decode machines: %v\n%s", err, r.body)
	}
	return ms
}

// allLogs pages through the logs API from an empty token to the present.
func allLogs(t *testing.T, ts *httptest.Server, query string) (lines []string, pages int) {
	t.Helper()
	token := ""
	var last time.Time
	for {
		r := get(t, ts.URL+"/api/v1/apps/autonomath-api/logs?"+query+"&next_token="+token)
		if r.status != 200 {
			t.Fatalf("logs: %d %s", r.status, r.body)
		}
		var l tLogs
		if err := json.Unmarshal(r.body, &l); err != nil {
			t.Fatal(err)
		}
		if len(l.Data) > 100 {
			t.Fatalf("page of %d entries, want at most 100", len(l.Data))
		}
		if len(l.Data) == 0 {
			return lines, pages
		}
		pages++
		for _, e := range l.Data {
			ts, err := time.Parse(time.RFC3339Nano, e.Attributes.Timestamp)
			if err != nil {
				t.Fatal(err)
			}
			if !ts.After(last) {
				t.Fatalf("timestamp %v not after %v", ts, last)
			}
			last = ts
			lines = append(lines, e.Attributes.Meta.Event.Provider+"["+e.Attributes.Instance+"] "+e.Attributes.Level+" "+e.Attributes.Message)
		}
		token = l.Meta.NextToken
	}
}

func countContaining(lines []string, subs ...string) int {
	n := 0
	for _, l := range lines {
		all := true
		for _, s := range subs {
			all = all && strings.Contains(l, s)
		}
		if all {
			n++
		}
	}
	return n
}

// syncBuffer is a bytes.Buffer safe for a child's output copier and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
