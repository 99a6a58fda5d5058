package phases_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jpops-dev/jpops/internal/journal"
	"github.com/jpops-dev/jpops/internal/phases"
	"github.com/jpops-dev/jpops/internal/verdict"
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
			res, err := phases.Run(r.ctx(), r.opts)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if res.Verdict != verdict.EscapeFailed || !strings.Contains(res.Reason, "integrity_check") {
				t.Fatalf("verdict %s (%s), want ESCAPE_FAILED naming integrity_check", res.Verdict, res.Reason)
			}
			got := r.readBack()
			var finding string
			for _, e := range kinds(got, journal.KindPrecondition) {
				if d := data[journal.Precondition](e); d.Name == "boot_script" && !d.OK && len(d.Findings) > 0 {
					finding = d.Findings[0]
				}
			}
			if !strings.Contains(finding, "entrypoint.sh:4:") || !strings.Contains(finding, "integrity_check") {
				t.Errorf("boot_script precondition finding %q, want entrypoint.sh:4 integrity_check", finding)
			}
			if n := len(kinds(got, journal.KindCommandStart)); n != 0 {
				t.Errorf("deploy ran (%d command_start) with a boot script that still hangs", n)
			}
		})
	}
}
