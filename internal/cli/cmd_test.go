package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/iostreams"
)

// testFactory is a factory with no terminal, an empty environment but
// vars, and its own state directory; tty makes stdin and stdout terminals.
func testFactory(t *testing.T, tty bool, vars map[string]string) (*Factory, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	ios.SetTTY(tty, tty, tty)
	f := NewFactory(ios)
	env := map[string]string{"JPOPS_STATE_DIR": t.TempDir()}
	for k, v := range vars {
		env[k] = v
	}
	f.Getenv = func(k string) string { return env[k] }
	f.Home = t.TempDir()
	f.Now = func() time.Time { return time.Date(2026, 5, 11, 12, 25, 0, 0, time.UTC) }
	return f, out, errOut
}

// execute runs one command built by NewCmdX with args and returns the
// exit code it would give.
func execute(t *testing.T, cmd *cobra.Command, args ...string) (int, error) {
	t.Helper()
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(context.Background())
	return ExitCode(err), err
}

// A directory whose fly.toml names the app.
func flyTomlDir(t *testing.T, app string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fly.toml"), []byte("app = \""+app+"\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestNewCmdRun(t *testing.T) {
	tomlDir := flyTomlDir(t, "from-toml")
	tests := []struct {
		name    string
		tty     bool
		vars    map[string]string
		args    []string
		code    int
		errHas  []string
		errLack []string
		check   func(t *testing.T, o *RunOptions)
	}{
		{name: "no terminal, no --yes", args: []string{"-a", "web"}, code: 2, errHas: []string{"--yes", "--dry-run"}},
		{name: "--json on a terminal needs --yes too", tty: true, args: []string{"-a", "web", "--json"}, code: 2, errHas: []string{"--yes"}},
		{name: "--yes off a terminal", args: []string{"-a", "web", "--yes"}, check: func(t *testing.T, o *RunOptions) {
			if o.App != "web" || !o.Yes || o.TUI || o.DryRun {
				t.Errorf("app %q yes %v tui %v dry-run %v", o.App, o.Yes, o.TUI, o.DryRun)
			}
		}},
		{name: "--dry-run off a terminal", args: []string{"-a", "web", "--dry-run"}, check: func(t *testing.T, o *RunOptions) {
			if !o.DryRun || o.TUI {
				t.Errorf("dry-run %v tui %v", o.DryRun, o.TUI)
			}
		}},
		{name: "a terminal opens the TUI", tty: true, args: []string{"-a", "web"}, check: func(t *testing.T, o *RunOptions) {
			if !o.TUI {
				t.Error("no TUI on a terminal")
			}
		}},
		{name: "FLY_APP", vars: map[string]string{"FLY_APP": "from-env"}, args: []string{"--yes"}, check: func(t *testing.T, o *RunOptions) {
			if o.App != "from-env" {
				t.Errorf("app %q", o.App)
			}
		}},
		{name: "-a beats FLY_APP", vars: map[string]string{"FLY_APP": "from-env"}, args: []string{"--yes", "-a", "web"}, check: func(t *testing.T, o *RunOptions) {
			if o.App != "web" {
				t.Errorf("app %q", o.App)
			}
		}},
		{name: "fly.toml in --dir", args: []string{"--yes", "--dir", tomlDir}, check: func(t *testing.T, o *RunOptions) {
			if o.App != "from-toml" || o.Dir != tomlDir {
				t.Errorf("app %q dir %q", o.App, o.Dir)
			}
		}},
		{name: "no app anywhere", args: []string{"--yes", "--config", t.TempDir()}, code: 2, errHas: []string{"no app given"}},
		{name: "timings", args: []string{"-a", "web", "--yes", "--hold", "1m", "--interval", "2s", "--settle", "10s", "--machine", "m1", "--force"}, check: func(t *testing.T, o *RunOptions) {
			if o.Hold != time.Minute || o.Interval != 2*time.Second || o.Settle != 10*time.Second || o.Machine != "m1" || !o.Force {
				t.Errorf("%+v", o.walkFlags)
			}
		}},
		{name: "default settle", args: []string{"-a", "web", "--yes"}, check: func(t *testing.T, o *RunOptions) {
			if o.Settle != 2*time.Minute || o.Hold != 0 {
				t.Errorf("settle %s hold %s", o.Settle, o.Hold)
			}
		}},
		{name: "an argument", args: []string{"web", "--yes"}, code: 2},
		{name: "a bad duration", args: []string{"-a", "web", "--yes", "--hold", "soon"}, code: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory(t, tt.tty, tt.vars)
			var got *RunOptions
			code, err := execute(t, NewCmdRun(f, func(o *RunOptions) error { got = o; return nil }), tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d (%v)", code, tt.code, err)
			}
			for _, s := range tt.errHas {
				if err == nil || !strings.Contains(err.Error(), s) {
					t.Errorf("error %v lacks %q", err, s)
				}
			}
			if tt.check != nil {
				if got == nil {
					t.Fatal("runF not reached")
				}
				tt.check(t, got)
			}
			if tt.code != 0 && got != nil {
				t.Error("runF reached after a refusal")
			}
		})
	}
}

