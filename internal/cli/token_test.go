package cli

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/jpops-dev/jpops/internal/flyapi"
)

// A token from flyctl's config file is what flyctl makes of it (pruned and
// refreshed), so a stale file does not 401 jpops where flyctl works; a token
// from the environment or the flag is used as given, as flyctl uses it.
func TestRefreshedToken(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in flyctl is a shell script")
	}
	dir := t.TempDir()
	flyctl := filepath.Join(dir, "flyctl")
	if err := os.WriteFile(flyctl, []byte("#!/bin/sh\necho 'FlyV1 fm2_fresh,fm2_discharge'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string { return map[string]string{"JPOPS_FLYCTL": flyctl}[k] }
	fromFile := flyapi.TokenSource("access_token in " + filepath.Join(dir, "config.yml"))
	tests := []struct {
		name      string
		src       flyapi.TokenSource
		getenv    func(string) string
		want      string
		refreshed bool
	}{
		{"file token, refreshed by flyctl", fromFile, getenv, "fm2_fresh,fm2_discharge", true},
		{"env token, as given", flyapi.TokenFromAPITokenEnv, getenv, "fm2_stale", false},
		{"flag token, as given", flyapi.TokenFromFlag, getenv, "fm2_stale", false},
		{"file token, no flyctl", fromFile, func(k string) string {
			return map[string]string{"JPOPS_FLYCTL": filepath.Join(dir, "missing"), "PATH": dir + "/none"}[k]
		}, "fm2_stale", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, refreshed := refreshedToken("fm2_stale", tt.src, tt.getenv)
			if got != tt.want || refreshed != tt.refreshed {
				t.Errorf("refreshedToken = %q, %v; want %q, %v", got, refreshed, tt.want, tt.refreshed)
			}
		})
	}
}
