package flysim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	type step struct {
		path   string // appended to the base URL
		status int    // 0: expect a transport error
		check  func(r resp) string
	}
	machines := "/v1/apps/autonomath-api/machines"
	logs := "/api/v1/apps/autonomath-api/logs?next_token="
	validJSON := func(r resp) string {
		if !json.Valid(r.body) {
			return "body is not JSON: " + string(r.body)
		}
		return ""
	}
	tests := []struct {
		name   string
		faults Faults
		steps  []step
	}{
		{"status count", Faults{Status: 503, Count: 2}, []step{{machines, 503, validJSON}, {machines, 503, nil}, {machines, 200, nil}}},
		{"retry after", Faults{Status: 429, Count: 1, RetryAfter: "1"}, []step{{machines, 429, func(r resp) string {
			if r.header.Get("Retry-After") != "1" {
				return "no Retry-After: 1"
			}
			return ""
		}}, {machines, 200, nil}}},
		{"status forever", Faults{Status: 502}, []step{{machines, 502, nil}, {machines, 502, nil}, {logs, 502, nil}}},
		{"reset", Faults{ResetConnection: true, Count: 1}, []step{{machines, 0, nil}, {machines, 200, nil}}},
		{"truncate", Faults{Truncate: true, Count: 1}, []step{{machines, 200, func(r resp) string {
			if json.Valid(r.body) || len(r.body) == 0 {
				return "body not cut: " + string(r.body)
			}
			return ""
		}}, {machines, 200, validJSON}}},
		{"garbage", Faults{Garbage: true, Count: 1}, []step{{machines, 200, func(r resp) string {
			if json.Valid(r.body) {
				return "garbage body is JSON"
			}
			return ""
		}}}},
		{"unauthorized", Faults{Unauthorized: true}, []step{{machines, 401, nil}, {logs, 401, nil}, {"/app/v1/healthz", 503, nil}}},
		{"logs down", Faults{LogsDown: true}, []step{{logs, 503, nil}, {machines, 200, nil}}},
		{"app missing", Faults{AppMissing: true}, []step{{machines, 404, func(r resp) string {
			if !strings.Contains(string(r.body), `"app not found"`) {
				return "body " + string(r.body)
			}
			return ""
		}}}},
		{"prefix /api only", Faults{Status: 503, PathPrefix: "/api"}, []step{{machines, 200, nil}, {logs, 503, nil}}},
		{"control API untouched", Faults{Status: 503}, []step{{"/_sim/clock", 200, nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ts := newSim(t, "db-boot-hang", 1)
			s.SetFaults(tt.faults)
			for i, st := range tt.steps {
				req, _ := http.NewRequest("GET", ts.URL+st.path, nil)
				req.Header.Set("Authorization", "Bearer "+testToken)
				res, err := http.DefaultTransport.RoundTrip(req) // no client retries
				if st.status == 0 {
					if err == nil {
						res.Body.Close()
						t.Fatalf("step %d: got %d, want a broken connection", i, res.StatusCode)
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				r := readResp(res)
				if r.status != st.status {
					t.Fatalf("step %d %s: status %d, want %d: %s", i, st.path, r.status, st.status, r.body)
				}
				if st.check != nil {
					if msg := st.check(r); msg != "" {
						t.Errorf("step %d: %s", i, msg)
					}
				}
			}
		})
	}
}

func TestFaultDelay(t *testing.T) {
	// A delayed answer takes at least the delay, whatever the machine; an
	// answer that is not delayed is told apart by taking less than the
	// delay, not less than a fixed bound a loaded machine may pass (it took
	// 436 ms against a 100 ms bound under -race).
	const delay = time.Second
	s, ts := newSim(t, "db-boot-hang", 1)
	s.SetFaults(Faults{Delay: delay, Count: 1})
	start := time.Now()
	if r := get(t, ts.URL+"/v1/apps/autonomath-api/machines"); r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	if d := time.Since(start); d < delay {
		t.Errorf("delayed answer took %v, want >= %v", d, delay)
	}
	start = time.Now()
	get(t, ts.URL+"/v1/apps/autonomath-api/machines")
	if d := time.Since(start); d >= delay {
		t.Errorf("second answer took %v, the delay again: Count 1 not honoured", d)
	}
}

// A client that retries 429/5xx (honouring Retry-After) still gets through
// the flaky-api scenario, and does meet the bursts on the way.
func TestFlakyAPI(t *testing.T) {
	_, ts := newSim(t, "flaky-api", 1)
	seen := map[int]int{}
	fetch := func(path string) {
		for attempt := 0; ; attempt++ {
			r := get(t, ts.URL+path)
			seen[r.status]++
			if r.status == 200 {
				return
			}
			if attempt == 3 {
				t.Fatalf("%s: still %d after 3 retries", path, r.status)
			}
			if r.status == 429 && r.header.Get("Retry-After") != "1" {
				t.Errorf("429 without Retry-After: 1")
			}
		}
	}
	start := time.Now()
	for i := 0; i < 6; i++ {
		fetch("/v1/apps/autonomath-api/machines")
		fetch("/api/v1/apps/autonomath-api/logs?next_token=")
	}
	if seen[502] == 0 || seen[503] == 0 || seen[429] != 1 {
		t.Errorf("statuses seen %v: want 502s, 503s and one 429", seen)
	}
	if time.Since(start) < 300*time.Millisecond {
		t.Error("no slow answer seen")
	}
}

func readResp(res *http.Response) resp {
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp{res.StatusCode, res.Header, []byte(b.String())}
}

// MaxInFlight turns away, with 429 and the Retry-After set, exactly the
// requests past the limit while the others are being answered.
func TestFaultMaxInFlight(t *testing.T) {
	s, ts := newSim(t, "db-boot-hang", 1)
	s.SetFaults(Faults{MaxInFlight: 2, RetryAfter: "1", Delay: time.Second}) // long enough for all five to arrive
	answers := make(chan *http.Response, 5)
	for range 5 {
		go func() {
			req, _ := http.NewRequest("GET", ts.URL+"/v1/apps/autonomath-api/machines", nil)
			req.Header.Set("Authorization", "Bearer "+testToken)
			res, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				res = &http.Response{StatusCode: 0, Header: http.Header{}, Body: http.NoBody}
			}
			res.Body.Close()
			answers <- res
		}()
	}
	count := map[int]int{}
	for range 5 {
		r := <-answers
		count[r.StatusCode]++
		if r.StatusCode == http.StatusTooManyRequests && r.Header.Get("Retry-After") != "1" {
			t.Errorf("a 429 without Retry-After: 1")
		}
	}
	if count[200] != 2 || count[429] != 3 {
		t.Errorf("statuses %v, want 2 answered and 3 turned away", count)
	}
	if r := get(t, ts.URL+"/v1/apps/autonomath-api/machines"); r.status != 200 {
		t.Errorf("after the others were answered: status %d, want 200", r.status)
	}
}
