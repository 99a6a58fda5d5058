package audit

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// writeTree writes files (slash paths relative to dir) under dir.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// summarizeFiles is summarize with each finding's file: "lib.sh:vacuum@2".
func summarizeFiles(fs []Finding) []string {
	var out []string
	for i, s := range summarize(fs) {
		out = append(out, filepath.ToSlash(fs[i].File)+":"+s)
	}
	return out
}

const (
	checkDBLib    = "check_db() {\n  sqlite3 \"$DB_PATH\" 'PRAGMA integrity_check'\n}\n"
	topLevelScan  = "log() { :; }\nsqlite3 \"$DB_PATH\" VACUUM\n"
	sizeGatedCall = "if [ \"$(stat -c %s \"$DB_PATH\")\" -lt \"$MIN_PRODUCTION_BYTES\" ]; then\n  check_db\nfi\n"
)

// TestSources audits deploy/entrypoint.sh in trees of real files, following
// what it sources: each way of naming the file, found, not found, guarded.
func TestSources(t *testing.T) {
	prefix, err := os.ReadFile(filepath.Join("testdata", "postmortem-s4-prefix.sh"))
	if err != nil {
		t.Fatal(err)
	}
	postfix, err := os.ReadFile(filepath.Join("testdata", "postmortem-s4-postfix.sh"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		files  map[string]string
		audit  string   // default deploy/entrypoint.sh
		want   []string // file:op@line [in fn]
		reason string   // in every finding's Why, when set
	}{
		{"image path: trailing components under the deploy directory",
			map[string]string{
				"deploy/entrypoint.sh": "#!/bin/sh\n. /app/scripts/db.sh\ncheck_db\n",
				"deploy/scripts/db.sh": checkDBLib,
				"deploy/other/db.sh":   topLevelScan, // not on the path
				"deploy/app/unrelated": "",
			},
			"", []string{"deploy/scripts/db.sh:integrity_check@2 in check_db"},
			"sourced by deploy/entrypoint.sh:2 (. /app/scripts/db.sh): in function check_db"},
		{"image path: only the base name matches",
			map[string]string{"deploy/entrypoint.sh": "source /srv/app/db.sh\ncheck_db\n", "deploy/db.sh": checkDBLib},
			"", []string{"deploy/db.sh:integrity_check@2 in check_db"}, ""},
		{"image path: parents up to the deploy directory holding fly.toml",
			map[string]string{
				"deploy/fly.toml": "app = 'x'\n", "deploy/bin/entrypoint.sh": ". /app/scripts/db.sh\ncheck_db\n",
				"deploy/scripts/db.sh": checkDBLib,
			},
			"deploy/bin/entrypoint.sh", []string{"deploy/scripts/db.sh:integrity_check@2 in check_db"}, ""},
		{"image path: no fly.toml, so parents are not searched",
			map[string]string{"deploy/bin/entrypoint.sh": ". /app/scripts/db.sh\ncheck_db\n", "deploy/scripts/db.sh": checkDBLib},
			"deploy/bin/entrypoint.sh", nil, ""},
		{"relative literal path",
			map[string]string{"deploy/entrypoint.sh": ". ./lib/db.sh\n", "deploy/lib/db.sh": topLevelScan},
			"", []string{"deploy/lib/db.sh:vacuum@2"}, "sourced by deploy/entrypoint.sh:1 (. ./lib/db.sh): runs at every boot"},
		{"$(dirname \"$0\")",
			map[string]string{"deploy/entrypoint.sh": "source \"$(dirname \"$0\")/lib.sh\"\n", "deploy/lib.sh": topLevelScan},
			"", []string{"deploy/lib.sh:vacuum@2"}, ""},
		{"${BASH_SOURCE%/*}",
			map[string]string{"deploy/entrypoint.sh": ". \"${BASH_SOURCE%/*}/scripts/db.sh\"\ncheck_db\n", "deploy/scripts/db.sh": checkDBLib},
			"", []string{"deploy/scripts/db.sh:integrity_check@2 in check_db"}, ""},
		{"SCRIPT_DIR from cd, dirname and BASH_SOURCE[0], then pwd",
			map[string]string{
				"deploy/entrypoint.sh": "SCRIPT_DIR=\"$(cd \"$(dirname \"${BASH_SOURCE[0]}\")\" && pwd)\"\n. \"$SCRIPT_DIR/scripts/db.sh\"\ncheck_db\n",
				"deploy/scripts/db.sh": checkDBLib,
			},
			"", []string{"deploy/scripts/db.sh:integrity_check@2 in check_db"}, ""},
		{"SCRIPT_DIR from dirname of readlink -f $0",
			map[string]string{
				"deploy/entrypoint.sh": "SCRIPT_DIR=$(dirname \"$(readlink -f \"$0\")\")\nsource $SCRIPT_DIR/lib.sh\n",
				"deploy/lib.sh":        topLevelScan,
			},
			"", []string{"deploy/lib.sh:vacuum@2"}, ""},
		{"variable with an image path default",
			map[string]string{"deploy/entrypoint.sh": ". \"${LIB_DIR:-/app/scripts}/db.sh\"\ncheck_db\n", "deploy/scripts/db.sh": checkDBLib},
			"", []string{"deploy/scripts/db.sh:integrity_check@2 in check_db"}, ""},
		{"variable from the environment only: not followed",
			map[string]string{"deploy/entrypoint.sh": ". \"$LIB_DIR/db.sh\"\ncheck_db\n", "deploy/db.sh": checkDBLib},
			"", nil, ""},
		{"missing file is not an error",
			map[string]string{"deploy/entrypoint.sh": ". /app/scripts/missing.sh\nsource ./nope.sh\ncheck_db\n"},
			"", nil, ""},
		{"source behind a size gate",
			map[string]string{
				"deploy/entrypoint.sh": "if [ \"$db_size\" -lt \"$threshold\" ]; then\n  . ./lib.sh\nfi\n",
				"deploy/lib.sh":        topLevelScan,
			},
			"", nil, ""},
		{"sourced function called only behind a size gate",
			map[string]string{"deploy/entrypoint.sh": ". /app/db.sh\n" + sizeGatedCall, "deploy/db.sh": checkDBLib},
			"", nil, ""},
		{"sourced file guarded by its own early exit",
			map[string]string{
				"deploy/entrypoint.sh": ". ./lib.sh\necho next\n",
				"deploy/lib.sh":        "[ \"${BOOT_ENFORCE_VACUUM:-0}\" = 1 ] || return 0\nsqlite3 \"$DB\" VACUUM\n",
			},
			"", nil, ""},
		{"source inside a function defines what a later call runs",
			map[string]string{
				"deploy/entrypoint.sh": "setup() { . /app/scripts/db.sh; }\nsetup\ncheck_db\n",
				"deploy/scripts/db.sh": checkDBLib,
			},
			"", []string{"deploy/scripts/db.sh:integrity_check@2 in check_db"}, ""},
		{"source through eval and a wrapper",
			map[string]string{"deploy/entrypoint.sh": "eval '. ./a.sh'\ncommand . ./b.sh\n", "deploy/a.sh": topLevelScan, "deploy/b.sh": topLevelScan},
			"", []string{"deploy/b.sh:vacuum@2", "deploy/a.sh:vacuum@2"}, ""}, // files in the order read: b before the walk, a when eval runs
		{"nested sources say the whole way",
			map[string]string{
				"deploy/entrypoint.sh":     "source scripts/common.sh\n",
				"deploy/scripts/common.sh": "log() { :; }\n. \"${BASH_SOURCE%/*}/db.sh\"\n",
				"deploy/scripts/db.sh":     topLevelScan,
			},
			"", []string{"deploy/scripts/db.sh:vacuum@2"},
			"sourced by deploy/scripts/common.sh:2 (. \"${BASH_SOURCE%/*}/db.sh\"), sourced by deploy/entrypoint.sh:1 (source scripts/common.sh): "},
		{"a file sourcing itself",
			map[string]string{"deploy/entrypoint.sh": ". \"$0\"\n. ./lib.sh\n", "deploy/lib.sh": ". \"${BASH_SOURCE[0]}\"\n. ./lib.sh\nsqlite3 \"$DB\" VACUUM\n"},
			"", []string{"deploy/lib.sh:vacuum@3"}, "sourced by deploy/entrypoint.sh:2 (. ./lib.sh): runs"},
		{"two files sourcing each other",
			map[string]string{"deploy/entrypoint.sh": ". ./a.sh\n", "deploy/a.sh": ". ./b.sh\nsqlite3 \"$DB\" ANALYZE\n", "deploy/b.sh": ". ./a.sh\nsqlite3 \"$DB\" REINDEX\n"},
			"", []string{"deploy/a.sh:analyze@2", "deploy/b.sh:reindex@2"}, "sourced by deploy/entrypoint.sh:1 (. ./a.sh): runs"},
		{"sourced file that does not parse is skipped",
			map[string]string{"deploy/entrypoint.sh": ". ./lib.sh\nsqlite3 \"$DB\" VACUUM\n", "deploy/lib.sh": "if then fi (((\n"},
			"", []string{"deploy/entrypoint.sh:vacuum@2"}, ""},
		{"a directory named like the file is skipped",
			map[string]string{"deploy/entrypoint.sh": ". /app/lib\n", "deploy/lib/x": topLevelScan},
			"", nil, ""},
		{"post-mortem §4 pre-fix in a sourced file",
			map[string]string{"deploy/entrypoint.sh": ". /app/scripts/integrity.sh\n", "deploy/scripts/integrity.sh": string(prefix)},
			"", []string{"deploy/scripts/integrity.sh:integrity_check@3"}, ""},
		{"post-mortem §4 post-fix in a sourced file",
			map[string]string{"deploy/entrypoint.sh": ". /app/scripts/integrity.sh\n", "deploy/scripts/integrity.sh": string(postfix)},
			"", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			writeTree(t, ".", tt.files)
			target := tt.audit
			if target == "" {
				target = "deploy/entrypoint.sh"
			}
			got, err := Files([]string{target})
			if err != nil {
				t.Fatalf("Files: %v", err)
			}
			if g, w := strings.Join(summarizeFiles(got), ", "), strings.Join(tt.want, ", "); g != w {
				t.Errorf("findings = [%s], want [%s]\n%+v", g, w, got)
			}
			for _, f := range got {
				if f.Col < 1 || f.Command == "" || strings.Contains(f.Command, "\n") || !strings.Contains(f.Why, "no size gate") {
					t.Errorf("incomplete finding %+v", f)
				}
				if filepath.IsAbs(f.File) {
					t.Errorf("File = %q, want it relative like the audited path", f.File)
				}
				if tt.reason != "" && !strings.Contains(f.Why, tt.reason) {
					t.Errorf("Why = %q, want it to contain %q", f.Why, tt.reason)
				}
			}
		})
	}
}

