package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/jpops-dev/jpops/internal/iostreams"
)

var updateDocs = flag.Bool("update-docs", false, "regenerate docs/cli and docs/man from the command tree")

//go:generate go run ../../cmd/jpops gen-docs --md ../../docs/cli --man ../../docs/man

// The committed CLI reference and man pages must match the command tree:
// a flag or command added without regenerating them fails here.
func TestDocsAreCurrent(t *testing.T) {
	mdDir, manDir := filepath.Join("..", "..", "docs", "cli"), filepath.Join("..", "..", "docs", "man")
	ios, _, _, _ := iostreams.Test()
	root := NewRoot(&Env{IO: ios, Getenv: func(string) string { return "" }})
	if *updateDocs {
		for _, d := range []string{mdDir, manDir} {
			if err := os.RemoveAll(d); err != nil {
				t.Fatal(err)
			}
		}
		if err := GenDocs(root, mdDir, manDir); err != nil {
			t.Fatal(err)
		}
	}
	tmp := t.TempDir()
	if err := GenDocs(root, filepath.Join(tmp, "cli"), filepath.Join(tmp, "man")); err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{{filepath.Join(tmp, "cli"), mdDir}, {filepath.Join(tmp, "man"), manDir}} {
		fresh, err := docFiles(pair[0])
		if err != nil {
			t.Fatal(err)
		}
		committed, err := docFiles(pair[1])
		if err != nil {
			t.Fatalf("%v: run go test ./internal/cli -run TestDocsAreCurrent -update-docs", err)
		}
		if len(fresh) != len(committed) {
			t.Errorf("%s has %d files, the command tree makes %d: regenerate with go test ./internal/cli -run TestDocsAreCurrent -update-docs", pair[1], len(committed), len(fresh))
		}
		for _, f := range fresh {
			want, _ := os.ReadFile(f)
			got, err := os.ReadFile(filepath.Join(pair[1], filepath.Base(f)))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s is stale: regenerate with go test ./internal/cli -run TestDocsAreCurrent -update-docs", filepath.Join(pair[1], filepath.Base(f)))
			}
		}
	}
}
