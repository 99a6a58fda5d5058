package flysim

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func FuzzParseFlyctlArgs(f *testing.F) {
	f.Add("deploy --remote-only --strategy rolling -a autonomath-api")
	f.Add("version")
	f.Add("deploy --app=x --wait-timeout=10m -y")
	f.Add("deploy -a")
	f.Add("--strategy bogus deploy")
	f.Fuzz(func(t *testing.T, line string) {
		fa, err := parseFlyctlArgs(strings.Fields(line))
		if err == nil && fa.command != "deploy" && fa.command != "version" {
			t.Errorf("accepted command %q", fa.command)
		}
	})
}

func FuzzLogsQuery(f *testing.F) {
	s, err := New(Options{Token: testToken})
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	f.Add("", "", "")
	f.Add("1778501880000000000", "85e273f4b1c638", "nrt")
	f.Add("-1", "x", "")
	f.Add("99999999999999999999", "", "ams")
	f.Fuzz(func(t *testing.T, token, instance, region string) {
		q := url.Values{"next_token": {token}, "instance": {instance}, "region": {region}}
		req := httptest.NewRequest("GET", "/api/v1/apps/autonomath-api/logs?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 && rec.Code != 400 {
			t.Errorf("status %d for %q", rec.Code, q.Encode())
		}
	})
}

func FuzzWaitQuery(f *testing.F) {
	f.Add("state=started&timeout=60")
	f.Add("state=settled&state=stopped&version=01ABC")
	f.Add("timeout=61")
	f.Add("timeout=%zz")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		wq, err := parseWaitQuery(q)
		if err == nil && (wq.timeout < time.Second || wq.timeout > time.Minute || len(wq.states) == 0) {
			t.Errorf("accepted %q as %+v", raw, wq)
		}
	})
}

func FuzzAuthorization(f *testing.F) {
	s, _ := New(Options{Token: testToken})
	f.Add("Bearer " + testToken)
	f.Add("bearer flyv1 " + testToken)
	f.Add("FlyV1 a," + testToken)
	f.Add("Bearer")
	f.Fuzz(func(t *testing.T, header string) {
		if s.authorized(header) && !strings.Contains(header, testToken) {
			t.Errorf("accepted %q", header)
		}
	})
}

func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, Options{Scenario: "healthy", Speed: 60}, "127.0.0.1:0", pw)
		pw.Close()
	}()
	var out strings.Builder
	buf := make([]byte, 4096)
	for !strings.Contains(out.String(), "/app/v1/healthz") {
		n, err := pr.Read(buf)
		if err != nil {
			t.Fatalf("reading Serve output: %v (so far %q)", err, out.String())
		}
		out.Write(buf[:n])
	}
	go io.Copy(io.Discard, pr) //nolint:errcheck
	var base, token string
	for _, l := range strings.Split(out.String(), "\n") {
		if v, ok := strings.CutPrefix(l, "export FLY_FLAPS_BASE_URL="); ok {
			base = v
		}
		if v, ok := strings.CutPrefix(l, "export FLY_API_TOKEN="); ok {
			token = v
		}
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || token == "" || !strings.Contains(out.String(), "FLY_API_BASE_URL="+base) {
		t.Fatalf("output lacks base URL or token:\n%s", out.String())
	}
	for _, tt := range []struct {
		auth string
		want int
	}{{"Bearer " + token, 200}, {"Bearer other", 401}} {
		req, _ := http.NewRequest("GET", base+"/v1/apps/autonomath-api/machines", nil)
		req.Header.Set("Authorization", tt.auth)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tt.want {
			t.Errorf("%s: %d, want %d", tt.auth[:10], res.StatusCode, tt.want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}