// TestSourcedFinding pins every field of a finding in a sourced file.
func TestSourcedFinding(t *testing.T) {
	t.Chdir(t.TempDir())
	writeTree(t, ".", map[string]string{
		"entrypoint.sh": "#!/bin/bash\nset -e\nmain() {\n  source \"$(dirname \"$0\")/scripts/db.sh\"\n}\nmain\n",
		"scripts/db.sh": "# db helpers\n\tintegrity=$(sqlite3 \"$DB_PATH\" 'PRAGMA integrity_check;')\n",
	})
	got, err := Files([]string{"entrypoint.sh"})
	if err != nil || len(got) != 1 {
		t.Fatalf("Files = %+v, %v; want one finding", got, err)
	}
	want := Finding{File: filepath.Join("scripts", "db.sh"), Line: 2, Col: 14, Op: OpIntegrityCheck, InFunction: "main",
		Command: `integrity=$(sqlite3 "$DB_PATH" 'PRAGMA integrity_check;')`,
		Why: `sourced by entrypoint.sh:4 (source "$(dirname "$0")/scripts/db.sh"): in function main, called at boot with no size gate or override: ` +
			"a full scan of a multi-GB DB wedges the boot past the health-check grace"}
	if got[0] != want {
		t.Errorf("finding = %#v\nwant      %#v", got[0], want)
	}
}

