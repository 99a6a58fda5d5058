package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// postmortem -o writes through a link and refuses a directory, leaving no
// temporary file either way.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "drafts", "pm.md")
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "latest.md")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(link, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("the link's target holds %q, want new", b)
	}
	if fi, err := os.Stat(target); err != nil {
		t.Error(err)
	} else if fi.Mode().Perm() != 0o644 {
		t.Errorf("the draft's mode is %v, want 0644 as every draft is written", fi.Mode().Perm())
	}

	err := writeFileAtomic(dir, []byte("x"))
	if err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("writing to a directory: %v, want it refused", err)
	}
	for _, d := range []string{dir, filepath.Dir(target)} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") || strings.Contains(e.Name(), ".tmp") {
				t.Errorf("left behind %s", filepath.Join(d, e.Name()))
			}
		}
	}
	if _, err := os.Stat(dir + ".tmp"); err == nil {
		t.Errorf("left behind %s.tmp", dir)
	}
}
