package flyapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/clock"
)

// testToken has no Fly token shape, so only the client's own redactor can
// keep it out of errors.
const testToken = "s3cretUserTokenValue42"

// newClient points a client at srv with instant, recorded backoff.
func newClient(t *testing.T, srv *httptest.Server, cfg Config) (*HTTPClient, *[]time.Duration) {
	t.Helper()
	cfg.MachinesBaseURL, cfg.LogsBaseURL = srv.URL+"/dropped/path", srv.URL
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "jpops/1.2.3"
	}
	if cfg.MachinesPerSecond == 0 {
		cfg.MachinesPerSecond = -1 // these tests count the retry waits alone
	}
	rc := &recordingClock{Manual: clock.NewManual(time.Now())}
	cfg.Clock = rc
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = func(attempt int) time.Duration { return time.Duration(attempt+1) * time.Millisecond }
	return c, &rc.sleeps
}

// recordingClock is a manual clock that records the waits asked of it.
type recordingClock struct {
	*clock.Manual
	mu     sync.Mutex
	sleeps []time.Duration
}

func (r *recordingClock) Sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.sleeps = append(r.sleeps, d)
	r.mu.Unlock()
	return r.Manual.Sleep(ctx, d)
}

func TestListMachines(t *testing.T) {
	fixture := machineFixture(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			t.Errorf("method %s: jpops only reads", r.Method)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("Authorization = %q", got)
		}
		if got := r.Header.Get("User-Agent"); got != "jpops/1.2.3" {
			t.Errorf("User-Agent = %q", got)
		}
		if got := r.Header.Get("Accept"); got != "application/json" {
			t.Errorf("Accept = %q", got)
		}
		switch r.URL.Path {
		case "/v1/apps/autonomath-api/machines":
			fmt.Fprintf(w, "[%s]", fixture)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c, _ := newClient(t, srv, Config{})
	ctx := context.Background()

	ms, err := c.ListMachines(ctx, "autonomath-api")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].ID != "148ed726c1e589" || ms[0].Config.Services[0].InternalPort != 8080 {
		t.Errorf("list = %+v", ms)
	}
	if !ms[0].MatchesImage("sha256:de7c3283e97e632ac22da59b4b1300a5f457e01ee152404d977a81a71ff5a11e") {
		t.Errorf("machine image = %+v", ms[0].ImageRef)
	}
	if _, err := c.ListMachines(ctx, " "); err == nil || !strings.Contains(err.Error(), "-a APP") {
		t.Errorf("empty app: %v", err)
	}
}

func TestLogsPaging(t *testing.T) {
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/apps/autonomath-api/logs" {
			http.NotFound(w, r)
			return
		}
		queries = append(queries, r.URL.RawQuery)
		switch r.URL.Query().Get("next_token") {
		case "":
			io.WriteString(w, logsBody("1778468727000000000",
				logLine("a1", "2026-05-11T03:05:27.000000001Z", "running integrity_check on /data/autonomath.db")))
		case "1778468727000000000":
			io.WriteString(w, logsBody("1778468728000000000",
				logLine("a2", "2026-05-11T03:05:28Z", "still here"), logLine("a3", "2026-05-11T03:05:28.5Z", "and here")))
		default:
			io.WriteString(w, `{"data":[],"meta":{"next_token":""}}`)
		}
	}))
	defer srv.Close()
	c, _ := newClient(t, srv, Config{})
	ctx := context.Background()

	p1, err := c.GetLogs(ctx, "autonomath-api", LogQuery{Instance: "148ed726c1e589", Region: "nrt"})
	if err != nil {
		t.Fatal(err)
	}
	e := p1.Entries[0]
	if p1.NextToken != "1778468727000000000" || e.ID != "a1" || e.Instance != "148ed726c1e589" || e.Region != "nrt" ||
		e.Provider != "app" || e.Level != "info" || e.Timestamp.Nanosecond() != 1 {
		t.Errorf("page 1 = %+v", p1)
	}
	p2, err := c.GetLogs(ctx, "autonomath-api", LogQuery{Region: "nrt", NextToken: p1.NextToken})
	if err != nil || len(p2.Entries) != 2 {
		t.Fatalf("page 2 = %+v, %v", p2, err)
	}
	want := []string{"instance=148ed726c1e589&next_token=", "next_token=1778468727000000000&region=nrt"}
	if strings.Join(queries, " ") != strings.Join(want, " ") {
		t.Errorf("queries = %q, want %q (next_token always, region dropped with instance)", queries, want)
	}
}

