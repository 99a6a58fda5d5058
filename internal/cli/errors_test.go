package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jpops-dev/jpops/internal/flyapi"
	"github.com/jpops-dev/jpops/internal/iostreams"
	"github.com/jpops-dev/jpops/runbook"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"exit error", &ExitError{Code: 30}, 30},
		{"wrapped exit error", fmt.Errorf("x: %w", &ExitError{Code: 40}), 40},
		{"cancelled", fmt.Errorf("stop: %w", context.Canceled), 130},
		{"no token", flyapi.ErrNoToken, 3},
		{"401", &flyapi.APIError{Status: 401}, 3},
		{"404", &flyapi.APIError{Status: 404}, 1},
		{"bad runbook", &runbook.Error{File: "rb.yaml", Line: 3, Msg: "bad"}, 2},
		{"cobra unknown command", errors.New(`unknown command "x" for "jpops"`), 2},
		{"cobra arg count", errors.New("accepts at most 1 arg(s), received 2"), 2},
		{"anything else", errors.New("disk on fire"), 1},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("%s: ExitCode = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// Main prints one line for an error, never a stack, and exits with its code.
func TestMainUsage(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		stderr   string
		stdoutIn string
	}{
		{[]string{"version"}, 0, "", "jpops dev"},
		{[]string{"nope"}, 2, "unknown command", ""},
		{[]string{"diagnose", "--bogus"}, 2, "unknown flag: --bogus", ""},
		{[]string{"run", "-a", "app"}, 2, "--yes", ""},
		{[]string{"drill", "--speed", "0", "--yes"}, 2, "--speed", ""},
		{[]string{"smoke", "-a", "app"}, 2, "--image is required", ""},
		{[]string{"diagnose"}, 2, "no app given", ""},
		{[]string{"--runbook", "/nonexistent/rb.yaml", "diagnose", "-a", "x"}, 2, "cannot read runbook", ""},
	}
	for _, tt := range tests {
		ios, _, out, errOut := iostreams.Test()
		env := map[string]string{"JPOPS_STATE_DIR": t.TempDir()}
		f := NewFactory(ios)
		f.Getenv, f.Home = func(k string) string { return env[k] }, t.TempDir()
		code := Main(context.Background(), f, tt.args)
		if code != tt.code {
			t.Errorf("%v: exit %d, want %d (stderr %q)", tt.args, code, tt.code, errOut.String())
		}
		if !strings.Contains(errOut.String(), tt.stderr) || !strings.Contains(out.String(), tt.stdoutIn) {
			t.Errorf("%v: stdout %q stderr %q", tt.args, out.String(), errOut.String())
		}
		if n := strings.Count(strings.TrimSpace(errOut.String()), "\n"); n > 2 {
			t.Errorf("%v: error takes %d lines: %q", tt.args, n+1, errOut.String())
		}
	}
}

func TestScanFromStdin(t *testing.T) {
	ios, in, out, _ := iostreams.Test()
	in.WriteString("2026-05-11T11:40:00Z app[85e273f4a1b2c3] nrt [info]running integrity_check on /data/autonomath.db\n" +
		"2026-05-11T12:25:00Z proxy[85e273f4a1b2c3] nrt [error][PR04] could not find a good candidate within 40 attempts at load balancing\n")
	f := NewFactory(ios)
	f.Getenv = func(string) string { return "" }
	code := Main(context.Background(), f, []string{"scan", "-"})
	if code != 10 || !strings.Contains(out.String(), "verdict\tHANG_CONFIRMED") {
		t.Errorf("exit %d, out %q", code, out.String())
	}
	var buf bytes.Buffer
	buf.WriteString(out.String())
	if !strings.Contains(buf.String(), "evidence\t85e273f4a1b2c3\thung\tintegrity_check\t/data/autonomath.db") {
		t.Errorf("no evidence line: %q", buf.String())
	}
}

// Ctrl-C in a command that reads (diagnose, scan, smoke) says it was
// interrupted, not the "context canceled" of the request it cut short.
func TestReportInterrupted(t *testing.T) {
	var b bytes.Buffer
	err := fmt.Errorf("list machines of autonomath-api: Get \"https://api.machines.dev/v1/apps/autonomath-api/machines\": %w", context.Canceled)
	if code := reportError(&b, nil, err); code != 130 {
		t.Errorf("exit %d, want 130", code)
	}
	if got := b.String(); got != "jpops: interrupted\n" {
		t.Errorf("printed %q, want %q", got, "jpops: interrupted\n")
	}
}
