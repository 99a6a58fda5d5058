package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewCmdAuditFormat(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		format string
	}{
		{"text by default", []string{"a.sh"}, 0, "text"},
		{"--json", []string{"--json", "a.sh"}, 0, "json"},
		{"--format sarif", []string{"--format", "sarif", "a.sh"}, 0, "sarif"},
		{"--format github", []string{"--format=github", "a.sh"}, 0, "github"},
		{"--json and --format json agree", []string{"--json", "--format", "json"}, 0, "json"},
		{"--json with another format", []string{"--json", "--format", "sarif"}, 2, ""},
		{"an unknown format", []string{"--format", "xml"}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory(t, false, nil)
			var got *AuditOptions
			code, err := execute(t, NewCmdAudit(f, func(o *AuditOptions) error { got = o; return nil }), tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d (%v), want %d", code, err, tt.code)
			}
			if tt.code == 0 && got.Format != tt.format {
				t.Errorf("format %q, want %q", got.Format, tt.format)
			}
			if tt.code != 0 && (got != nil || err == nil || !strings.Contains(err.Error(), "format")) {
				t.Errorf("ran %v with error %v; want a usage error naming the format", got, err)
			}
		})
	}
}

// TestAuditRunFormats audits the post-mortem's boot script before and
// after the fix in each format: the same findings and exit code in each.
func TestAuditRunFormats(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"postmortem-s4-prefix.sh", "postmortem-s4-postfix.sh"} {
		b, err := os.ReadFile(filepath.Join("..", "audit", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	tests := []struct {
		format, file string
		code         int
		check        func(t *testing.T, out string)
	}{
		{"text", "postmortem-s4-prefix.sh", 10, func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "postmortem-s4-prefix.sh:3:") {
				t.Errorf("text %q", out)
			}
		}},
		{"github", "postmortem-s4-prefix.sh", 10, func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "::error file=postmortem-s4-prefix.sh,line=3,col=") || strings.Count(out, "\n") != 1 {
				t.Errorf("github %q, want one ::error at line 3", out)
			}
		}},
		{"github", "postmortem-s4-postfix.sh", 0, func(t *testing.T, out string) {
			if out != "" {
				t.Errorf("github on a clean script printed %q", out)
			}
		}},
		{"sarif", "postmortem-s4-prefix.sh", 10, func(t *testing.T, out string) {
			var doc struct {
				Version string
				Runs    []struct {
					Results []struct {
						RuleID    string
						Locations []struct {
							PhysicalLocation struct {
								ArtifactLocation struct{ URI string }
								Region           struct{ StartLine int }
							}
						}
					}
				}
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Runs) != 1 || len(doc.Runs[0].Results) != 1 {
				t.Fatalf("sarif %s", out)
			}
			r := doc.Runs[0].Results[0]
			loc := r.Locations[0].PhysicalLocation
			if doc.Version != "2.1.0" || r.RuleID != "unguarded-integrity_check" || loc.ArtifactLocation.URI != "postmortem-s4-prefix.sh" || loc.Region.StartLine != 3 {
				t.Errorf("sarif result %+v", r)
			}
		}},
		{"sarif", "postmortem-s4-postfix.sh", 0, func(t *testing.T, out string) {
			if !strings.Contains(out, `"results": []`) {
				t.Errorf("sarif on a clean script: %s", out)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.format+" "+tt.file, func(t *testing.T) {
			f, out, _ := testFactory(t, false, nil)
			code, err := execute(t, NewCmdAudit(f, nil), "--format", tt.format, tt.file)
			if code != tt.code {
				t.Fatalf("exit %d (%v), want %d", code, err, tt.code)
			}
			tt.check(t, out.String())
		})
	}
}

func TestAuditGitHubParseError(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.sh"), []byte("echo ok\nif true; then\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	f, out, _ := testFactory(t, false, nil)
	code, _ := execute(t, NewCmdAudit(f, nil), "--format", "github", "bad.sh")
	if code != 2 || !strings.HasPrefix(out.String(), "::error file=bad.sh,line=") {
		t.Errorf("exit %d, output %q; want 2 and an ::error at bad.sh", code, out.String())
	}
}
