package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
	flyToken  = "FlyV1 fm2_lJPECAAAAAAAAMqzxBDvXmE2NDk0ZDQzZWY"
)

func sampleAlert() Alert {
	since := time.Date(2026, 5, 11, 11, 40, 0, 0, time.UTC)
	return Alert{
		Kind: KindHang, App: "autonomath-api", Machine: "85e273f4", Region: "nrt",
		Op: "integrity_check", DB: "/data/autonomath.db", Since: since, RunningFor: 30 * time.Minute,
		Evidence: "running integrity_check on /data/autonomath.db ...",
		Command:  "jpops run -a autonomath-api --machine 85e273f4",
		Summary:  "autonomath-api machine 85e273f4 (nrt) has run integrity_check on /data/autonomath.db for 30m with no completion line.",
		At:       since.Add(30 * time.Minute),
	}
}

func TestAlertJSON(t *testing.T) {
	a := sampleAlert()
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"kind": "hang", "app": "autonomath-api", "machine": "85e273f4", "region": "nrt",
		"op": "integrity_check", "db": "/data/autonomath.db", "since": "2026-05-11T11:40:00Z",
		"running_for_s": 1800.0, "evidence": a.Evidence, "command": a.Command, "summary": a.Summary,
		"at": "2026-05-11T12:10:00Z", "drill": false,
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if len(m) != len(want) {
		t.Errorf("keys = %v, want exactly %d", m, len(want))
	}
	var back Alert
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, a) {
		t.Errorf("round trip = %+v, %v; want %+v", back, err, a)
	}
}

func TestSentenceWithoutSummary(t *testing.T) {
	a := sampleAlert()
	a.Summary = ""
	if got, want := a.Sentence(), "autonomath-api machine 85e273f4 (nrt) is stuck at boot: integrity_check on /data/autonomath.db has run for 30m0s with no completion line."; got != want {
		t.Errorf("Sentence = %q, want %q", got, want)
	}
	a.Evidence = strings.Repeat("x", 5000)
	if n := len([]rune(a.Message())); n > 1500 {
		t.Errorf("Message is %d characters with a long evidence line, want it clipped", n)
	}
	a.Kind = KindRecovery
	if got := a.Sentence(); !strings.Contains(got, "recovered") {
		t.Errorf("recovery Sentence = %q", got)
	}
}

func TestStdout(t *testing.T) {
	a := sampleAlert()
	a.Drill = true
	a.Evidence = "auth with " + flyToken
	var text, nd bytes.Buffer
	if err := Stdout(&text, false).Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if err := Stdout(&nd, true).Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	line := text.String()
	if strings.Count(line, "\n") != 1 || !strings.HasPrefix(line, "[DRILL] jpops: HANG autonomath-api: ") || !strings.Contains(line, "Next: "+a.Command) {
		t.Errorf("text line = %q", line)
	}
	var got Alert
	if err := json.Unmarshal(nd.Bytes(), &got); err != nil || !got.Drill || got.App != a.App {
		t.Errorf("ndjson = %q (%v)", nd.String(), err)
	}
	for _, out := range []string{text.String(), nd.String()} {
		if strings.Contains(out, "fm2_lJPE") {
			t.Errorf("token leaked: %q", out)
		}
	}
}

// receiver is a loopback HTTP endpoint that records requests and answers
// with the next status in its script (200 once the script runs out).
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	paths    []string
	bodies   [][]byte
	ctypes   []string
	statuses []int
	answer   string
	times    []time.Time
}

func newReceiver(t *testing.T, answer string, statuses ...int) *receiver {
	r := &receiver{answer: answer, statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.paths = append(r.paths, req.Method+" "+req.URL.Path)
		r.bodies = append(r.bodies, b)
		r.ctypes = append(r.ctypes, req.Header.Get("Content-Type"))
		r.times = append(r.times, time.Now())
		status := http.StatusOK
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, r.answer)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.paths)
}

