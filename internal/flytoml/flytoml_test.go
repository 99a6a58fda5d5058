package flytoml

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
)

const sample = `app = "autonomath-api"
primary_region = "nrt"

[http_service]
  internal_port = 8080

[[http_service.checks]]
  grace_period = "60s"
  interval = "30s"
  path = "/v1/healthz"

[[vm]]
  memory_mb = 4096
`

func TestParse(t *testing.T) {
	tests := []struct {
		name, text string
		app, image string
		grace      time.Duration
		checks     int
	}{
		{"string durations", sample, "autonomath-api", "", time.Minute, 1},
		{"integer grace is milliseconds", "app = \"a\"\n[[http_service.checks]]\ngrace_period = 60000\n", "a", "", time.Minute, 1},
		{"float grace", "app = \"a\"\n[[http_service.checks]]\ngrace_period = 1500.0\n", "a", "", 1500 * time.Millisecond, 1},
		{"unreadable grace", "app = \"a\"\n[[http_service.checks]]\ngrace_period = \"soon\"\n", "a", "", 0, 1},
		{"services checks", "app = \"a\"\n[[services]]\n[[services.tcp_checks]]\ngrace_period = \"2m\"\n[[services.http_checks]]\ngrace_period = \"1m\"\n", "a", "", 2 * time.Minute, 2},
		{"top-level checks", "app = \"a\"\n[checks.db]\ngrace_period = \"5m\"\n[checks.api]\ngrace_period = 1000\n", "a", "", 5 * time.Minute, 2},
		{"pre-built image", "app = \"a\"\n[build]\nimage = \"ghcr.io/o/a:v2\"\n", "a", "ghcr.io/o/a:v2", 0, 0},
		{"app of the wrong type", "app = 1\n", "", "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if f.App != tt.app || f.Image != tt.image || f.GracePeriod() != tt.grace || len(f.Checks) != tt.checks {
				t.Errorf("got %+v (grace %v)", f, f.GracePeriod())
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fly.toml"), []byte("app = [broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil {
		t.Error("broken fly.toml loaded")
	}
	if err := os.WriteFile(filepath.Join(dir, "fly.toml"), []byte(sample), 0o600); err != nil {
		t.Fatal(err)
	}
	if f, err := Load(dir); err != nil || f.App != "autonomath-api" {
		t.Errorf("Load = %+v, %v", f, err)
	}
}

// Whatever else a valid TOML file holds, a string app name is found.
func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("app = 1"))
	f.Add([]byte("app = \"a\"\n[[http_service.checks]]\ngrace_period = 60000\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Parse(data)
		var doc map[string]any
		valid := toml.Unmarshal(data, &doc) == nil
		if valid != (err == nil) {
			t.Fatalf("Parse err = %v, but TOML validity is %v", err, valid)
		}
		if app, ok := doc["app"].(string); valid && ok && got.App != app {
			t.Fatalf("app = %q, want %q", got.App, app)
		}
		if got.GracePeriod() < 0 {
			t.Fatalf("negative grace %v", got.GracePeriod())
		}
	})
}