func TestLogIteratorCatchesUpAndResumes(t *testing.T) {
	start := time.Date(2026, 5, 11, 3, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	lines := 1 // how many lines the server has; grows during the test
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		after, _ := strconv.ParseInt(r.URL.Query().Get("next_token"), 10, 64)
		var entries []string
		next := ""
		for i := range lines {
			ts := start.Add(time.Duration(i+1) * time.Second)
			if ts.UnixNano() > after && len(entries) < 2 { // pages of 2
				entries = append(entries, logLine(fmt.Sprint("id", i), ts.Format(time.RFC3339Nano), fmt.Sprint("line ", i)))
				next = TokenAt(ts)
			}
		}
		io.WriteString(w, logsBody(next, entries...))
	}))
	defer srv.Close()
	c, _ := newClient(t, srv, Config{})
	ctx := context.Background()

	it := NewLogIterator(c, "autonomath-api", LogQuery{Instance: "148ed726c1e589"}, start)
	if it.Token() != strconv.FormatInt(start.UnixNano(), 10) {
		t.Fatalf("start token = %q, want Unix nanoseconds", it.Token())
	}
	got := drain(t, ctx, it)
	if strings.Join(got, ",") != "line 0" {
		t.Fatalf("first drain = %q", got)
	}
	tokenAfterCatchUp := it.Token()
	if _, err := it.Next(ctx); err != io.EOF {
		t.Fatalf("caught up: err = %v, want io.EOF", err)
	}
	if it.Token() != tokenAfterCatchUp {
		t.Errorf("an empty page moved the token from %q to %q", tokenAfterCatchUp, it.Token())
	}

	mu.Lock()
	lines = 6
	mu.Unlock()
	got = drain(t, ctx, it)
	if strings.Join(got, ",") != "line 1,line 2,line 3,line 4,line 5" {
		t.Errorf("resumed drain = %q", got)
	}
}

// A server that never advances its cursor must not make the iterator loop.
func TestLogIteratorStuckToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, logsBody("", logLine("", "2026-05-11T03:05:28Z", "same line")))
	}))
	defer srv.Close()
	c, _ := newClient(t, srv, Config{})
	it := NewLogIterator(c, "autonomath-api", LogQuery{}, time.Time{})
	got := drain(t, context.Background(), it)
	if len(got) != 1 || it.Token() != "" {
		t.Errorf("got %q, token %q; want the line once and the empty token kept", got, it.Token())
	}
}

func drain(t *testing.T, ctx context.Context, it *LogIterator) []string {
	t.Helper()
	var out []string
	for range 20 {
		entries, err := it.Next(ctx)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			out = append(out, e.Message)
		}
	}
	t.Fatal("iterator never caught up")
	return nil
}

