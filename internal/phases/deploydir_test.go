package phases_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/verdict"
)

// TestDeployDirPreconditions: phase 3 deploys only from this app's deploy
// directory, and a missing boot script must be named missing on purpose.
func TestDeployDirPreconditions(t *testing.T) {
	guarded := func(t *testing.T) string { return deployDir(t, "entrypoint.sh") }
	tests := []struct {
		name    string
		setup   func(t *testing.T, o *phases.Options)
		refused string // "" = the deploy runs
		fix     string
	}{
		{"the app's directory", func(t *testing.T, o *phases.Options) { o.Dir = guarded(t) }, "", ""},
		{"no fly.toml", func(t *testing.T, o *phases.Options) {
			o.Dir = guarded(t)
			os.Remove(filepath.Join(o.Dir, "fly.toml"))
		}, "no fly.toml in", "--config DIR"},
		{"another app's fly.toml", func(t *testing.T, o *phases.Options) {
			o.Dir = guarded(t)
			os.WriteFile(filepath.Join(o.Dir, "fly.toml"), []byte("app = \"billing-api\"\n"), 0o644)
		}, "names app billing-api, not autonomath-api", "--dir DIR"},
		{"--config names the right fly.toml", func(t *testing.T, o *phases.Options) {
			o.Dir = guarded(t)
			os.Remove(filepath.Join(o.Dir, "fly.toml"))
			o.Config = t.TempDir()
			writeFlyToml(t, o.Config)
		}, "", ""},
		{"no boot script", func(t *testing.T, o *phases.Options) {
			o.Dir = t.TempDir()
			writeFlyToml(t, o.Dir)
		}, "no boot script (entrypoint.sh)", "--no-boot-script"},
		{"no boot script, said so", func(t *testing.T, o *phases.Options) {
			o.Dir = t.TempDir()
			writeFlyToml(t, o.Dir)
			o.NoBootScript = true
		}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, "db-boot-hang")
			tt.setup(t, &r.opts)
			res, err := phases.Run(r.ctx(), r.opts)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			deployed := len(kinds(r.readBack(), journal.KindCommandStart)) > 0
			if tt.refused == "" {
				if !deployed || res.Verdict != verdict.Recovered {
					t.Fatalf("verdict %s (%s), deployed %v; want RECOVERED", res.Verdict, res.Reason, deployed)
				}
				return
			}
			if deployed || res.Verdict != verdict.EscapeFailed || !strings.Contains(res.Reason, tt.refused) {
				t.Fatalf("verdict %s (%s), deployed %v; want ESCAPE_FAILED, nothing deployed, saying %q", res.Verdict, res.Reason, deployed, tt.refused)
			}
			if !strings.Contains(res.Reason+" "+res.Next.Note, tt.fix) {
				t.Errorf("the refusal does not say how to fix it (%q): %s / %s", tt.fix, res.Reason, res.Next)
			}
		})
	}
}