func TestNewCmdDrill(t *testing.T) {
	tests := []struct {
		name    string
		tty     bool
		args    []string
		code    int
		errHas  string
		errLack string
		check   func(t *testing.T, o *DrillOptions)
	}{
		{name: "no terminal, no --yes", args: nil, code: 2, errHas: "--yes", errLack: "--dry-run"},
		{name: "drill has no --dry-run", args: []string{"--dry-run"}, code: 2, errHas: "unknown flag"},
		{name: "--yes", args: []string{"--yes"}, check: func(t *testing.T, o *DrillOptions) {
			if o.Scenario != "db-boot-hang" || o.Speed != 60 || o.TUI || !o.Yes {
				t.Errorf("%+v", o)
			}
		}},
		{name: "a terminal", tty: true, args: []string{"--scenario", "fix-missing"}, check: func(t *testing.T, o *DrillOptions) {
			if !o.TUI || o.Scenario != "fix-missing" {
				t.Errorf("tui %v scenario %q", o.TUI, o.Scenario)
			}
		}},
		{name: "--list needs no gate", args: []string{"--list"}, check: func(t *testing.T, o *DrillOptions) {
			if !o.List {
				t.Error("not --list")
			}
		}},
		{name: "--speed 0", args: []string{"--yes", "--speed", "0"}, code: 2, errHas: "--speed"},
		{name: "unknown scenario", args: []string{"--yes", "--scenario", "nope"}, code: 2, errHas: "db-boot-hang"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory(t, tt.tty, nil)
			var got *DrillOptions
			code, err := execute(t, NewCmdDrill(f, func(o *DrillOptions) error { got = o; return nil }), tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d (%v)", code, tt.code, err)
			}
			if tt.errHas != "" && (err == nil || !strings.Contains(err.Error(), tt.errHas)) {
				t.Errorf("error %v lacks %q", err, tt.errHas)
			}
			if tt.errLack != "" && err != nil && strings.Contains(err.Error(), tt.errLack) {
				t.Errorf("error %v suggests %q", err, tt.errLack)
			}
			if tt.check != nil {
				if got == nil {
					t.Fatal("runF not reached")
				}
				tt.check(t, got)
			}
		})
	}
}

func TestNewCmdSmoke(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		code  int
		image string
	}{
		{"no --image", []string{"-a", "web"}, 2, ""},
		{"no app", []string{"--image", "sha256:ab", "--config", t.TempDir()}, 2, ""},
		{"image and app", []string{"-a", "web", "--image", "sha256:ab"}, 0, "sha256:ab"},
		// Scripts written when smoke offered --yes still run.
		{"--yes is accepted", []string{"-a", "web", "--image", "sha256:ab", "--yes"}, 0, "sha256:ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory(t, false, nil)
			var got *SmokeOptions
			code, err := execute(t, NewCmdSmoke(f, func(o *SmokeOptions) error { got = o; return nil }), tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d (%v)", code, tt.code, err)
			}
			if tt.code == 0 && (got == nil || got.Image != tt.image || got.App != "web") {
				t.Errorf("options %+v", got)
			}
		})
	}
}