func TestTelegram(t *testing.T) {
	rcv := newReceiver(t, `{"ok":true,"result":{"message_id":7}}`)
	a := sampleAlert()
	a.Evidence = "token " + flyToken
	tg := &Telegram{Token: testToken, ChatID: "-1001234", BaseURL: rcv.URL}
	if err := tg.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if rcv.paths[0] != "POST /bot"+testToken+"/sendMessage" || rcv.ctypes[0] != "application/json" {
		t.Errorf("request = %s (%s)", rcv.paths[0], rcv.ctypes[0])
	}
	var body struct {
		ChatID  string `json:"chat_id"`
		Text    string `json:"text"`
		Preview bool   `json:"disable_web_page_preview"`
	}
	if err := json.Unmarshal(rcv.bodies[0], &body); err != nil {
		t.Fatal(err)
	}
	if body.ChatID != "-1001234" || !body.Preview || !strings.Contains(body.Text, a.Summary) || !strings.Contains(body.Text, "next: "+a.Command) {
		t.Errorf("body = %+v", body)
	}
	if strings.Contains(body.Text, "fm2_lJPE") {
		t.Errorf("text not redacted: %q", body.Text)
	}
}

func TestTelegramErrorsHideToken(t *testing.T) {
	refused := httptest.NewServer(http.NotFoundHandler())
	refusedURL := refused.URL
	refused.Close()
	tests := []struct {
		name      string
		base      string
		want      string
		permanent bool
	}{
		{"ok false", newReceiver(t, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`, 400).URL, "chat not found", true},
		{"ok false with 200", newReceiver(t, `{"ok":false,"description":"Forbidden: bot was blocked by the user"}`).URL, "bot was blocked", false},
		{"server error", newReceiver(t, `bad gateway`, 502).URL, "HTTP 502", false},
		{"not json", newReceiver(t, `<html>`).URL, "unreadable answer", false},
		{"connection refused", refusedURL, "telegram: sendMessage", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := (&Telegram{Token: testToken, ChatID: "42", BaseURL: tt.base}).Notify(context.Background(), sampleAlert())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), "AAHdq") {
				t.Errorf("token in error: %v", err)
			}
			var perm *PermanentError
			if errors.As(err, &perm) != tt.permanent {
				t.Errorf("permanent = %v, want %v", !tt.permanent, tt.permanent)
			}
		})
	}
}

func TestWebhook(t *testing.T) {
	rcv := newReceiver(t, "")
	a := sampleAlert()
	if err := (&Webhook{URL: rcv.URL + "/hooks/jpops"}).Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if rcv.paths[0] != "POST /hooks/jpops" || rcv.ctypes[0] != "application/json" {
		t.Errorf("request = %s (%s)", rcv.paths[0], rcv.ctypes[0])
	}
	var m map[string]any
	if err := json.Unmarshal(rcv.bodies[0], &m); err != nil {
		t.Fatal(err)
	}
	if m["running_for_s"] != 1800.0 || m["machine"] != "85e273f4" || m["kind"] != "hang" {
		t.Errorf("body = %s", rcv.bodies[0])
	}
	if _, ok := m["RunningFor"]; ok {
		t.Errorf("Go field names in body: %s", rcv.bodies[0])
	}

	bad := newReceiver(t, "no such hook", 500)
	secretURL := bad.URL + "/services/T000/B000/XXXXsecretXXXX"
	err := (&Webhook{URL: secretURL}).Notify(context.Background(), a)
	if err == nil || !strings.Contains(err.Error(), "HTTP 500") || strings.Contains(err.Error(), "XXXXsecret") {
		t.Errorf("err = %v, want HTTP 500 without the URL path", err)
	}
}

func TestSlack(t *testing.T) {
	rcv := newReceiver(t, "ok")
	a := sampleAlert()
	if err := (&Slack{URL: rcv.URL + "/services/T/B/x"}).Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(rcv.bodies[0], &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || !strings.Contains(m["text"], a.Summary) {
		t.Errorf("body = %s", rcv.bodies[0])
	}
	err := (&Slack{URL: newReceiver(t, "invalid_payload", 400).URL}).Notify(context.Background(), a)
	var perm *PermanentError
	if !errors.As(err, &perm) || !strings.Contains(err.Error(), "invalid_payload") {
		t.Errorf("err = %v, want a permanent error with Slack's answer", err)
	}
}

func TestExec(t *testing.T) {
	out := filepath.Join(t.TempDir(), "env.txt")
	a := sampleAlert()
	a.Evidence = "boot with " + flyToken
	e := &Exec{Command: `env | grep '^JPOPS_' > "$OUT_FILE"`}
	t.Setenv("OUT_FILE", out)
	if err := e.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	env := string(data)
	for _, want := range []string{
		"JPOPS_ALERT_KIND=hang\n", "JPOPS_APP=autonomath-api\n", "JPOPS_MACHINE=85e273f4\n",
		"JPOPS_REGION=nrt\n", "JPOPS_OP=integrity_check\n", "JPOPS_DB=/data/autonomath.db\n",
		"JPOPS_RUNNING_FOR_S=1800\n", "JPOPS_COMMAND=" + a.Command + "\n",
		"JPOPS_SUMMARY=" + a.Summary + "\n", "JPOPS_SINCE=2026-05-11T11:40:00Z\n", "JPOPS_DRILL=0\n",
		"JPOPS_EVIDENCE=boot with [REDACTED]\n",
	} {
		if !strings.Contains(env, want) {
			t.Errorf("env lacks %q:\n%s", want, env)
		}
	}
	if strings.Contains(env, "fm2_lJPE") {
		t.Errorf("token reached the command's environment")
	}
}

func TestExecFailures(t *testing.T) {
	err := (&Exec{Command: "echo boom >&2; exit 3"}).Notify(context.Background(), sampleAlert())
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "boom") {
		t.Errorf("err = %v, want exit status 3 with its output", err)
	}
	start := time.Now()
	err = (&Exec{Command: "sleep 30 & sleep 30; wait", Timeout: 100 * time.Millisecond}).Notify(context.Background(), sampleAlert())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timed-out command took %s to stop", d)
	}
	// Stopped by its caller long before its own timeout: the message says
	// when it was stopped, not the timeout it never reached.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = (&Exec{Command: "sleep 30", Timeout: 30 * time.Second}).Notify(ctx, sampleAlert())
	if err == nil || strings.Contains(err.Error(), "30s") || !strings.Contains(err.Error(), "stopped after") {
		t.Errorf("err = %v, want \"stopped after\" and no claim of its 30s timeout", err)
	}
}

// fake is a notifier driven by a function, recording what it got.
type fake struct {
	name  string
	fn    func(ctx context.Context, a Alert, attempt int) error
	mu    sync.Mutex
	calls int
	got   []string
}

func (f *fake) Name() string { return f.name }

func (f *fake) Notify(ctx context.Context, a Alert) error {
	f.mu.Lock()
	f.calls++
	n := f.calls
	f.mu.Unlock()
	err := f.fn(ctx, a, n)
	if err == nil {
		f.mu.Lock()
		f.got = append(f.got, a.App)
		f.mu.Unlock()
	}
	return err
}

type errLog struct {
	mu   sync.Mutex
	errs []string
}

func (l *errLog) add(name string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, name+": "+err.Error())
}

func (l *errLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.errs...)
}

func TestDispatcherRetriesWithBackoff(t *testing.T) {
	rcv := newReceiver(t, "", 503, 503, 200)
	var log errLog
	backoff := []time.Duration{30 * time.Millisecond, 60 * time.Millisecond}
	d := NewDispatcher(Options{Attempts: 3, Backoff: backoff, Timeout: 2 * time.Second, OnError: log.add},
		&Webhook{URL: rcv.URL})
	d.Send(sampleAlert())
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rcv.count() != 3 || len(log.all()) != 0 {
		t.Fatalf("requests = %d, errors = %v; want 3 requests, no error", rcv.count(), log.all())
	}
	for i, min := range backoff {
		if gap := rcv.times[i+1].Sub(rcv.times[i]); gap < min {
			t.Errorf("gap before attempt %d = %s, want >= %s", i+2, gap, min)
		}
	}
}

func TestDispatcherGivesUp(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		requests int
	}{
		{"server errors retried", []int{500, 500, 500}, 3},
		{"client error not retried", []int{404}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newReceiver(t, "nope", tt.statuses...)
			var log errLog
			d := NewDispatcher(Options{Attempts: 3, Backoff: []time.Duration{time.Millisecond}, OnError: log.add}, &Webhook{URL: rcv.URL})
			d.Send(sampleAlert())
			d.Close(context.Background())
			errs := log.all()
			if rcv.count() != tt.requests || len(errs) != 1 || !strings.HasPrefix(errs[0], "webhook: gave up after") {
				t.Errorf("requests = %d, errors = %q", rcv.count(), errs)
			}
		})
	}
}

func TestDispatcherSlowNotifierDoesNotDelayOthers(t *testing.T) {
	slowStarted := make(chan struct{})
	slow := &fake{name: "slow", fn: func(ctx context.Context, a Alert, _ int) error {
		close(slowStarted)
		<-ctx.Done() // hangs until its attempt times out or Close gives up
		return ctx.Err()
	}}
	fastDone := make(chan struct{}, 1)
	fast := &fake{name: "fast", fn: func(context.Context, Alert, int) error { fastDone <- struct{}{}; return nil }}
	d := NewDispatcher(Options{Attempts: 1, Timeout: time.Minute}, slow, fast)

	start := time.Now()
	d.Send(sampleAlert())
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("Send blocked for %s", took)
	}
	<-slowStarted
	select {
	case <-fastDone:
	case <-time.After(5 * time.Second):
		t.Fatal("fast notifier waited for the slow one")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := d.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want a deadline error once it gives up on the slow notifier", err)
	}
}

func TestDispatcherDropsOldestWhenFull(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	n := &fake{name: "blocked", fn: func(ctx context.Context, a Alert, _ int) error {
		once.Do(func() { close(started); <-release })
		return nil
	}}
	var log errLog
	d := NewDispatcher(Options{Buffer: 2, Attempts: 1, OnError: log.add}, n)
	send := func(id string) { a := sampleAlert(); a.App = id; d.Send(a) }

	send("a0")
	<-started // the worker holds a0; the queue is empty
	done := make(chan struct{})
	go func() {
		for _, id := range []string{"a1", "a2", "a3", "a4", "a5"} {
			send(id)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Send blocked on a full queue")
	}
	if d.Dropped() != 3 {
		t.Errorf("Dropped = %d, want 3", d.Dropped())
	}
	close(release)
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(n.got, ","); got != "a0,a4,a5" {
		t.Errorf("delivered %s, want a0,a4,a5 (oldest dropped)", got)
	}
	errs := log.all()
	if len(errs) != 1 || !strings.Contains(errs[0], "blocked: queue full") || !strings.Contains(errs[0], "3") {
		t.Errorf("errors = %q, want one drop report of 3", errs)
	}
}

func TestDispatcherCloseDrains(t *testing.T) {
	var delivered atomic.Int64
	n := &fake{name: "n", fn: func(context.Context, Alert, int) error { delivered.Add(1); return nil }}
	d := NewDispatcher(Options{}, n)
	for range 5 {
		d.Send(sampleAlert())
	}
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	d.Send(sampleAlert()) // after Close: ignored, no panic
	if delivered.Load() != 5 {
		t.Errorf("delivered %d, want 5", delivered.Load())
	}
	if err := d.Close(context.Background()); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestParseSpec(t *testing.T) {
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": testToken, "TELEGRAM_CHAT_ID": "42", "JPOPS_TELEGRAM_API": "http://127.0.0.1:9",
	}
	getenv := func(k string) string { return env[k] }
	noenv := func(string) string { return "" }
	tests := []struct {
		spec    string
		getenv  func(string) string
		name    string // notifier name, "" for an error
		wantErr string
	}{
		{"stdout", noenv, "stdout", ""},
		{"stdout=json", noenv, "stdout", ""},
		{"stdout=xml", noenv, "", "stdout=json"},
		{"telegram", getenv, "telegram", ""},
		{"telegram=-100777", getenv, "telegram", ""},
		{"telegram", noenv, "", "TELEGRAM_BOT_TOKEN is not set"},
		{"telegram", func(k string) string {
			if k == "TELEGRAM_BOT_TOKEN" {
				return testToken
			}
			return ""
		}, "", "TELEGRAM_CHAT_ID is not set"},
		{"webhook=https://hooks.example.com/jpops", noenv, "webhook", ""},
		{"webhook", noenv, "", "no URL"},
		{"webhook=ftp://x/secretpath", noenv, "", "not an http(s) URL"},
		{"slack=https://hooks.slack.com/services/T/B/secret", noenv, "slack", ""},
		{"slack=", noenv, "", "no URL"},
		{"exec=logger -t jpops \"$JPOPS_SUMMARY\"", noenv, "exec", ""},
		{"exec=", noenv, "", "no command"},
		{"pagerduty", noenv, "", "unknown notifier"},
		{"https://hooks.slack.com/services/T/B/secret", noenv, "", "unknown notifier"},
		{"", noenv, "", "empty value"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			n, err := ParseSpec(tt.spec, tt.getenv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("error repeats a secret: %v", err)
				}
				return
			}
			if err != nil || n.Name() != tt.name {
				t.Fatalf("ParseSpec = %v, %v; want %s", n, err, tt.name)
			}
		})
	}
	n, _ := ParseSpec("telegram=-100777", getenv)
	if tg := n.(*Telegram); tg.ChatID != "-100777" || tg.Token != testToken || tg.BaseURL != "http://127.0.0.1:9" {
		t.Errorf("telegram = %+v", tg)
	}
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"stdout", "telegram", "webhook=https://h/x", "slack=http://[::1", "exec=true", "=", "x=y=z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		n, err := ParseSpec(spec, func(string) string { return "" })
		if (n == nil) == (err == nil) {
			t.Fatalf("ParseSpec(%q) = %v, %v: want exactly one", spec, n, err)
		}
	})
}

func TestHeartbeatPing(t *testing.T) {
	var hits []string
	var fail bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits = append(hits, r.Method+" "+r.URL.Path)
		if fail {
			http.Error(w, "unknown check "+r.URL.Path, http.StatusNotFound)
		}
	}))
	defer srv.Close()
	hb, err := ParseHeartbeat(srv.URL + "/ping/5f0c2b7e-heartbeat-secret-uuid")
	if err != nil {
		t.Fatal(err)
	}
	if err := hb.Ping(context.Background()); err != nil || len(hits) != 1 || hits[0] != "GET /ping/5f0c2b7e-heartbeat-secret-uuid" {
		t.Fatalf("ping: %v, hits %q", err, hits)
	}
	fail = true
	err = hb.Ping(context.Background())
	if err == nil || !strings.Contains(err.Error(), "404") || strings.Contains(err.Error(), "5f0c2b7e-heartbeat-secret-uuid") {
		t.Errorf("failed ping: %v; want the status, and never the check's secret path", err)
	}
	if _, err := ParseHeartbeat("hc-ping.com/uuid"); err == nil {
		t.Error("a heartbeat URL without a scheme was accepted")
	}
}