func TestRetries(t *testing.T) {
	date := time.Now().Add(5 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name       string
		failures   []int    // status codes before a 200
		retryAfter []string // Retry-After per failure
		maxRetries int
		wantErr    int // 0: success
		wantSleeps []time.Duration
	}{
		{"502 then ok", []int{502}, nil, 0, 0, []time.Duration{time.Millisecond}},
		{"503 twice then ok", []int{503, 503}, nil, 0, 0, []time.Duration{time.Millisecond, 2 * time.Millisecond}},
		{"429 seconds", []int{429}, []string{"7"}, 0, 0, []time.Duration{7 * time.Second}},
		{"429 capped", []int{429}, []string{"3600"}, 0, 0, []time.Duration{30 * time.Second}},
		{"429 without header", []int{429}, []string{""}, 0, 0, []time.Duration{time.Millisecond}},
		{"429 http date", []int{429}, []string{date}, 0, 0, nil}, // about 5 s, checked below
		{"exhausted", []int{503, 503, 503, 503}, nil, 3, 503, []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond}},
		{"no retries", []int{502}, nil, -1, 502, nil},
		// Reads treat 408 and every 5xx as transient, as flyctl does.
		{"408 then ok", []int{408}, nil, 0, 0, []time.Duration{time.Millisecond}},
		{"500 then ok", []int{500}, nil, 0, 0, []time.Duration{time.Millisecond}},
		{"504 then ok", []int{504}, nil, 0, 0, []time.Duration{time.Millisecond}},
		{"599 then ok", []int{599}, nil, 0, 0, []time.Duration{time.Millisecond}},
		{"every 5xx in a row", []int{500, 501, 502, 503, 504}, nil, 0, 0, []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond, 4 * time.Millisecond, 5 * time.Millisecond}},
		{"400 not retried", []int{400}, nil, 0, 400, nil},
		{"409 not retried", []int{409}, nil, 0, 409, nil},
		{"422 not retried", []int{422}, nil, 0, 422, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1)) - 1
				if n < len(tt.failures) {
					if n < len(tt.retryAfter) && tt.retryAfter[n] != "" {
						w.Header().Set("Retry-After", tt.retryAfter[n])
					}
					w.Header().Set("Fly-Request-Id", "01JRETRY-nrt")
					w.WriteHeader(tt.failures[n])
					io.WriteString(w, `{"error":"try later"}`)
					return
				}
				io.WriteString(w, "[]")
			}))
			defer srv.Close()
			c, sleeps := newClient(t, srv, Config{MaxRetries: tt.maxRetries})
			_, err := c.ListMachines(context.Background(), "autonomath-api")
			if tt.wantErr == 0 {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				var ae *APIError
				if !errors.As(err, &ae) || ae.Status != tt.wantErr || ae.RequestID != "01JRETRY-nrt" {
					t.Fatalf("err = %v, want APIError %d", err, tt.wantErr)
				}
			}
			if tt.name == "429 http date" {
				if len(*sleeps) != 1 || (*sleeps)[0] < 3*time.Second || (*sleeps)[0] > 6*time.Second {
					t.Errorf("sleeps = %v, want about 5s", *sleeps)
				}
				return
			}
			want := tt.wantSleeps
			if tt.name == "exhausted" {
				if calls.Load() != 4 || !strings.Contains(err.Error(), "after 4 attempts") {
					t.Errorf("calls = %d, err = %v; want 4 attempts", calls.Load(), err)
				}
			}
			if !sameWaits(*sleeps, want) {
				t.Errorf("sleeps = %v, want %v", *sleeps, want)
			}
		})
	}
}

// sameWaits compares waits, allowing the jitter a Retry-After gets (half
// the test backoff, at most 5 ms).
func sameWaits(got, want []time.Duration) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] < want[i] || got[i] > want[i]+5*time.Millisecond {
			return false
		}
	}
	return true
}

func TestConnectionReset(t *testing.T) {
	var calls atomic.Int32
	resets := int32(2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= resets {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			conn.Close()
			return
		}
		io.WriteString(w, "[]")
	}))
	defer srv.Close()
	c, _ := newClient(t, srv, Config{})
	if _, err := c.ListMachines(context.Background(), "autonomath-api"); err != nil {
		t.Fatalf("two resets then ok: %v", err)
	}

	calls.Store(0)
	resets = 100
	_, err := c.ListMachines(context.Background(), "autonomath-api")
	var ne *NetError
	// net/http itself may resend a GET once on a reused connection, so
	// count our attempts, not the server's calls.
	if want := DefaultMaxRetries + 1; !errors.As(err, &ne) || ne.Attempts != want || calls.Load() < int32(want) {
		t.Fatalf("err = %v after %d calls, want a NetError after %d attempts", err, calls.Load(), want)
	}
	if !strings.Contains(err.Error(), "list machines of app autonomath-api: no answer from") {
		t.Errorf("message = %q", err)
	}
}

func TestSlowAnswerTimesOut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer srv.Close()
	c, _ := newClient(t, srv, Config{Timeout: 30 * time.Millisecond, MaxRetries: 1})
	began := time.Now()
	_, err := c.ListMachines(context.Background(), "autonomath-api")
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("took %v; the per-request timeout did not apply", took)
	}
	var ne *NetError
	if !errors.As(err, &ne) || ne.Attempts != 2 || !strings.Contains(err.Error(), "no answer within 30ms") {
		t.Errorf("err = %v, want a NetError after 2 timed-out attempts", err)
	}
}

