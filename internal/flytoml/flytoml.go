// Package flytoml reads the few fields jpops needs from an app's fly.toml:
// the app name (so -a can be omitted in the deploy directory) and the
// health-check grace period.
package flytoml

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pelletier/go-toml/v2"
)

// File is the part of fly.toml jpops reads; everything else is ignored.
type File struct {
	App           string `toml:"app"`
	PrimaryRegion string `toml:"primary_region"`
	HTTPService   struct {
		Checks []Check `toml:"checks"`
	} `toml:"http_service"`
}

// Check is one [[http_service.checks]] entry.
type Check struct {
	GracePeriod string `toml:"grace_period"`
	Path        string `toml:"path"`
}

// Parse decodes fly.toml text.
func Parse(data []byte) (File, error) {
	var f File
	if err := toml.Unmarshal(data, &f); err != nil {
		return File{}, err
	}
	return f, nil
}

// Load reads fly.toml from dir. A missing file returns os.ErrNotExist.
func Load(dir string) (File, error) {
	path := filepath.Join(dir, "fly.toml")
	data, err := os.ReadFile(path)
	if err != nil {
		return File{}, err
	}
	f, err := Parse(data)
	if err != nil {
		return File{}, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}
