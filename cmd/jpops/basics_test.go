//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestUsageAndBasics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings of stdout
		stderr []string // substrings of the first stderr line
	}{
		{"help", []string{"--help"}, 0, []string{"Usage:", "diagnose", "drill", "Exit codes"}, nil},
		{"version", []string{"version"}, 0, []string{"jpops "}, nil},
		{"version flag", []string{"--version"}, 0, []string{"jpops "}, nil},
		{"unknown command", []string{"frobnicate"}, 2, nil, []string{`unknown command "frobnicate"`}},
		{"bad flag", []string{"diagnose", "--frobnicate"}, 2, nil, []string{"unknown flag: --frobnicate"}},
		{"bad flag value", []string{"run", "--hold", "soon", "-a", "x"}, 2, nil, []string{"--hold"}},
		{"completion bash", []string{"completion", "bash"}, 0, []string{"bash completion"}, nil},
		{"completion zsh", []string{"completion", "zsh"}, 0, []string{"compdef"}, nil},
		{"completion fish", []string{"completion", "fish"}, 0, []string{"complete -c jpops"}, nil},
		{"run without --yes off a terminal", []string{"run", "-a", "autonomath-api"}, 2, nil, []string{"--yes"}},
		{"drill without --yes off a terminal", []string{"drill"}, 2, nil, []string{"--yes"}},
		{"unknown drill scenario", []string{"drill", "--yes", "--scenario", "nope"}, 2, nil, []string{`unknown scenario "nope"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newEnv(t).run(tt.args...)
			wantCode(t, r, tt.code)
			wantIn(t, "stdout", r.stdout, tt.stdout...)
			first, _, _ := strings.Cut(r.stderr, "\n")
			wantIn(t, "first stderr line", first, tt.stderr...)
			if tt.code == 2 && !strings.HasPrefix(first, "jpops: ") {
				t.Errorf("usage error should be one line starting with jpops:, got %q", first)
			}
			if tt.code == 0 && r.stderr != "" {
				t.Errorf("stderr not empty on success: %q", r.stderr)
			}
		})
	}
}

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
			e := newEnv(t)
			path := filepath.Join(t.TempDir(), "broken.yaml")
			if err := os.WriteFile(path, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{
				{"scan", "--runbook", path, testdata(t, "postmortem-hang.log")},
				{"diagnose", "-a", "autonomath-api", "--runbook", path},
			} {
				e.startSim("healthy")
				r := e.run(args...)
				wantCode(t, r, 2)
				first, _, _ := strings.Cut(r.stderr, "\n")
				wantIn(t, "first stderr line", first, "broken.yaml", tt.words)
				if !strings.Contains(first, "line "+strconv.Itoa(tt.line)) && !strings.Contains(first, ":"+strconv.Itoa(tt.line)) {
					t.Errorf("error does not name line %d: %q", tt.line, first)
				}
			}
		})
	}
}
