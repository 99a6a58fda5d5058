//go:build unix

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// jpops audit on a deploy directory whose boot script sources a library:
// an op in the library is found through the image path; a library that is
// not there is named in a warning and under "unread", and the exit code
// says only what was found.
func TestAuditFollowsSourcesAndNamesUnread(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("fly.toml", "app = \"autonomath-api\"\n")
	write("scripts/db.sh", "check_db() {\n  sqlite3 /data/autonomath.db \"PRAGMA integrity_check\"\n}\n")
	write("entrypoint.sh", "#!/bin/sh\nset -e\n. /app/scripts/db.sh\n. /app/scripts/gone.sh\ncheck_db\nexec uvicorn app:main\n")

	r := e.run("audit", filepath.Join(dir, "entrypoint.sh"))
	if r.code != 10 {
		t.Fatalf("want exit 10 (a finding)\n%s", r)
	}
	wantIn(t, "stdout", r.stdout, "scripts/db.sh:2:3: integrity_check: sourced by ", "(. /app/scripts/db.sh)")
	wantIn(t, "stderr", r.stderr, "warning: ", "entrypoint.sh:4: . /app/scripts/gone.sh: not audited: not found (looked for ")

	r = e.run("audit", "--json", filepath.Join(dir, "entrypoint.sh"))
	var out struct {
		Clean    bool
		Findings []struct{ File, Op string }
		Unread   []struct {
			File, Source, Why string
			Line              int
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("--json output: %v\n%s", err, r)
	}
	if out.Clean || len(out.Findings) != 1 || out.Findings[0].Op != "integrity_check" || filepath.Base(out.Findings[0].File) != "db.sh" {
		t.Errorf("findings %+v", out.Findings)
	}
	if len(out.Unread) != 1 || out.Unread[0].Line != 4 || out.Unread[0].Source != ". /app/scripts/gone.sh" {
		t.Errorf("unread %+v", out.Unread)
	}

	// Fixed library, still one unread: clean (exit 0), with the warning.
	write("scripts/db.sh", "check_db() { :; }\n")
	r = e.run("audit", filepath.Join(dir, "entrypoint.sh"))
	if r.code != 0 {
		t.Fatalf("want exit 0\n%s", r)
	}
	wantIn(t, "stderr", r.stderr, "clean: no unguarded full-scan op", "warning: ", "gone.sh")
}
