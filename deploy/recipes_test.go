// Package deploy_test checks the watchdog's homes in deploy/: each recipe's
// own command runs against the simulated platform, with the notifier and the
// heartbeat on loopback, twice over kept state, and pages once.
package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
	"go.yaml.in/yaml/v3"

	"github.com/jpops-dev/jpops/internal/flysim"
)

var jpopsBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jpops-deploy-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	jpopsBin = filepath.Join(dir, "jpops")
	build := exec.Command("go", "build", "-trimpath", "-o", jpopsBin, "github.com/jpops-dev/jpops/cmd/jpops")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // static, as the Fly image needs
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// world is the watched app on the simulated platform, a Telegram Bot API
// and a heartbeat receiver on loopback.
type world struct {
	env    []string
	app    string
	mu     sync.Mutex
	pages  []string
	beats  int
	sim    *flysim.Server
	binDir string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	const token = "deploy-recipe-token"
	sim, err := flysim.New(flysim.Options{Scenario: "db-boot-hang", Speed: 1, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(sim.Handler())
	t.Cleanup(api.Close)
	w := &world{app: sim.App(), sim: sim}
	recv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		defer w.mu.Unlock()
		switch {
		case strings.HasSuffix(r.URL.Path, "/sendMessage"):
			b, _ := io.ReadAll(r.Body)
			w.pages = append(w.pages, string(b))
			io.WriteString(rw, `{"ok":true,"result":{}}`)
		case strings.HasPrefix(r.URL.Path, "/ping/"):
			w.beats++
		default:
			http.NotFound(rw, r)
		}
	}))
	t.Cleanup(recv.Close)
	w.binDir = filepath.Dir(jpopsBin)
	w.env = []string{
		"PATH=" + w.binDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"FLY_FLAPS_BASE_URL=" + api.URL, "FLY_API_BASE_URL=" + api.URL, "FLY_API_TOKEN=" + token,
		"TELEGRAM_BOT_TOKEN=123456:recipe-bot-token", "TELEGRAM_CHAT_ID=4242",
		"JPOPS_TELEGRAM_API=" + recv.URL,
		"JPOPS_HEARTBEAT_URL=" + recv.URL + "/ping/0b7e-recipe-check",
		"NO_COLOR=1",
	}
	return w
}

func (w *world) counts() (pages, beats int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pages), w.beats
}

// run runs argv (jpops first) with the world's env and state dir.
func (w *world) run(t *testing.T, stateDir string, argv []string, extraEnv ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(append(w.env, "JPOPS_STATE_DIR="+stateDir), extraEnv...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", argv, err)
	}
	return code, out.String()
}

// checkPagedOnce asserts the first round paged once, pinged the heartbeat,
// and the second round over the kept state paged nothing new.
func checkPagedOnce(t *testing.T, w *world, round func() (int, string)) {
	t.Helper()
	code, out := round()
	pages, beats := w.counts()
	if (code != 10 && code != 11) || pages != 1 || beats != 1 {
		t.Fatalf("first round: exit %d, %d pages, %d heartbeats; want a wedged verdict (10 or 11), 1, 1\n%s", code, pages, beats, out)
	}
	if strings.Contains(out, "recipe-bot-token") || strings.Contains(out, "0b7e-recipe-check") {
		t.Errorf("a secret reached the output:\n%s", out)
	}
	w.sim.Clock().Advance(5 * time.Minute)
	code, out = round()
	pages, beats = w.counts()
	if (code != 10 && code != 11) || pages != 1 || beats != 2 {
		t.Fatalf("second round over the kept state: exit %d, %d pages, %d heartbeats; want a wedged verdict, still 1 page, 2 heartbeats\n%s", code, pages, beats, out)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// unitValues returns key=value lines of a unit file.
func unitValues(text string) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			out[k] = v
		}
	}
	return out
}

func TestSystemdRecipe(t *testing.T) {
	service := readFile(t, "systemd/jpops-watch@.service")
	timer := readFile(t, "systemd/jpops-watch@.timer")
	v := unitValues(service)
	for k, want := range map[string]string{"NoNewPrivileges": "yes", "ProtectHome": "read-only", "StateDirectory": "jpops", "Environment": "JPOPS_STATE_DIR=%S/jpops", "Type": "oneshot"} {
		if v[k] != want {
			t.Errorf("service %s=%q, want %q", k, v[k], want)
		}
	}
	if unitValues(timer)["OnUnitActiveSec"] != "5min" {
		t.Errorf("timer does not run every 5 minutes")
	}

	t.Run("systemd-analyze verify", func(t *testing.T) {
		analyze, err := exec.LookPath("systemd-analyze")
		if err != nil {
			t.Skip("systemd-analyze is not installed here")
		}
		dir := t.TempDir()
		unit := strings.ReplaceAll(service, "/usr/bin/jpops", jpopsBin)
		os.WriteFile(filepath.Join(dir, "jpops-watch@autonomath-api.service"), []byte(unit), 0o644)
		os.WriteFile(filepath.Join(dir, "jpops-watch@autonomath-api.timer"), []byte(timer), 0o644)
		cmd := exec.Command(analyze, "verify", "./jpops-watch@autonomath-api.service", "./jpops-watch@autonomath-api.timer")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		// verify exits 0 on unknown keys and bad values; any word from it is a finding.
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
	})

	t.Run("ExecStart pages once over the state directory", func(t *testing.T) {
		w := newWorld(t)
		argv := strings.Fields(strings.ReplaceAll(v["ExecStart"], "%i", w.app))
		argv[0] = jpopsBin
		state := t.TempDir() // StateDirectory= keeps it between runs of the timer
		checkPagedOnce(t, w, func() (int, string) { return w.run(t, state, argv) })
	})
}