// smoke has no gate: its help must not offer one.
func TestSmokeHelpOffersNoGate(t *testing.T) {
	f, out, _ := testFactory(t, false, nil)
	if code := Main(context.Background(), f, []string{"smoke", "--help"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if strings.Contains(out.String(), "--yes") {
		t.Errorf("smoke --help offers --yes:\n%s", out)
	}
}

func TestNewCmdWatch(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		code      int
		notifiers int
	}{
		{"defaults", []string{"-a", "web"}, 0, 0},
		{"--interval 0", []string{"-a", "web", "--interval", "0s"}, 2, 0},
		{"negative --hang-after", []string{"-a", "web", "--hang-after", "-1s"}, 2, 0},
		{"negative --lookback", []string{"-a", "web", "--lookback", "-1m"}, 2, 0},
		{"a path for an app", []string{"-a", "../etc"}, 2, 0},
		{"unknown notifier", []string{"-a", "web", "--notify", "pager"}, 2, 0},
		{"stdout is always on", []string{"-a", "web", "--notify", "stdout"}, 0, 0},
		{"two notifiers", []string{"-a", "web", "--notify", "webhook=http://127.0.0.1:1/x", "--notify", "exec=true"}, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory(t, false, nil)
			var got *WatchOptions
			code, err := execute(t, NewCmdWatch(f, func(o *WatchOptions) error { got = o; return nil }), tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d (%v)", code, tt.code, err)
			}
			if tt.code == 0 && len(got.Notifiers) != tt.notifiers {
				t.Errorf("%d notifiers, want %d", len(got.Notifiers), tt.notifiers)
			}
		})
	}
}

func TestNewCmdScan(t *testing.T) {
	tests := []struct {
		name string
		tty  bool
		args []string
		code int
		file string
		at   time.Time
	}{
		{"a terminal on stdin, no file", true, nil, 2, "", time.Time{}},
		{"a pipe", false, nil, 0, "", time.Time{}},
		{"a file on a terminal", true, []string{"saved.log"}, 0, "saved.log", time.Time{}},
		{"--now now", false, []string{"-", "--now", "now"}, 0, "-", time.Date(2026, 5, 11, 12, 25, 0, 0, time.UTC)},
		{"--now a time", false, []string{"--now", "2026-05-11T11:00:00Z"}, 0, "", time.Date(2026, 5, 11, 11, 0, 0, 0, time.UTC)},
		{"--now nonsense", false, []string{"--now", "soon"}, 2, "", time.Time{}},
		{"two files", false, []string{"a.log", "b.log"}, 2, "", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory(t, tt.tty, nil)
			var got *ScanOptions
			code, err := execute(t, NewCmdScan(f, func(o *ScanOptions) error { got = o; return nil }), tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d (%v)", code, tt.code, err)
			}
			if tt.code == 0 && (got.File != tt.file || !got.At.Equal(tt.at)) {
				t.Errorf("file %q at %s", got.File, got.At)
			}
		})
	}
}

func TestNewCmdDiagnoseAndDoctor(t *testing.T) {
	f, _, _ := testFactory(t, false, map[string]string{"FLY_APP": "from-env"})
	var d *DiagnoseOptions
	if code, err := execute(t, NewCmdDiagnose(f, func(o *DiagnoseOptions) error { d = o; return nil }), "--json", "--machine", "m1", "--concurrency", "1"); code != 0 {
		t.Fatalf("diagnose: exit %d (%v)", code, err)
	}
	if d.App != "from-env" || !d.JSON || d.Machine != "m1" || d.Concurrency != 1 {
		t.Errorf("diagnose options %+v", d)
	}
	// doctor checks what it can without an app.
	f, _, _ = testFactory(t, false, nil)
	var doc *DoctorOptions
	if code, err := execute(t, NewCmdDoctor(f, func(o *DoctorOptions) error { doc = o; return nil }), "--config", t.TempDir()); code != 0 {
		t.Fatalf("doctor: exit %d (%v)", code, err)
	}
	if doc.App != "" || doc.AppErr == nil {
		t.Errorf("doctor without an app: app %q, err %v", doc.App, doc.AppErr)
	}
}