// TestSourcesNotRead checks that Script reads no file, and that Files
// reports an op once when it audits both a script and the file it sources.
func TestSourcesNotRead(t *testing.T) {
	t.Chdir(t.TempDir())
	writeTree(t, ".", map[string]string{"entrypoint.sh": ". ./lib.sh\n", "lib.sh": topLevelScan})
	src, err := os.ReadFile("entrypoint.sh")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Script("entrypoint.sh", strings.NewReader(string(src))); err != nil || len(got) != 0 {
		t.Errorf("Script = %+v, %v; want no finding: a reader has no directory to source from", got, err)
	}
	got, err := Files([]string{"entrypoint.sh", "./lib.sh"})
	if err != nil {
		t.Fatal(err)
	}
	if g := strings.Join(summarizeFiles(got), ", "); g != "lib.sh:vacuum@2" {
		t.Errorf("findings = [%s], want [lib.sh:vacuum@2] once", g)
	}
}

// TestSourcesParseError checks that the audited file's own parse error is
// still an error, whatever it sources.
func TestSourcesParseError(t *testing.T) {
	t.Chdir(t.TempDir())
	writeTree(t, ".", map[string]string{"entrypoint.sh": ". ./lib.sh\nif then\n", "lib.sh": topLevelScan})
	_, err := Files([]string{"entrypoint.sh"})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != "entrypoint.sh" {
		t.Fatalf("err = %v, want a ParseError in entrypoint.sh", err)
	}
}

