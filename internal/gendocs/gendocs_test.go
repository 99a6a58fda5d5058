package gendocs

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/jpops-dev/jpops/internal/cli"
	"github.com/jpops-dev/jpops/internal/iostreams"
)

var update = flag.Bool("update-docs", false, "regenerate docs/cli and docs/man from the command tree")

//go:generate go run ../../cmd/gen-docs --md ../../docs/cli --man ../../docs/man

const regenerate = "regenerate with go test ./internal/gendocs -update-docs"

// The committed CLI reference and man pages must match the command tree:
// a flag or command added without regenerating them fails here.
func TestDocsAreCurrent(t *testing.T) {
	mdDir, manDir := filepath.Join("..", "..", "docs", "cli"), filepath.Join("..", "..", "docs", "man")
	ios, _, _, _ := iostreams.Test()
	root := cli.NewRoot(&cli.Env{IO: ios, Getenv: func(string) string { return "" }})
	if *update {
		for _, d := range []string{mdDir, manDir} {
			if err := os.RemoveAll(d); err != nil {
				t.Fatal(err)
			}
		}
		if err := Write(root, mdDir, manDir); err != nil {
			t.Fatal(err)
		}
	}
	tmp := t.TempDir()
	if err := Write(root, filepath.Join(tmp, "cli"), filepath.Join(tmp, "man")); err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{{filepath.Join(tmp, "cli"), mdDir}, {filepath.Join(tmp, "man"), manDir}} {
		fresh, err := Files(pair[0])
		if err != nil {
			t.Fatal(err)
		}
		committed, err := Files(pair[1])
		if err != nil {
			t.Fatalf("%v: %s", err, regenerate)
		}
		if len(fresh) != len(committed) || len(fresh) == 0 {
			t.Errorf("%s has %d files, the command tree makes %d: %s", pair[1], len(committed), len(fresh), regenerate)
		}
		for _, f := range fresh {
			want, _ := os.ReadFile(f)
			got, err := os.ReadFile(filepath.Join(pair[1], filepath.Base(f)))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s is stale: %s", filepath.Join(pair[1], filepath.Base(f)), regenerate)
			}
		}
	}
}
