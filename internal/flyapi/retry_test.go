package flyapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRetryObserver: a context's observer hears every retry before its
// wait (which call, which attempt, how long, why) and the end of a call
// that was retried; a call answered at once reports nothing.
func TestRetryObserver(t *testing.T) {
	tests := []struct {
		name     string
		answers  []string // per attempt: a status, "garbage" (a 200 that is not JSON), or "ok"
		max      int
		want     []string // Attempt/Max Reason Wait, then done and how
		wantErr  bool
		wantCall string
	}{
		{"answered at once", []string{"ok"}, 0, nil, false, ""},
		{"503 then ok", []string{"503", "ok"}, 0,
			[]string{"1/6 503 Service Unavailable 1ms", "done after 2: ok"}, false, "list machines of app autonomath-api"},
		{"429, garbage, then ok", []string{"429", "garbage", "ok"}, 0,
			[]string{"1/6 429 Too Many Requests 1ms", "2/6 an answer that is not machine JSON 2ms", "done after 3: ok"}, false, ""},
		{"exhausted", []string{"502", "502", "502"}, 2,
			[]string{"1/3 502 Bad Gateway 1ms", "2/3 502 Bad Gateway 2ms", "done after 3: failed"}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1)) - 1
				switch a := tt.answers[min(n, len(tt.answers)-1)]; a {
				case "ok":
					io.WriteString(w, "[]")
				case "garbage":
					io.WriteString(w, "<html>upstream reset</html>")
				default:
					var code int
					fmt.Sscan(a, &code)
					w.WriteHeader(code)
				}
			}))
			defer srv.Close()
			c, sleeps := newClient(t, srv, Config{MaxRetries: tt.max})
			var got []string
			var calls0 []string
			ctx := WithRetryObserver(context.Background(), func(r Retry) {
				calls0 = append(calls0, r.Call)
				if r.Done {
					how := "ok"
					if r.Err != nil {
						how = "failed"
					}
					got = append(got, fmt.Sprintf("done after %d: %s", r.Attempt, how))
					return
				}
				got = append(got, fmt.Sprintf("%d/%d %s %s", r.Attempt, r.Max, r.Reason, r.Wait))
			})
			_, err := c.ListMachines(ctx, "autonomath-api")
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if strings.Join(got, "; ") != strings.Join(tt.want, "; ") {
				t.Errorf("observed %q, want %q", got, tt.want)
			}
			if n := len(*sleeps); n != max(0, len(tt.want)-1) {
				t.Errorf("%d waits for %d retries reported", n, len(tt.want)-1)
			}
			for i, w := range *sleeps {
				if !strings.HasSuffix(got[i], " "+w.String()) {
					t.Errorf("retry %d reported %q, the client waited %s", i+1, got[i], w)
				}
			}
			for _, call := range calls0 {
				if tt.wantCall != "" && call != tt.wantCall {
					t.Errorf("call %q, want %q", call, tt.wantCall)
				}
			}
		})
	}
	// Without an observer nothing is reported and nothing changes.
	if retryObserver(context.Background()) != nil {
		t.Error("a bare context has an observer")
	}
}
