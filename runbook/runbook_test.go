package runbook

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultRunbook(t *testing.T) {
	rb := Default()
	if rb.Name != "db-boot-hang" {
		t.Fatalf("name = %q", rb.Name)
	}
	for _, id := range PhaseIDs {
		if p := rb.Phase(id); p.Why == "" || len(p.Do) == 0 {
			t.Errorf("phase %s has no why/do text", id)
		}
	}
	wantOps := []string{"integrity_check", "quick_check", "vacuum", "reindex", "analyze", "sha256"}
	for i, name := range wantOps {
		if rb.BootOps[i].Name != name {
			t.Errorf("boot_ops[%d] = %q, want %q", i, rb.BootOps[i].Name, name)
		}
	}
	if got := strings.Join(rb.EscapeCommand("autonomath-api"), " "); got != "flyctl deploy --remote-only --strategy rolling -a autonomath-api" {
		t.Errorf("escape command = %q", got)
	}
	if rb.Smoke.Hold.Duration != 5*time.Minute || rb.Checks.DefaultGrace.Duration != time.Minute {
		t.Errorf("hold %v grace %v", rb.Smoke.Hold, rb.Checks.DefaultGrace)
	}
	if dont := strings.Join(rb.Phase(PhaseEscape).Dont, "\n"); !strings.Contains(dont, "machine destroy") || !strings.Contains(dont, "--env") {
		t.Errorf("escape phase misses the post-mortem's don'ts: %q", dont)
	}
}

// The post-mortem's own lines against the integrity_check signature.
func TestIntegrityCheckSignature(t *testing.T) {
	op := Default().BootOps[0]
	tests := []struct {
		line     string
		start    bool
		db       string
		complete bool
	}{
		{line: "running integrity_check on /data/autonomath.db", start: true, db: "/data/autonomath.db"},
		{line: "[entrypoint] running integrity_check on /data/autonomath.db ...", start: true, db: "/data/autonomath.db"},
		{line: "running integrity_check on /data/autonomath.db...", start: true, db: "/data/autonomath.db"},
		{line: "size-based integrity_check skip for /data/autonomath.db (size=9722236928 >= threshold=5000000000)", complete: true},
		{line: "trusted stamp match — skipping full integrity_check", complete: true},
		{line: "ok", complete: true},
		{line: "integrity_check ok", complete: true},
		{line: "schema_guard returns OK"},
		{line: "Listening on 0.0.0.0:8080"},
	}
	for _, tt := range tests {
		db, start := op.DB(tt.line)
		if start != tt.start || db != tt.db {
			t.Errorf("DB(%q) = %q, %v; want %q, %v", tt.line, db, start, tt.db, tt.start)
		}
		if got := op.Completes(tt.line); got != tt.complete {
			t.Errorf("Completes(%q) = %v, want %v", tt.line, got, tt.complete)
		}
	}
}

func TestStrictLoading(t *testing.T) {
	base := string(DefaultYAML())
	tests := []struct {
		name    string
		text    string
		wantErr string // substring; the file name is always checked
	}{
		{"unknown top-level key", base + "\nsurprise: 1\n", "field surprise not found"},
		{"unknown nested key", strings.Replace(base, "  default_grace: 60s", "  default_grace: 60s\n  graec: 1s", 1), "field graec not found"},
		{"bad duration", strings.Replace(base, "hang_after: 5m\n  - name: quick_check", "hang_after: 5mm\n  - name: quick_check", 1), `boot_ops[0].hang_after: bad duration "5mm"`},
		{"bad regexp", strings.Replace(base, `'size-based integrity_check skip'`, `'size-based (integrity_check skip'`, 1), `boot_ops[0].completions[2]: bad regular expression`},
		{"zero hang_after", strings.Replace(base, "hang_after: 5m\n  - name: quick_check", "hang_after: 0s\n  - name: quick_check", 1), "boot_ops[0].hang_after: must be set"},
		{"bad phase id", strings.Replace(base, "- id: smoke", "- id: smoak", 1), `unknown phase "smoak"`},
		{"not yaml", "name: [unclosed", "did not find expected"},
		{"empty", "", "empty"},
		{"bad smoke path", strings.Replace(base, "path: /v1/healthz", "path: v1/healthz", 1), "smoke.requests[0].path"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".yaml")
			if err := os.WriteFile(path, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil {
				t.Fatal("loaded without error")
			}
			var re *Error
			if !errors.As(err, &re) {
				t.Fatalf("error %T is not *runbook.Error", err)
			}
			if !strings.HasPrefix(err.Error(), path) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want prefix %q and %q", err, path, tt.wantErr)
			}
		})
	}
}

// Errors for the line-bearing cases carry the right line.
func TestErrorLines(t *testing.T) {
	text := "name: x\nboot_ops:\n  - name: a\n    start: 'x'\n    completions: ['y']\n    hang_after: 1q\nescape:\n  command: [true]\n"
	_, err := Parse("rb.yaml", []byte(text))
	if err == nil || !strings.HasPrefix(err.Error(), "rb.yaml:6: boot_ops[0].hang_after") {
		t.Fatalf("err = %v", err)
	}
	_, err = Parse("rb.yaml", []byte("name: x\nbogus: 2\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "rb.yaml:2:") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "cannot read runbook") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(DefaultYAML())
	f.Add([]byte("name: x\nboot_ops: [{name: a, start: '(', completions: [')'], hang_after: 1s}]"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rb, err := Parse("fuzz.yaml", data)
		if err == nil && (rb == nil || len(rb.BootOps) == 0 || len(rb.Escape.Command) == 0) {
			t.Fatalf("accepted an incomplete runbook: %+v", rb)
		}
	})
}
