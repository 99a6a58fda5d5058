//go:build unix

package main

import (
	"strings"
	"testing"
)

// What only the binary can show: its exit status and streams as a process.
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
		{"completion bash", []string{"completion", "bash"}, 0, []string{"bash completion"}, nil},
		{"completion zsh", []string{"completion", "zsh"}, 0, []string{"compdef"}, nil},
		{"completion fish", []string{"completion", "fish"}, 0, []string{"complete -c jpops"}, nil},
		// Flags, refusals and exit codes of each command are tested in
		// internal/cli without the binary; these rows prove the process
		// exits with them.
		{"run without --yes off a terminal", []string{"run", "-a", "autonomath-api"}, 2, nil, []string{"--yes"}},
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
