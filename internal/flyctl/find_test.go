package flyctl

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	onPath := func(names ...string) func(string) (string, error) {
		return func(name string) (string, error) {
			for _, n := range names {
				if n == name {
					if strings.Contains(n, "/") {
						return n, nil
					}
					return "/usr/local/bin/" + n, nil
				}
			}
			return "", exec.ErrNotFound
		}
	}
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "JPOPS_FLYCTL" {
				return v
			}
			return ""
		}
	}
	for _, tt := range []struct {
		name, flag, env string
		path            []string
		want, wantErr   string
	}{
		{"flag first", "/opt/flyctl", "/env/flyctl", []string{"/opt/flyctl", "/env/flyctl", "flyctl"}, "/opt/flyctl", ""},
		{"env second", "", "/env/flyctl", []string{"/env/flyctl", "flyctl"}, "/env/flyctl", ""},
		{"flyctl on PATH", "", "", []string{"flyctl", "fly"}, "/usr/local/bin/flyctl", ""},
		{"fly on PATH", "", "", []string{"fly"}, "/usr/local/bin/fly", ""},
		{"none", "", "", nil, "", "flyctl not found: install it (https://fly.io/docs/flyctl/install/) or pass --flyctl PATH / set JPOPS_FLYCTL"},
		{"bad flag does not fall back", "/nope/flyctl", "", []string{"flyctl"}, "", `--flyctl "/nope/flyctl" cannot be run`},
		{"bad env does not fall back", "", "/nope/flyctl", []string{"flyctl"}, "", `JPOPS_FLYCTL "/nope/flyctl" cannot be run`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Find(tt.flag, env(tt.env), onPath(tt.path...))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Find = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := Find("", env(""), onPath()); !errors.Is(err, ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

// A relative result would resolve against the deploy directory: Find
// makes it absolute.
func TestFindReturnsAbsolute(t *testing.T) {
	got, err := Find("./bin/flyctl", func(string) string { return "" }, func(p string) (string, error) { return p, nil })
	if err != nil || !filepath.IsAbs(got) || !strings.HasSuffix(got, "/bin/flyctl") {
		t.Errorf("Find = %q, %v", got, err)
	}
}