// FuzzSources audits the input as a boot script that sources a copy of
// itself and a fixed library, in a deploy directory of real files.
func FuzzSources(f *testing.F) {
	f.Add(". /app/scripts/db.sh\ncheck_db\n")
	f.Add("SCRIPT_DIR=\"$(cd \"$(dirname \"${BASH_SOURCE[0]}\")\" && pwd)\"\n. \"$SCRIPT_DIR/scripts/db.sh\"\n. \"${0%/*}/entrypoint.sh\"\n")
	f.Add("D=$D/x\n. \"${D:-$D}/db.sh\"\nsource ${BASH_SOURCE%/*}/../scripts/copy.sh\n")
	f.Add("a=$b\nb=$a\n. \"$a/$b/$(dirname \"$(realpath \"$a\")\")\"\n")
	f.Fuzz(func(t *testing.T, src string) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{
			"fly.toml": "", "entrypoint.sh": src, "scripts/copy.sh": src, "scripts/db.sh": checkDBLib + ". ./copy.sh\n",
		})
		got, err := Files([]string{filepath.Join(dir, "entrypoint.sh")})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want nil or a ParseError", err)
			}
			return
		}
		for _, f := range got {
			if f.Line < 1 || f.Col < 1 || f.Op == "" || strings.Contains(f.Command, "\n") || !strings.HasPrefix(f.File, dir) {
				t.Fatalf("bad finding %+v", f)
			}
		}
	})
}

// A sourced file the audit cannot read is named, so a clean result is not
// mistaken for a clean boot: its code was not audited.
func TestUnreadSources(t *testing.T) {
	tests := []struct {
		name  string
		entry string
		files map[string]string
		want  []string // "line: why prefix"
	}{
		{"found and read", ". /app/scripts/db.sh\n", map[string]string{"scripts/db.sh": "true\n"}, nil},
		{"not in the deploy directory", "set -e\n. /app/scripts/db.sh\n", nil, []string{"2: not found (looked for "}},
		{"path from the environment", "source \"$LIB_PATH\"\n", nil, []string{"1: its path is known only when the script runs"}},
		{"not shell", ". ./lib.sh\n", map[string]string{"lib.sh": "if then fi (((\n"}, []string{"1: " + "lib.sh is too large, unreadable or not shell"}},
		{"reported once though preloaded and walked", "f() { . ./gone.sh; }\nf\nf\n", nil, []string{"1: not found (looked for "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{"fly.toml": "app = \"x\"\n", "entrypoint.sh": tt.entry}
			for k, v := range tt.files {
				files[k] = v
			}
			writeTree(t, dir, files)
			r, err := Audit([]string{filepath.Join(dir, "entrypoint.sh")})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range r.Unread {
				if u.File != filepath.Join(dir, "entrypoint.sh") || u.Source == "" || !strings.Contains(u.String(), "not audited") {
					t.Errorf("incomplete %+v", u)
				}
				got = append(got, strconv.Itoa(u.Line)+": "+strings.ReplaceAll(u.Why, dir+string(filepath.Separator), ""))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("unread %q, want %q", got, tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("unread %q, want it to start %q", got[i], tt.want[i])
				}
			}
		})
	}
	// Script reads nothing but its reader, so it reports no unread source.
	if found, err := Script("entrypoint.sh", strings.NewReader(". /app/scripts/db.sh\n")); err != nil || len(found) != 0 {
		t.Errorf("Script: %v, %v", found, err)
	}
}