func TestContextCancelDuringBackoff(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c, _ := newClient(t, srv, Config{})
	c.clock = clock.Wall
	c.backoff = func(int) time.Duration { return time.Hour }
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err := c.ListMachines(ctx, "autonomath-api")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(began) > 2*time.Second {
		t.Errorf("err = %v after %v, want the context's error promptly", err, time.Since(began))
	}
}

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		call      string // list | get | logs
		wantIs    error
		wantInMsg string
	}{
		{"401", 401, `{"error":"Authenticate: token validation error"}`, "list", ErrUnauthorized, "Authenticate: token validation error: set FLY_API_TOKEN"},
		{"403", 403, `{"error":"forbidden"}`, "list", ErrUnauthorized, "refused the token (403 Forbidden)"},
		{"404 app", 404, `{"error":"app not found"}`, "list", ErrNotFound, "app autonomath-api not found: check the app name (-a) or that your token can see it"},
		{"404 logs", 404, `Not Found`, "logs", ErrNotFound, "app autonomath-api not found"},
		{"500 message wins", 500, `{"error":"unknown","message":"flyd is sad","status":"unknown"}`, "list", nil, "list machines of app autonomath-api: Fly API answered 500 Internal Server Error: flyd is sad"},
		{"422 html", 422, "<html>\n  <body>nope</body>\n</html>", "list", nil, "422 Unprocessable Entity: <html> <body>nope</body> </html>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Fly-Request-Id", "01JN0000-yyz")
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c, _ := newClient(t, srv, Config{})
			err := call(c, tt.call)
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != tt.status || ae.RequestID != "01JN0000-yyz" {
				t.Fatalf("err = %#v", err)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantIs)
			}
			if IsAuth(err) != (tt.wantIs == ErrUnauthorized) {
				t.Errorf("IsAuth = %v", IsAuth(err))
			}
			if !strings.Contains(err.Error(), tt.wantInMsg) || !strings.Contains(err.Error(), "request id 01JN0000-yyz") {
				t.Errorf("message = %q, want %q and the request id", err, tt.wantInMsg)
			}
		})
	}
}