func TestGitHubActionsRecipe(t *testing.T) {
	var wf struct {
		On struct {
			Schedule []struct{ Cron string } `yaml:"schedule"`
		} `yaml:"on"`
		Jobs map[string]struct {
			Env   map[string]string `yaml:"env"`
			Steps []struct {
				Name string            `yaml:"name"`
				Uses string            `yaml:"uses"`
				If   string            `yaml:"if"`
				Run  string            `yaml:"run"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, "github/jpops-watch.yml")), &wf); err != nil {
		t.Fatal(err)
	}
	if len(wf.On.Schedule) != 1 || wf.On.Schedule[0].Cron != "*/5 * * * *" {
		t.Errorf("schedule %+v, want every 5 minutes", wf.On.Schedule)
	}
	job, ok := wf.Jobs["watch"]
	if !ok {
		t.Fatal("no watch job")
	}
	var restore, save, script string
	for _, s := range job.Steps {
		switch {
		case strings.HasPrefix(s.Uses, "actions/cache/restore@"):
			restore = s.With["path"]
		case strings.HasPrefix(s.Uses, "actions/cache/save@"):
			save = s.With["path"]
			if s.If != "always()" {
				t.Errorf("the state is saved only if: %q; a failed round must keep what was confirmed too", s.If)
			}
		case strings.Contains(s.Run, "jpops watch --once"):
			script = s.Run
		}
	}
	if restore == "" || restore != save || !strings.HasSuffix(job.Env["JPOPS_STATE_DIR"], restore) {
		t.Fatalf("cache restore %q, save %q, JPOPS_STATE_DIR %q: the state must be restored and saved where jpops keeps it", restore, save, job.Env["JPOPS_STATE_DIR"])
	}
	if runtime.GOOS == "windows" {
		t.Skip("the workflow's script is bash")
	}
	// Two scheduled runs: the state is saved by the first and restored into
	// a fresh workspace for the second, as the cache does.
	w := newWorld(t)
	cache := t.TempDir()
	checkPagedOnce(t, w, func() (int, string) {
		workspace := t.TempDir()
		state := filepath.Join(workspace, restore)
		if err := os.CopyFS(state, os.DirFS(cache)); err != nil {
			t.Fatal(err)
		}
		code, out := w.run(t, state, []string{"bash", "-e", "-c", script}, "JPOPS_APP="+w.app)
		os.RemoveAll(cache)
		if err := os.CopyFS(cache, os.DirFS(state)); err != nil {
			t.Fatal(err)
		}
		if code != 0 {
			t.Fatalf("the workflow step failed (exit %d) on a confirmed hang:\n%s", code, out)
		}
		return 10, out // the step maps verdicts to success; the pages say what happened
	})
}

func TestFlyAppRecipe(t *testing.T) {
	var cfg struct {
		App           string            `toml:"app"`
		PrimaryRegion string            `toml:"primary_region"`
		Env           map[string]string `toml:"env"`
		Processes     map[string]string `toml:"processes"`
		Mounts        []struct {
			Source, Destination string
		} `toml:"mounts"`
	}
	if err := toml.Unmarshal([]byte(readFile(t, "fly/fly.toml")), &cfg); err != nil {
		t.Fatal(err)
	}
	watched := "nrt" // autonomath-api's region in the post-mortem
	if cfg.PrimaryRegion == "" || cfg.PrimaryRegion == watched {
		t.Errorf("primary_region %q: the watchdog must run in another region than the app it watches (%s)", cfg.PrimaryRegion, watched)
	}
	for k := range cfg.Env {
		if strings.Contains(k, "TOKEN") || strings.Contains(k, "HEARTBEAT") {
			t.Errorf("[env] holds %s: secrets go in `fly secrets set`, never in fly.toml", k)
		}
	}
	if len(cfg.Mounts) != 1 || cfg.Env["JPOPS_STATE_DIR"] != cfg.Mounts[0].Destination {
		t.Errorf("JPOPS_STATE_DIR %q is not the volume's mount (%+v): the state would not survive a restart", cfg.Env["JPOPS_STATE_DIR"], cfg.Mounts)
	}
	docker := readFile(t, "fly/Dockerfile")
	stages := strings.Split(docker, "\nFROM ")
	if last := strings.Fields(stages[len(stages)-1]); len(last) == 0 || last[0] != "scratch" {
		t.Errorf("the final stage is not FROM scratch")
	}
	if !strings.Contains(docker, `ENTRYPOINT ["/jpops"]`) || !strings.Contains(docker, "ca-certificates.crt") {
		t.Errorf("the image must run /jpops and carry the CA bundle for HTTPS")
	}
	// The binary must run on an empty image: static, no interpreter.
	if f, err := elf.Open(jpopsBin); err == nil {
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("the jpops binary needs a dynamic loader; build it with CGO_ENABLED=0")
			}
		}
		f.Close()
	}

	// The machine's process runs as the image's entrypoint with these
	// arguments; a restart keeps the volume, so the page is not repeated.
	w := newWorld(t)
	args := strings.Fields(strings.ReplaceAll(cfg.Processes["app"], "autonomath-api", w.app))
	state := t.TempDir() // the volume
	checkPagedOnce(t, w, func() (int, string) {
		// Long-running: stop it (as fly does, SIGINT then SIGKILL) once it paged and beat.
		_, beats0 := w.counts()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, jpopsBin, append(args, "--interval", "100ms")...)
		cmd.Env = append(w.env, "JPOPS_STATE_DIR="+state)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for ctx.Err() == nil {
			_, beats := w.counts()
			if beats > beats0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		// Count one round's worth of heartbeats: the long-running watch
		// pings after every round.
		w.mu.Lock()
		w.beats = beats0 + 1
		w.mu.Unlock()
		return 10, out.String()
	})
}
