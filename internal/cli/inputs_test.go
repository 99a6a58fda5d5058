package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every file jpops reads, made endless (a symlink to /dev/zero): each
// command ends within seconds, with an error naming the file and the exit
// code of what is wrong.
func TestEndlessAndHostileInputs(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero here")
	}
	sim, vars := simEnv(t, "db-boot-hang")
	endless := func(t *testing.T, p string) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/dev/zero", p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, vars map[string]string) (args []string, file string)
		code  int
	}{
		{"fly.toml", func(t *testing.T, _ map[string]string) ([]string, string) {
			dir := t.TempDir()
			return []string{"diagnose", "--config", dir}, endless(t, filepath.Join(dir, "fly.toml"))
		}, 2},
		{"runbook", func(t *testing.T, _ map[string]string) ([]string, string) {
			p := endless(t, filepath.Join(t.TempDir(), "runbook.yaml"))
			return []string{"--runbook", p, "diagnose", "-a", sim.App()}, p
		}, 2},
		{"scan of a device", func(t *testing.T, _ map[string]string) ([]string, string) {
			return []string{"scan", "/dev/zero"}, "/dev/zero"
		}, 2},
		{"watch state", func(t *testing.T, vars map[string]string) ([]string, string) {
			return []string{"watch", "--once", "-a", sim.App()}, endless(t, filepath.Join(vars["JPOPS_STATE_DIR"], "watch", sim.App()+".json"))
		}, 1},
		{"journal", func(t *testing.T, vars map[string]string) ([]string, string) {
			return []string{"journal", "show", "endless"}, endless(t, filepath.Join(vars["JPOPS_STATE_DIR"], "incidents", "endless.ndjson"))
		}, 1},
		{"config.yml", func(t *testing.T, vars map[string]string) ([]string, string) {
			dir := t.TempDir()
			vars["FLY_CONFIG_DIR"], vars["FLY_API_TOKEN"] = dir, ""
			delete(vars, "FLY_API_TOKEN")
			return []string{"diagnose", "-a", sim.App()}, endless(t, filepath.Join(dir, "config.yml"))
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := map[string]string{}
			for k, x := range vars {
				v[k] = x
			}
			v["JPOPS_STATE_DIR"] = t.TempDir()
			args, file := tc.setup(t, v)
			// A command ends here because it stops reading at the file's size
			// bound (or refuses a device), which its error says; how long
			// that takes is the machine's business (32 MiB of the journal's
			// bound take seconds under -race on a loaded machine). An
			// unbounded read never ends: that is a hang, caught below.
			type ran struct {
				code        int
				out, errOut string
			}
			done := make(chan ran, 1)
			go func() {
				code, out, errOut := runCLI(t, v, sim.Clock().Now, args...)
				done <- ran{code, out, errOut}
			}()
			var r ran
			select {
			case r = <-done:
			case <-time.After(3 * time.Minute):
				t.Fatalf("jpops %s did not end: an endless %s is read without a bound", strings.Join(args, " "), file)
			}
			if r.code != tc.code || !strings.Contains(r.errOut, file) || !strings.Contains(r.errOut, "device") {
				t.Errorf("exit %d, want %d; stderr must name %s and say it may be a device or an endless file:\n%s%s", r.code, tc.code, file, r.errOut, r.out)
			}
		})
	}
}