func TestBadBodies(t *testing.T) {
	tests := []struct {
		name, call, body string
		wantDecode       bool
	}{
		{"garbage list", "list", "<html>oops</html>", true},
		{"truncated list", "list", `[{"id":"148ed726c1e589","sta`, true},
		{"object for list", "list", `{"machines":[]}`, true},
		{"machine without id", "list", `[{}]`, true},
		{"garbage logs", "logs", `data: nope`, true},
		{"logs without data", "logs", `{"meta":{"next_token":"1"}}`, true},
		{"bad log timestamp", "logs", logsBody("1", logLine("x", "yesterday", "m")), true},
		{"numeric next_token", "logs", `{"data":[],"meta":{"next_token":1778468727000000000}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c, _ := newClient(t, srv, Config{})
			err := call(c, tt.call)
			var de *DecodeError
			if got := errors.As(err, &de); got != tt.wantDecode {
				t.Fatalf("err = %v, want DecodeError: %v", err, tt.wantDecode)
			}
			if tt.wantDecode && (de.Op == "" || !strings.Contains(err.Error(), "returned a body that is not")) {
				t.Errorf("message = %q", err)
			}
		})
	}
}

// A 2xx body that does not decode is retried like a 502; when the attempts
// run out the error is the redacted DecodeError, saying how many were made.
func TestUndecodableBodyRetried(t *testing.T) {
	fixture := string(machineFixture(t))
	good := map[string]string{"list": "[" + fixture + "]", "logs": logsBody("1")}
	garbage := "<html><body>upstream hiccup " + testToken + "</body></html>"
	tests := []struct {
		name, call string
		answers    []string // status:body per request; the last one repeats
		maxRetries int
		wantCalls  int32
		wantDecode bool // else success, or an APIError when wantStatus is set
		wantStatus int
		wantSleeps []time.Duration
	}{
		{"truncated list once", "list", []string{"200:" + good["list"][:len(good["list"])/2], "200:GOOD"}, 0, 2, false, 0, []time.Duration{time.Millisecond}},
		{"garbage list once", "list", []string{"200:" + garbage, "200:GOOD"}, 0, 2, false, 0, []time.Duration{time.Millisecond}},
		{"garbage logs twice", "logs", []string{"200:" + garbage, "200:data: nope", "200:GOOD"}, 0, 3, false, 0, []time.Duration{time.Millisecond, 2 * time.Millisecond}},
		{"machine without id", "list", []string{"200:[{}]", "200:GOOD"}, 0, 2, false, 0, []time.Duration{time.Millisecond}},
		{"garbage forever", "list", []string{"200:" + garbage}, 3, 4, true, 0, []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond}},
		{"garbage logs forever", "logs", []string{"200:" + garbage}, 2, 3, true, 0, []time.Duration{time.Millisecond, 2 * time.Millisecond}},
		{"garbage without retries", "list", []string{"200:" + garbage}, -1, 1, true, 0, nil},
		{"garbage then 404", "list", []string{"200:" + garbage, `404:{"error":"app not found"}`}, 0, 2, false, 404, []time.Duration{time.Millisecond}},
		{"4xx with garbage", "list", []string{"422:" + garbage}, 0, 1, false, 422, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := min(int(calls.Add(1)), len(tt.answers)) - 1
				status, body, _ := strings.Cut(tt.answers[n], ":")
				code, _ := strconv.Atoi(status)
				w.WriteHeader(code)
				io.WriteString(w, strings.ReplaceAll(body, "GOOD", good[tt.call]))
			}))
			defer srv.Close()
			c, sleeps := newClient(t, srv, Config{MaxRetries: tt.maxRetries})
			err := call(c, tt.call)
			if calls.Load() != tt.wantCalls {
				t.Errorf("%d requests, want %d", calls.Load(), tt.wantCalls)
			}
			if fmt.Sprint(*sleeps) != fmt.Sprint(tt.wantSleeps) {
				t.Errorf("sleeps = %v, want %v", *sleeps, tt.wantSleeps)
			}
			var de *DecodeError
			var ae *APIError
			switch {
			case tt.wantDecode:
				if !errors.As(err, &de) || de.Attempts != int(tt.wantCalls) || de.Op == "" {
					t.Fatalf("err = %#v, want a DecodeError after %d attempts", err, tt.wantCalls)
				}
				if tt.wantCalls > 1 && !strings.Contains(err.Error(), fmt.Sprintf("(after %d attempts)", tt.wantCalls)) {
					t.Errorf("message = %q, want the attempts", err)
				}
				if strings.Contains(err.Error(), testToken) || strings.Contains(de.Snippet, testToken) {
					t.Errorf("the token reached the error: %v", err)
				}
			case tt.wantStatus != 0:
				if !errors.As(err, &ae) || ae.Status != tt.wantStatus {
					t.Fatalf("err = %v, want an APIError %d", err, tt.wantStatus)
				}
				if strings.Contains(err.Error(), testToken) {
					t.Errorf("the token reached the error: %v", err)
				}
			case err != nil:
				t.Fatalf("err = %v, want success", err)
			}
		})
	}
}

// A body cut short by the connection is a network failure, retried.
func TestBodyCutShort(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, `[{"id":"148ed7`)
	}))
	defer srv.Close()
	c, _ := newClient(t, srv, Config{MaxRetries: 2})
	_, err := c.ListMachines(context.Background(), "autonomath-api")
	var ne *NetError
	if !errors.As(err, &ne) || calls.Load() != 3 || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err = %v after %d calls, want a NetError (unexpected EOF) after 3", err, calls.Load())
	}
}

func TestTokenHeaderForms(t *testing.T) {
	tests := []struct{ token, want string }{
		{"fm2_aaa", "FlyV1 fm2_aaa"},
		{"FlyV1 fm1r_aaa,fm1a_bbb", "FlyV1 fm1r_aaa,fm1a_bbb"},
		{"Bearer fo1_user", "Bearer fo1_user"},
		{"fo1_user,fm2_aaa", "FlyV1 fm2_aaa"},
	}
	for _, tt := range tests {
		var got string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = r.Header.Get("Authorization")
			io.WriteString(w, `{"data":[],"meta":{"next_token":""}}`)
		}))
		c, _ := newClient(t, srv, Config{Token: tt.token})
		if _, err := c.GetLogs(context.Background(), "autonomath-api", LogQuery{}); err != nil {
			t.Error(err)
		}
		srv.Close()
		if got != tt.want {
			t.Errorf("token %q sent as %q, want %q", tt.token, got, tt.want)
		}
	}
}

