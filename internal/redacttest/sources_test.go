package redacttest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/jpops-dev/jpops/internal/flysim"
	"github.com/jpops-dev/jpops/internal/redact"
)

// Secrets with no Fly prefix: only their source tells jpops they are secret.
const (
	flagToken    = "opaqueNovemberFlagToken7Qx2Lp9/Vb4Kd8Zr="
	configToken  = "opaqueOscarConfigToken3Wm0/Pv2Lk+NcD"
	smokePass    = "SmokePassPapa93/xQ"
	webhookPath  = "QuebecWebhookSecretPath0123456789"
	envSecretVal = "RomeoEnvSecret-4f8a/b2c+d9e="
)

// everyEncoding prints s the ways a tool may: plain, URL-encoded, JSON with
// escaped slashes, and split by terminal colour codes.
func everyEncoding(s string) string {
	js, _ := json.Marshal(s)
	return strings.Join([]string{
		s,
		url.QueryEscape(s),
		url.PathEscape(s),
		strings.ReplaceAll(string(js[1:len(js)-1]), "/", `\/`),
		s[:len(s)/2] + "\x1b[1m" + s[len(s)/2:] + "\x1b[0m",
	}, " | ")
}

// sourceNeedles are every form of every source's secret.
func sourceNeedles(token string) []string {
	var out []string
	for _, s := range []string{token, smokePass, "smoke-user:" + smokePass, webhookPath, envSecretVal} {
		for _, form := range redact.Encodings(s) {
			if len(form) >= 6 {
				out = append(out, form)
			}
		}
	}
	return out
}

func assertNoSource(t *testing.T, token, what, s string) {
	t.Helper()
	for _, view := range []string{s, ansi.Strip(s)} {
		for _, n := range sourceNeedles(token) {
			if strings.Contains(view, n) {
				t.Errorf("LEAK of %q in %s:\n%s", n, what, clip(view))
				return
			}
		}
	}
}

// echoing makes every machine's checks and every boot-log line repeat the
// request's token in every encoding, as a misconfigured app would.
func echoing(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		tok := strings.TrimPrefix(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), "FlyV1 ")
		echo := " [echo " + everyEncoding(tok) + " env=" + everyEncoding(envSecretVal) + "]"
		var v any
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && json.Unmarshal(body, &v) == nil {
			var walk func(any)
			walk = func(v any) {
				switch x := v.(type) {
				case []any:
					for _, e := range x {
						walk(e)
					}
				case map[string]any:
					for k, e := range x {
						if s, ok := e.(string); ok && (k == "message" || k == "output") {
							x[k] = s + echo
						} else {
							walk(e)
						}
					}
				}
			}
			walk(v)
			body, _ = json.Marshal(v)
		}
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

// TestEverySecretSourceOnEveryOutputPath is the end-to-end half of the
// redaction proof (the other half, every encoding against the one redactor,
// is in internal/redact): a token with no Fly prefix from -t and from
// ~/.fly/config.yml, a secret env value, the smoke URL's credentials and a
// webhook path the receiver echoes, each printed back in every encoding by
// the API, the app and flyctl, never reach stdout, stderr, --json, the
// journal, the post-mortem, a notification or a flyctl line.
func TestEverySecretSourceOnEveryOutputPath(t *testing.T) {
	for _, src := range []string{"-t", "config.yml"} {
		t.Run(src, func(t *testing.T) {
			token := flagToken
			if src == "config.yml" {
				token = configToken
			}
			sim, err := flysim.New(flysim.Options{Scenario: "db-boot-hang", Speed: 60, Token: token, Start: time.Now().UTC()})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(echoing(sim.Handler()))
			defer srv.Close()
			r := &rig{t: t, url: srv.URL, state: t.TempDir(), home: t.TempDir()}
			base := newRig(t)
			r.dir = base.dir
			r.environ = []string{
				"PATH=" + os.Getenv("PATH"), "HOME=" + r.home, "JPOPS_STATE_DIR=" + r.state, "JPOPS_BIN=" + jpopsBin,
				"NO_COLOR=1", "TERM=dumb", "FLY_FLAPS_BASE_URL=" + r.url, "FLY_API_BASE_URL=" + r.url,
				"APP_SIGNING_SECRET=" + envSecretVal,
			}
			var global []string
			if src == "-t" {
				global = []string{"-t", token}
			} else {
				if err := os.MkdirAll(filepath.Join(r.home, ".fly"), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(r.home, ".fly", "config.yml"), []byte("access_token: "+token+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			// flyctl prints the token it was given and the smoke credentials.
			r.flyctl = filepath.Join(t.TempDir(), "flyctl")
			script := "#!/bin/sh\n" +
				"cat <<'EOF'\nflyctl: token " + everyEncoding(token) + "\nEOF\n" +
				"cat <<'EOF' >&2\nflyctl: smoke https://smoke-user:" + smokePass + "@example.com " + everyEncoding(smokePass) + "\nEOF\n" +
				// The stand-in reads no config.yml; the real flyctl would find the token there.
				"FLY_ACCESS_TOKEN=${FLY_ACCESS_TOKEN:-" + token + "} exec \"$JPOPS_BIN\" sim flyctl \"$@\"\n"
			if err := os.WriteFile(r.flyctl, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			check := func(code int, args ...string) result {
				t.Helper()
				res := r.run(append(args, global...)...)
				assertNoSource(t, token, "jpops "+strings.Join(args, " ")+" stdout", res.stdout)
				assertNoSource(t, token, "jpops "+strings.Join(args, " ")+" stderr", res.stderr)
				if code >= 0 && res.code != code {
					t.Errorf("jpops %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), res.code, code, clip(res.stdout), clip(res.stderr))
				}
				return res
			}
			app := []string{"-a", "autonomath-api"}

			res := check(10, append([]string{"diagnose"}, app...)...)
			assertHas(t, "diagnose", res.stdout, "HANG_CONFIRMED", "[REDACTED]")
			check(10, append([]string{"diagnose", "--json"}, app...)...)

			// A webhook that refuses, echoing its secret path in the body.
			var (
				mu     sync.Mutex
				bodies []string
			)
			hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				b, _ := io.ReadAll(req.Body)
				mu.Lock()
				bodies = append(bodies, string(b))
				mu.Unlock()
				http.Error(w, "no such hook: "+everyEncoding(req.URL.Path), http.StatusNotFound)
			}))
			defer hook.Close()
			res = check(-1, append([]string{"watch", "--once", "--json", "--notify", "webhook=" + hook.URL + "/hooks/" + webhookPath}, app...)...)
			assertHas(t, "watch stderr", res.stderr, "webhook", "404")
			mu.Lock()
			for _, b := range bodies {
				assertNoSource(t, token, "webhook body", b)
			}
			if len(bodies) == 0 {
				t.Error("watch sent no webhook")
			}
			mu.Unlock()

			smoke := strings.Replace(r.url, "://", "://smoke-user:"+url.PathEscape(smokePass)+"@", 1) + "/app"
			res = check(0, append([]string{"run", "--yes", "--json", "--hold", "1s", "--interval", "100ms",
				"--smoke-url", smoke, "--flyctl", r.flyctl, "--dir", r.dir}, app...)...)
			assertHas(t, "run --json", res.stdout, "flyctl: token", "RECOVERED")
			for name, body := range r.stateFiles() {
				assertNoSource(t, token, "state file "+name, body)
			}
			check(0, "postmortem", "latest")
			check(0, "journal", "show", "latest", "--json")
		})
	}
}
