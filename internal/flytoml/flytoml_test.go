package flytoml

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
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
	f, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if f.App != "autonomath-api" || f.PrimaryRegion != "nrt" || len(f.HTTPService.Checks) != 1 || f.HTTPService.Checks[0].GracePeriod != "60s" {
		t.Errorf("got %+v", f)
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

func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("app = 1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Parse(data) // must not panic
	})
}