// Servers that echo the token back must not get it into an error.
func TestErrorsNeverHoldTheToken(t *testing.T) {
	for _, tok := range []string{testToken, "FlyV1 fm2_lzVsWrx9oTYw", "usertok-abcdef,fm1r_zzzzzz"} {
		bodies := []struct {
			status int
			body   string
			call   string
		}{
			{401, `{"error":"bad token TOKEN"}`, "list"},
			{500, `upstream said: Authorization: HEADER`, "list"},
			{200, `not json TOKEN HEADER`, "list"},
			{200, `{"data":[{"attributes":{"timestamp":"TOKEN"}}]}`, "logs"},
			{503, `{"message":"HEADER"}`, "logs"},
		}
		for _, b := range bodies {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Fly-Request-Id", StripScheme(tok))
				w.WriteHeader(b.status)
				body := strings.ReplaceAll(b.body, "HEADER", r.Header.Get("Authorization"))
				io.WriteString(w, strings.ReplaceAll(body, "TOKEN", StripScheme(tok)))
			}))
			c, _ := newClient(t, srv, Config{Token: tok, MaxRetries: -1})
			err := call(c, b.call)
			srv.Close()
			if err == nil {
				t.Fatalf("%d %q: no error", b.status, b.body)
			}
			for part := range strings.SplitSeq(StripScheme(tok), ",") {
				if strings.Contains(err.Error(), part) {
					t.Errorf("error holds the token part %q: %v", part, err)
				}
			}
		}
	}
}

func call(c *HTTPClient, which string) error {
	ctx := context.Background()
	var err error
	switch which {
	case "list":
		_, err = c.ListMachines(ctx, "autonomath-api")
	case "logs":
		_, err = c.GetLogs(ctx, "autonomath-api", LogQuery{})
	}
	return err
}

func logLine(id, ts, msg string) string {
	return fmt.Sprintf(`{"id":%q,"type":"logs","attributes":{"timestamp":%q,"message":%q,"level":"info",`+
		`"instance":"148ed726c1e589","region":"nrt","meta":{"instance":"148ed726c1e589","region":"nrt",`+
		`"event":{"provider":"app"},"http":{"request":{"id":"","method":"","version":""},"response":{"status_code":0}}}}}`, id, ts, msg)
}

func logsBody(next string, entries ...string) string {
	return fmt.Sprintf(`{"data":[%s],"meta":{"next_token":%q}}`, strings.Join(entries, ","), next)
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 5, 11, 3, 0, 0, 0, time.UTC)
	tests := map[string]time.Duration{
		"":                     0,
		"0":                    0,
		"-5":                   0,
		"12":                   12 * time.Second,
		"99999999999999999999": 0, // not an int: neither form parses
		now.Add(10 * time.Second).Format(http.TimeFormat): 10 * time.Second,
		now.Add(-time.Minute).Format(http.TimeFormat):     0,
		now.Add(time.Hour).Format(http.TimeFormat):        30 * time.Second,
		"soon": 0,
	}
	for in, want := range tests {
		if got := retryAfter(in, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
	for attempt := range 70 {
		d := min(backoffBase<<min(attempt, 16), backoffCap)
		if got := jitteredBackoff(attempt); got < d/2 || got > d {
			t.Errorf("jitteredBackoff(%d) = %v, outside %v..%v", attempt, got, d/2, d)
		}
	}
}

// The default retries outlast a burst of 502/503 from Fly's proxy of up to
// three seconds, on the client's clock, and give up on one that lasts.
func TestDefaultBackoffOutlastsABurst(t *testing.T) {
	tests := []struct {
		burst   time.Duration
		wantErr bool
	}{
		{0, false},
		{time.Second, false},
		{3 * time.Second, false},
		{time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.burst.String(), func(t *testing.T) {
			for range 20 { // the jitter differs every run
				clk := clock.NewManual(time.Date(2026, 5, 11, 12, 0, 0, 0, time.UTC))
				end := clk.Now().Add(tt.burst)
				var calls atomic.Int32
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if clk.Now().Before(end) {
						w.WriteHeader([]int{502, 503}[calls.Add(1)%2])
						return
					}
					io.WriteString(w, "[]")
				}))
				c, err := New(Config{MachinesBaseURL: srv.URL, LogsBaseURL: srv.URL, Token: testToken, Clock: clk})
				if err != nil {
					t.Fatal(err)
				}
				_, err = c.ListMachines(context.Background(), "autonomath-api")
				srv.Close()
				if (err != nil) != tt.wantErr {
					t.Fatalf("a %s burst: err = %v after %s of backoff, want error %v", tt.burst, err, clk.Slept(), tt.wantErr)
				}
			}
		})
	}
}
