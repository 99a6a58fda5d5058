// Package redacttest proves redaction end to end: Fly tokens and secret env
// values planted in every input jpops reads (environment, Machines API,
// logs API, flyctl output, API error bodies) never reach what jpops writes
// (stdout, stderr, journal, post-mortem, notifications, TUI goldens).
package redacttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/flysim"
)

// The corpus. Bodies are long and unique so a hit is a leak, not chance.
const (
	macaroonA = "fm2_lJPECAAAAAAAAMqkxBDwA1eakLeakBodyAlphaQ9x+Zr/7Ue=="
	macaroonB = "fm2_lJPEQkZyLeakBodyBravoSimAccepts7Hq3Wm0Pv2Lk+NcD/p0=" // the sim's accepted token
	userToken = "fo1_LeakBodyCharlieUserToken9vTzR4kPq1Xw8Ys"
	readOnly  = "fm1r_LeakBodyDeltaReadOnly3Jx7Kd9Lm2Qp5Rt"
	appToken  = "fm1a_LeakBodyEchoAppScoped6Nv1Bc8Hf4Gz0Wy"
	bearer    = "LeakBodyFoxtrotBearerOpaque5aE2rT9yU1iO7pL"
	bearerFly = "fm2_LeakBodyGolfBearerFlyV1Mac4sD6fG8hJ0kL"
	telegram  = "123456789:AAELeakBodyHotelTelegramBot2mN4bV6cX8z"
	dbPass    = "LeakIndiaDbPw-correct-horse-93fA"
	r2Secret  = "LeakJulietR2Secret0f9e8d7c6b5a4f3e2d1c0b9a8"
)

var (
	flyV1List    = "FlyV1 " + macaroonA + "," + macaroonB
	bearerHeader = "Bearer " + bearer
	bearerFlyV1  = "Bearer FlyV1 " + bearerFly
)

// needles are the strings that must appear nowhere jpops writes: every
// secret whole, after its scheme, each part of a list, and each token body
// after its prefix.
func needles() []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, s := range []string{flyV1List, bearerHeader, bearerFlyV1, userToken, readOnly, appToken, telegram, dbPass, r2Secret} {
		add(s)
		bare := s
		for _, p := range []string{"Bearer ", "FlyV1 "} {
			bare = strings.TrimPrefix(bare, p)
		}
		add(bare)
		for _, part := range strings.Split(bare, ",") {
			add(part)
			if _, body, ok := strings.Cut(part, "_"); ok && strings.HasPrefix(part, "f") {
				add(body)
			}
		}
	}
	_, tgBody, _ := strings.Cut(telegram, ":")
	add(tgBody)
	return out
}

// leaks returns the needles found in s.
func leaks(s string) []string {
	var found []string
	for _, n := range needles() {
		if strings.Contains(s, n) {
			found = append(found, n)
		}
	}
	return found
}

func assertClean(t *testing.T, what, s string) {
	t.Helper()
	if l := leaks(s); len(l) > 0 {
		t.Errorf("LEAK in %s: %q\n%s", what, l, clip(s))
	}
}

func assertHas(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s lacks %q (redaction blanked too much?):\n%s", what, sub, clip(s))
		}
	}
}

func clip(s string) string {
	if len(s) > 4000 {
		return s[:2000] + "\n…\n" + s[len(s)-2000:]
	}
	return s
}

var jpopsBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jpops-redact-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "redacttest: temp dir:", err)
		os.Exit(1)
	}
	jpopsBin = filepath.Join(dir, "jpops")
	build := exec.Command("go", "build", "-o", jpopsBin, "github.com/jpops-dev/jpops/cmd/jpops")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "redacttest: build jpops:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// plantedSuffix rides on the boot-log line that becomes evidence.
var plantedSuffix = " [ctx auth=" + bearerHeader + " ro=" + readOnly + " app=" + appToken +
	" via=" + bearerFlyV1 + " tg=" + telegram + " pw=" + dbPass + " r2=" + r2Secret + "]"

