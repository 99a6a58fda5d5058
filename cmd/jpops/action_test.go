//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestActionAuditStep runs the GitHub Action's audit step, the script
// action.yml runs, with the built jpops on PATH, on the post-mortem's §4
// before and after its fix: before, one ::error annotation at the
// integrity_check line, findings=1, a SARIF result and exit 10; after,
// nothing, findings=0 and exit 0.
func TestActionAuditStep(t *testing.T) {
	action := readAction(t)
	if action.Runs.Using != "composite" {
		t.Fatalf("action.yml runs.using = %q, want composite", action.Runs.Using)
	}
	var runsScript bool
	for _, s := range action.Runs.Steps {
		runsScript = runsScript || strings.Contains(s.Run, ".github/actions/audit.sh") &&
			s.Env["JPOPS_SCRIPTS"] == "${{ inputs.scripts }}" && s.Env["JPOPS_SARIF"] == "${{ inputs.sarif-file }}"
	}
	if !runsScript {
		t.Fatalf("no step of action.yml runs .github/actions/audit.sh with the scripts and sarif-file inputs")
	}
	tests := []struct {
		fixture  string
		code     int
		findings string
		errors   int
	}{
		{"postmortem-s4-prefix.sh", 10, "1", 1},
		{"postmortem-s4-postfix.sh", 0, "0", 0},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			dir := t.TempDir()
			body, err := os.ReadFile(filepath.Join("..", "..", "internal", "audit", "testdata", tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "entrypoint.sh"), body, 0o755); err != nil {
				t.Fatal(err)
			}
			output := filepath.Join(t.TempDir(), "github_output")
			step, err := filepath.Abs(filepath.Join("..", "..", ".github", "actions", "audit.sh"))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, "bash", step)
			cmd.Dir = dir
			cmd.Env = []string{"PATH=" + filepath.Dir(jpopsBin) + ":" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
				"JPOPS_SCRIPTS=entrypoint.sh\n", "JPOPS_SARIF=jpops.sarif", "GITHUB_OUTPUT=" + output}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err = cmd.Run()
			if got := exitCode(t, err); got != tt.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", got, tt.code, stdout.String(), stderr.String())
			}
			if n := strings.Count(stdout.String(), "::error file=entrypoint.sh,line=3,"); n != tt.errors {
				t.Errorf("%d ::error annotations at entrypoint.sh:3, want %d:\n%s", n, tt.errors, stdout.String())
			}
			outs, err := os.ReadFile(output)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(outs), "findings="+tt.findings+"\n") || !strings.Contains(string(outs), "sarif-file=jpops.sarif\n") {
				t.Errorf("GITHUB_OUTPUT = %q, want findings=%s and sarif-file", outs, tt.findings)
			}
			var sarif struct {
				Runs []struct{ Results []json.RawMessage }
			}
			raw, err := os.ReadFile(filepath.Join(dir, "jpops.sarif"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &sarif); err != nil || len(sarif.Runs) != 1 || len(sarif.Runs[0].Results) != tt.errors {
				t.Errorf("SARIF file: %v, %d results, want %d", err, len(sarif.Runs[0].Results), tt.errors)
			}
		})
	}
}

// TestPreCommitHook checks the hook definition pre-commit reads: a jpops
// audit hook on shell scripts, built from this module's main package.
func TestPreCommitHook(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", ".pre-commit-hooks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var hooks []struct {
		ID, Name, Entry, Language string
		Types                     []string
		PassFilenames             *bool `yaml:"pass_filenames"`
	}
	if err := yaml.Unmarshal(raw, &hooks); err != nil {
		t.Fatal(err)
	}
	if len(hooks) != 1 {
		t.Fatalf("%d hooks, want 1", len(hooks))
	}
	h := hooks[0]
	if h.ID != "jpops-audit" || h.Entry != "jpops audit" || h.Language != "golang" || h.Name == "" ||
		len(h.Types) != 1 || h.Types[0] != "shell" || h.PassFilenames != nil && !*h.PassFilenames {
		t.Errorf("hook %+v", h)
	}
	// pre-commit runs the entry with the staged files as arguments: the
	// post-mortem's §4 before the fix fails the commit, after it passes.
	e := newEnv(t)
	for fixture, code := range map[string]int{"postmortem-s4-prefix.sh": 10, "postmortem-s4-postfix.sh": 0} {
		script, err := filepath.Abs(filepath.Join("..", "..", "internal", "audit", "testdata", fixture))
		if err != nil {
			t.Fatal(err)
		}
		r := e.run(append(strings.Fields(h.Entry)[1:], script)...)
		if r.code != code {
			t.Errorf("%s %s: %s, want exit %d", h.Entry, fixture, r, code)
		}
	}
}

type actionFile struct {
	Runs struct {
		Using string
		Steps []struct {
			Uses, Run string
			Env       map[string]string
		}
	}
}

func readAction(t *testing.T) actionFile {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	if err := yaml.Unmarshal(raw, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return a
}