func TestNewCmdJournalAndPostmortemArgs(t *testing.T) {
	f, _, _ := testFactory(t, false, nil)
	var show *JournalShowOptions
	if code, err := execute(t, NewCmdJournalShow(f, func(o *JournalShowOptions) error { show = o; return nil }), "2026", "--json"); code != 0 || show.Incident != "2026" || !show.JSON {
		t.Errorf("journal show: exit %d (%v), %+v", code, err, show)
	}
	if code, _ := execute(t, NewCmdJournalShow(f, func(*JournalShowOptions) error { return nil }), "a", "b"); code != 2 {
		t.Errorf("journal show a b: exit %d, want 2", code)
	}
	var pm *PostmortemOptions
	if code, err := execute(t, NewCmdPostmortem(f, func(o *PostmortemOptions) error { pm = o; return nil }), "-o", "pm.md"); code != 0 || pm.Incident != "" || pm.Output != "pm.md" {
		t.Errorf("postmortem: exit %d (%v), %+v", code, err, pm)
	}
}

// A mistake on the command line points at the command's help; any other
// error says what failed and exits with its own code, without the hint.
func TestErrorsAndTheUsageHint(t *testing.T) {
	badRunbook := filepath.Join(t.TempDir(), "rb.yaml")
	if err := os.WriteFile(badRunbook, []byte("name: [unclosed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args   []string
		code   int
		stderr string
		hint   string // "": no hint
	}{
		{[]string{"diagnose", "--bogus"}, 2, "unknown flag: --bogus", "Run 'jpops diagnose --help' for usage."},
		{[]string{"nope"}, 2, "unknown command", "Run 'jpops --help' for usage."},
		{[]string{"drill", "--speed", "0", "--yes"}, 2, "--speed", "Run 'jpops drill --help' for usage."},
		{[]string{"journal", "show", "a", "b"}, 2, "accepts at most 1 arg", "Run 'jpops journal show --help' for usage."},
		{[]string{"journal", "show", "latest"}, 1, "no incident journals", ""},
		{[]string{"postmortem", "nope"}, 1, "no incident \"nope\"", ""},
		{[]string{"--runbook", badRunbook, "diagnose", "-a", "web"}, 2, "rb.yaml", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, _, errOut := testFactory(t, false, nil)
			code := Main(context.Background(), f, tt.args)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.code, errOut)
			}
			if !strings.Contains(errOut.String(), tt.stderr) {
				t.Errorf("stderr %q lacks %q", errOut, tt.stderr)
			}
			hinted := strings.Contains(errOut.String(), "--help' for usage")
			if tt.hint == "" && hinted {
				t.Errorf("a non-usage error points at the help: %q", errOut)
			}
			if tt.hint != "" && !strings.Contains(errOut.String(), tt.hint) {
				t.Errorf("stderr %q lacks %q", errOut, tt.hint)
			}
		})
	}
}

// Every command's --help shows examples and an exit-code table, and the
// table names only codes of the published exit-code table.
func TestEveryHelpHasExamplesAndExitCodes(t *testing.T) {
	known := []int{0, 1, 2, 3, 10, 11, 12, 20, 30, 40, 130}
	code := regexp.MustCompile(`(?m)^    (\d+) +\S`)
	f, _, _ := testFactory(t, false, nil)
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, cc := range c.Commands() {
			if cc.Name() == "help" || strings.HasPrefix(cc.Name(), "__") {
				continue
			}
			walk(cc, append(slices.Clone(path), cc.Name()))
		}
	}
	walk(NewRoot(f), nil)
	if len(paths) < 15 {
		t.Fatalf("only %d commands found", len(paths))
	}
	for _, path := range paths {
		name := strings.Join(append([]string{"jpops"}, path...), " ")
		t.Run(name, func(t *testing.T) {
			f, out, errOut := testFactory(t, false, nil)
			if c := Main(context.Background(), f, append(slices.Clone(path), "--help")); c != 0 {
				t.Fatalf("exit %d: %s", c, errOut)
			}
			help := out.String()
			if !strings.Contains(help, "\nExamples:\n") {
				t.Error("no examples")
			}
			_, table, ok := strings.Cut(help, "\nExit codes:\n")
			if !ok {
				t.Fatalf("no exit codes:\n%s", help)
			}
			table, _, _ = strings.Cut(table, "\nUsage:")
			codes := code.FindAllStringSubmatch(table, -1)
			if len(codes) == 0 {
				t.Errorf("an empty exit-code table:\n%s", help)
			}
			for _, m := range codes {
				n, _ := strconv.Atoi(m[1])
				if !slices.Contains(known, n) && !(name == "jpops sim flyctl" && n == 127) {
					t.Errorf("exit %d is not in the exit-code table", n)
				}
			}
		})
	}
}

