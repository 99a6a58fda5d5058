package flyctl

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestAuthToken(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in flyctl is a shell script")
	}
	tests := []struct {
		name, script string
		want         string
		wantErr      string
	}{
		{"prints the refreshed token", `[ "$1 $2 $3" = "auth token --quiet" ] || exit 9; echo "FlyV1 fm2_fresh,fm2_discharge"`, "FlyV1 fm2_fresh,fm2_discharge", ""},
		{"not logged in", `echo "Error: You must be logged in to do this. fm2_secret" >&2; exit 1`, "", "exited 1: run `flyctl auth login`"},
		{"prints nothing", `exit 0`, "", "printed no single token"},
		{"prints prose", `echo "The 'fly auth token' command is deprecated"`, "", "printed no single token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "flyctl")
			if err := os.WriteFile(path, []byte("#!/bin/sh\n"+tt.script+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			got, err := AuthToken(context.Background(), []string{path}, os.Environ())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "fm2_") {
					t.Fatalf("err = %v, want one saying %q and quoting no token", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("AuthToken = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
