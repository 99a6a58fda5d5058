package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/jpops-dev/jpops/internal/audit"
)

// The drill deploys the guarded boot script; it must pass the audit that
// phase 3 runs, and stay the post-mortem's post-fix script the audit's own
// tests check.
func TestDrillBootScriptIsGuarded(t *testing.T) {
	script, err := drillFiles.ReadFile("drillfiles/entrypoint.sh")
	if err != nil {
		t.Fatal(err)
	}
	findings, err := audit.Script("entrypoint.sh", bytes.NewReader(script))
	if err != nil || len(findings) != 0 {
		t.Fatalf("drill boot script: %v, findings %v", err, findings)
	}
	fixture, err := os.ReadFile(filepath.Join("..", "audit", "testdata", "entrypoint-postfix.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(script, fixture) {
		t.Error("drillfiles/entrypoint.sh differs from the audit's post-fix fixture: keep them one script")
	}
}
