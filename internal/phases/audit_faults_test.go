package phases_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Boot scripts that looked guarded to the audit but still hang the boot:
// each must keep the deploy gate shut, with the finding journaled.
func TestFault_AuditGuardedLookingTraps(t *testing.T) {
	tests := []struct {
		name, script string
	}{
		{"SQL in a variable", "#!/bin/sh\nset -e\nQ=\"PRAGMA integrity_check\"\nsqlite3 /data/app.db \"$Q\"\nexec \"$@\"\n"},
		{"size test true for every database", "#!/bin/sh\nset -e\nif [ \"$(stat -c %s /data/app.db)\" -gt 0 ]; then\n  sqlite3 /data/app.db 'PRAGMA integrity_check'\nfi\nexec \"$@\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, "db-boot-hang")
			r.opts.Dir = t.TempDir()
			writeFlyToml(t, r.opts.Dir)
			if err := os.WriteFile(filepath.Join(r.opts.Dir, "entrypoint.sh"), []byte(tt.script), 0o755); err != nil {
				t.Fatal(err)
			}
			var finding string
			if findings := runRefusedForBootScript(t, r); len(findings) > 0 {
				finding = findings[0]
			}
			if !strings.Contains(finding, "entrypoint.sh:4:") || !strings.Contains(finding, "integrity_check") {
				t.Errorf("boot_script precondition finding %q, want entrypoint.sh:4 integrity_check", finding)
			}
		})
	}
}
