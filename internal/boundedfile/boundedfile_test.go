package boundedfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadFileBounds(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "fly.toml")
	os.WriteFile(small, []byte("app = \"x\"\n"), 0o600)
	big := filepath.Join(dir, "big.toml")
	os.WriteFile(big, make([]byte, 2048), 0o600)
	endless := filepath.Join(dir, "endless.toml")
	if err := os.Symlink("/dev/zero", endless); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(small, 1024, "fly.toml"); err != nil || string(b) != "app = \"x\"\n" {
		t.Errorf("small file: %q, %v", b, err)
	}
	for _, p := range []string{big, endless} {
		start := time.Now()
		_, err := ReadFile(p, 1024, "fly.toml")
		var tl *TooLargeError
		if !errors.As(err, &tl) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "1 KiB") || !strings.Contains(err.Error(), "fly.toml") {
			t.Errorf("%s: err = %v, want a too-large error naming the file, the bound and what it should be", p, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: took %s", p, d)
		}
	}
	if _, err := ReadFile(filepath.Join(dir, "missing"), 1024, "fly.toml"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
}