// run --help names every code run can end with, --dry-run's 10 included.
func TestRunHelpListsEveryExit(t *testing.T) {
	f, out, _ := testFactory(t, false, nil)
	Main(context.Background(), f, []string{"run", "--help"})
	for _, c := range []string{"0", "1", "2", "3", "10", "11", "12", "20", "30", "40", "130"} {
		if !regexp.MustCompile(`(?m)^    ` + c + ` `).MatchString(out.String()) {
			t.Errorf("run --help lacks exit %s", c)
		}
	}
}

// The stand-in flyctl parses its own flags, but --help still shows its help.
func TestSimFlyctlHelp(t *testing.T) {
	f, out, errOut := testFactory(t, false, nil)
	if code := Main(context.Background(), f, []string{"sim", "flyctl", "--help"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out.String(), "Answers the flyctl commands") {
		t.Errorf("no help:\n%s", out)
	}
	var got *SimFlyctlOptions
	if code, err := execute(t, NewCmdSimFlyctl(f, func(o *SimFlyctlOptions) error { got = o; return nil }), "deploy", "--help", "-a", "x"); code != 0 || !slices.Equal(got.Args, []string{"deploy", "--help", "-a", "x"}) {
		t.Errorf("flyctl's own arguments: exit %d (%v), %v", code, err, got)
	}
}

// A broken runbook file is named with its line, and exits 2.
func TestMalformedRunbook(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile(filepath.Join("..", "..", "runbook", "db-boot-hang.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(good), "\n")
	// Find the line of the first boot op's hang_after, to break it.
	hangLine := -1
	for i, l := range lines {
		if strings.Contains(l, "hang_after:") {
			hangLine = i
			break
		}
	}
	if hangLine < 0 {
		t.Fatal("the runbook has no hang_after to break")
	}
	badDuration := append([]string{}, lines...)
	indent := badDuration[hangLine][:len(badDuration[hangLine])-len(strings.TrimLeft(badDuration[hangLine], " "))]
	badDuration[hangLine] = indent + "hang_after: ten minutes"
	unknownKey := append([]string{"frobnicate: true"}, lines...)

	tests := []struct {
		name, body string
		line       int // 1-based line the error should name
		words      string
	}{
		{"bad duration", strings.Join(badDuration, "\n"), hangLine + 1, "ten minutes"},
		{"unknown key", strings.Join(unknownKey, "\n"), 1, "frobnicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "broken.yaml")
			if err := os.WriteFile(path, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{
				{"scan", "--runbook", path, filepath.Join("..", "..", "cmd", "jpops", "testdata", "postmortem-hang.log")},
				{"diagnose", "-a", "autonomath-api", "--runbook", path},
			} {
				// The runbook is read before any API call: no platform needed.
				f, _, errOut := testFactory(t, false, nil)
				if code := Main(context.Background(), f, args); code != 2 {
					t.Errorf("%v: exit %d, want 2", args, code)
				}
				first, _, _ := strings.Cut(errOut.String(), "\n")
				if !strings.Contains(first, "broken.yaml") || !strings.Contains(first, tt.words) {
					t.Errorf("first stderr line %q lacks the file or %q", first, tt.words)
				}
				if !strings.Contains(first, "line "+strconv.Itoa(tt.line)) && !strings.Contains(first, ":"+strconv.Itoa(tt.line)) {
					t.Errorf("error does not name line %d: %q", tt.line, first)
				}
			}
		})
	}
}