// planting wraps the simulator: it adds the corpus to JSON answers (check
// output, machine metadata and env, log messages) and, for the echo apps,
// answers with an error body that repeats the Authorization header.
func planting(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.Contains(r.URL.Path, "/apps/echo-401/"):
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"error": "token rejected; you sent Authorization: " + r.Header.Get("Authorization")})
			return
		case strings.Contains(r.URL.Path, "/apps/echo-422/"):
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnprocessableEntity)
			json.NewEncoder(w).Encode(map[string]string{"error": "bad request from Authorization: " + r.Header.Get("Authorization") + " pw=" + dbPass})
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			var v any
			if json.Unmarshal(body, &v) == nil {
				plant(v)
				if b, err := json.Marshal(v); err == nil {
					body = b
				}
			}
		}
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

func plant(v any) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			plant(e)
		}
	case map[string]any:
		for k, e := range x {
			switch s, isStr := e.(string); {
			case k == "message" && isStr && strings.Contains(s, "integrity_check"):
				x[k] = s + plantedSuffix
			case k == "message" && isStr:
				x[k] = s + " pw=" + dbPass
			case k == "output" && isStr:
				x[k] = s + " token=" + userToken + " auth=" + flyV1List
			case k == "metadata":
				m, _ := e.(map[string]any)
				if m == nil {
					m = map[string]any{}
				}
				m["deploy_token"] = flyV1List
				m["db_password"] = dbPass
				x[k] = m
			case k == "env":
				if m, ok := e.(map[string]any); ok {
					m["DATABASE_PASSWORD"] = dbPass
				}
			default:
				plant(e)
			}
		}
	}
}

// rig is the test's world: the planting simulator, the env, a wrapper
// flyctl and a deploy directory.
type rig struct {
	t       *testing.T
	url     string
	state   string
	home    string
	flyctl  string
	dir     string
	environ []string
}

func newRig(t *testing.T) *rig {
	t.Helper()
	sim, err := flysim.New(flysim.Options{Scenario: "db-boot-hang", Speed: 60, Token: macaroonB, Start: time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(planting(sim.Handler()))
	t.Cleanup(srv.Close)
	r := &rig{t: t, url: srv.URL, state: t.TempDir(), home: t.TempDir()}

	// flyctl prints the corpus on both streams, then becomes the stand-in.
	bin := t.TempDir()
	r.flyctl = filepath.Join(bin, "flyctl")
	script := "#!/bin/sh\n" +
		"echo \"wrapper: using $FLY_ACCESS_TOKEN for the deploy\"\n" +
		"echo \"wrapper: header Authorization: " + bearerHeader + "\" >&2\n" +
		"echo \"wrapper: also " + bearerFlyV1 + " and " + readOnly + " and " + appToken + "\"\n" +
		"echo \"wrapper: env FLY_API_TOKEN=$FLY_API_TOKEN TELEGRAM_BOT_TOKEN=$TELEGRAM_BOT_TOKEN\" >&2\n" +
		"echo \"wrapper: DATABASE_PASSWORD=$DATABASE_PASSWORD R2_SECRET_ACCESS_KEY=$R2_SECRET_ACCESS_KEY\"\n" +
		"exec \"$JPOPS_BIN\" sim flyctl \"$@\"\n"
	if err := os.WriteFile(r.flyctl, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}

	// A deploy directory whose boot script is the guarded one.
	entry, err := os.ReadFile(filepath.Join("..", "cli", "drillfiles", "entrypoint.sh"))
	if err != nil {
		t.Fatal(err)
	}
	r.dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(r.dir, "entrypoint.sh"), entry, 0o755); err != nil {
		t.Fatal(err)
	}
	toml := "app = \"autonomath-api\"\nprimary_region = \"nrt\"\n"
	if err := os.WriteFile(filepath.Join(r.dir, "fly.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}

	r.environ = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + r.home,
		"JPOPS_STATE_DIR=" + r.state,
		"JPOPS_BIN=" + jpopsBin,
		"NO_COLOR=1",
		"TERM=dumb",
		"FLY_FLAPS_BASE_URL=" + r.url,
		"FLY_API_BASE_URL=" + r.url,
		"FLY_ACCESS_TOKEN=" + flyV1List,
		"FLY_API_TOKEN=" + userToken,
		"TELEGRAM_BOT_TOKEN=" + telegram,
		"TELEGRAM_CHAT_ID=4242",
		"DATABASE_PASSWORD=" + dbPass,
		"R2_SECRET_ACCESS_KEY=" + r2Secret,
	}
	return r
}

type result struct {
	code           int
	stdout, stderr string
}

func (r *rig) run(args ...string) result {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, jpopsBin, args...)
	cmd.Env = r.environ
	cmd.Dir = r.home
	cmd.WaitDelay = 5 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		r.t.Fatalf("jpops %s: still running after 60s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), clip(out.String()), clip(errb.String()))
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatalf("jpops did not run: %v", err)
	}
	return result{code, out.String(), errb.String()}
}

// knownLeaks are leaks found and not yet fixed, keyed by "command stream",
// with the fix. They are logged, not failed, so the gate stays green for the
// rest of the tree; once fixed, the test fails until the entry is removed.
var knownLeaks = map[string]string{}

// knownLeakSeen records which known leaks still happen.
var knownLeakSeen = map[string]bool{}

// check runs jpops and asserts no leak on either stream and the exit code.
func (r *rig) check(code int, args ...string) result {
	r.t.Helper()
	res := r.run(args...)
	name := "jpops " + strings.Join(args, " ")
	for stream, text := range map[string]string{"stdout": res.stdout, "stderr": res.stderr} {
		key := args[0] + " " + stream
		if fix, known := knownLeaks[key]; known && len(leaks(text)) > 0 {
			knownLeakSeen[key] = true
			r.t.Logf("KNOWN LEAK in %s %s (%d secrets); fix: %s", name, stream, len(leaks(text)), fix)
			continue
		}
		assertClean(r.t, name+" "+stream, text)
	}
	if res.code != code {
		r.t.Errorf("%s: want exit %d, got %d\nstdout:\n%s\nstderr:\n%s", name, code, res.code, clip(res.stdout), clip(res.stderr))
	}
	return res
}

// stateFiles reads every file jpops left under the state directory.
func (r *rig) stateFiles() map[string]string {
	r.t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(r.state, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(r.state, p)
		files[rel] = string(b)
		return nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return files
}

func TestNoSecretReachesAnyOutput(t *testing.T) {
	r := newRig(t)
	app := []string{"-a", "autonomath-api"}

	t.Run("diagnose", func(t *testing.T) {
		r.t = t
		res := r.check(10, append([]string{"diagnose"}, app...)...)
		assertHas(t, "diagnose stdout", res.stdout, "HANG_CONFIRMED", "running integrity_check on /data/autonomath.db")
		res = r.check(10, append([]string{"diagnose", "--json"}, app...)...)
		assertHas(t, "diagnose --json", res.stdout, `"verdict"`, "integrity_check")
	})

	t.Run("scan", func(t *testing.T) {
		r.t = t
		log := filepath.Join(t.TempDir(), "logs.txt")
		text := "2026-05-11T11:47:00Z app[784e2e9a5e4d18] nrt [info] entrypoint: boot on 784e2e9a5e4d18 in nrt pw=" + dbPass + "\n" +
			"2026-05-11T11:47:01Z app[784e2e9a5e4d18] nrt [info] entrypoint: running integrity_check on /data/autonomath.db ..." + plantedSuffix + "\n" +
			"2026-05-11T11:48:01Z app[784e2e9a5e4d18] nrt [info] token echo " + flyV1List + " and " + userToken + "\n" +
			"2026-05-11T12:25:00Z app[784e2e9a5e4d18] nrt [info] still waiting " + bearerFlyV1 + "\n"
		if err := os.WriteFile(log, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		res := r.check(10, "scan", log)
		assertHas(t, "scan stdout", res.stdout, "HANG_CONFIRMED", "running integrity_check on /data/autonomath.db")
		res = r.check(10, "scan", "--json", log)
		assertHas(t, "scan --json", res.stdout, "integrity_check")
	})

	// Before "run": the run deploys the fix, and a healed app pages nobody.
	t.Run("watch notification", func(t *testing.T) {
		r.t = t
		if help := r.run("watch", "--help"); help.code != 0 || !strings.Contains(help.stdout, "watch") {
			t.Skip("jpops watch does not exist yet; the notification path is untested")
		}
		var (
			mu     sync.Mutex
			bodies []string
		)
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			b, _ := io.ReadAll(req.Body)
			mu.Lock()
			bodies = append(bodies, req.URL.String()+"\n"+string(b))
			mu.Unlock()
		}))
		defer recv.Close()
		res := r.run("watch", "--once", "-a", "autonomath-api", "--notify", "webhook="+recv.URL+"/hook")
		assertClean(t, "watch stdout", res.stdout)
		assertClean(t, "watch stderr", res.stderr)
		mu.Lock()
		defer mu.Unlock()
		if len(bodies) == 0 {
			t.Fatalf("watch --once sent no webhook (exit %d)\nstdout:\n%s\nstderr:\n%s", res.code, clip(res.stdout), clip(res.stderr))
		}
		// Each machine pages twice (its checks and its boot op); every body
		// keeps its non-secret text, and the boot-op page quotes the log line.
		sawOp := false
		for _, b := range bodies {
			assertClean(t, "webhook body", b)
			assertHas(t, "webhook body", b, "autonomath-api")
			sawOp = sawOp || strings.Contains(b, "running integrity_check on /data/autonomath.db")
		}
		if !sawOp {
			t.Errorf("no webhook body quotes the integrity_check evidence line:\n%s", strings.Join(bodies, "\n"))
		}
	})

	t.Run("run", func(t *testing.T) {
		r.t = t
		res := r.check(0, append([]string{"run", "--yes", "--hold", "1s", "--interval", "100ms",
			"--smoke-url", r.url + "/app", "--flyctl", r.flyctl, "--dir", r.dir}, app...)...)
		assertHas(t, "run output", res.stdout+res.stderr, "RECOVERED")
		var journal string
		for name, body := range r.stateFiles() {
			assertClean(t, "state file "+name, body)
			if strings.HasPrefix(name, "incidents") && strings.HasSuffix(name, ".ndjson") {
				journal += body
			}
		}
		assertHas(t, "journal", journal, "running integrity_check on /data/autonomath.db",
			"wrapper: using", "for the deploy", "wrapper: header Authorization:", "DATABASE_PASSWORD=", "[REDACTED]")

		pm := r.check(0, "postmortem", "latest")
		assertHas(t, "postmortem", pm.stdout, "Timeline", "integrity_check")
		js := r.check(0, "journal", "show", "latest", "--json")
		assertHas(t, "journal show --json", js.stdout, "wrapper: using", "[REDACTED]")
		r.check(0, "journal", "show", "latest")
	})

	t.Run("drill", func(t *testing.T) {
		r.t = t
		res := r.check(0, "drill", "--yes", "--hold", "1s", "--interval", "100ms")
		if res.stdout == "" {
			t.Error("drill printed nothing")
		}
		for name, body := range r.stateFiles() {
			assertClean(t, "state file "+name, body)
		}
		r.check(0, "postmortem", "latest")
	})

	t.Run("api error bodies", func(t *testing.T) {
		r.t = t
		res := r.check(3, "diagnose", "-a", "echo-401")
		assertHas(t, "diagnose 401 stderr", res.stderr, "token rejected; you sent Authorization:", "[REDACTED]")
		res = r.run("diagnose", "-a", "echo-422")
		assertClean(t, "diagnose 422 stdout", res.stdout)
		assertClean(t, "diagnose 422 stderr", res.stderr)
		if res.code == 0 || res.code == 10 {
			t.Errorf("diagnose against an erroring API: exit %d", res.code)
		}
		assertHas(t, "diagnose 422 stderr", res.stderr, "jpops:", "[REDACTED]")
	})

	t.Run("known leaks still happen", func(t *testing.T) {
		for key := range knownLeaks {
			if !knownLeakSeen[key] {
				t.Errorf("the known leak %q no longer happens: remove it from knownLeaks so the gate guards it again", key)
			}
		}
	})

}

// TestTUIGoldensCarryNoToken scans every file the TUI tests keep.
func TestTUIGoldensCarryNoToken(t *testing.T) {
	root := filepath.Join("..", "tui", "testdata")
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "fuzz" {
				return filepath.SkipDir // fuzz inputs are inputs, not rendered output
			}
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		assertClean(t, p, string(b))
		if m := shapes(string(b)); len(m) > 0 {
			t.Errorf("%s carries token shapes %q", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no TUI golden files found")
	}
}

// shapePattern is any Fly token shape left unmasked: a masked one reads
// "FlyV1 [REDACTED]" and does not match.
var shapePattern = regexp.MustCompile(`(?i)\b(?:flyv1|bearer)\s+[A-Za-z0-9_\-+/=.,:]{8,}|\b(?:fm1r|fm1a|fm2|fo1)_[A-Za-z0-9_\-+/=.,:]{8,}|\b\d{8,10}:AA[A-Za-z0-9_\-]{20,}`)

func shapes(s string) []string { return shapePattern.FindAllString(s, -1) }
