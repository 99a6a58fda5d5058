package gendocs

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/jpops-dev/jpops/internal/cli"
	"github.com/jpops-dev/jpops/internal/iostreams"
)

var update = flag.Bool("update-docs", false, "regenerate docs/cli and docs/man from the command tree")

//go:generate go run ../../cmd/gen-docs --md ../../docs/cli --man ../../docs/man

const regenerate = "regenerate with go test ./internal/gendocs -update-docs"

// The committed CLI reference and man pages must match the command tree:
// a flag or command added without regenerating them fails here. Unchanged
// man pages keep the date they carry, so the committed ones are the seed.
func TestDocsAreCurrent(t *testing.T) {
	mdDir, manDir := filepath.Join("..", "..", "docs", "cli"), filepath.Join("..", "..", "docs", "man")
	if *update {
		if err := Write(root(), mdDir, manDir, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	tmp := t.TempDir()
	freshMd, freshMan := filepath.Join(tmp, "cli"), filepath.Join(tmp, "man")
	copyDir(t, manDir, freshMan)
	if err := Write(root(), freshMd, freshMan, time.Time{}); err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{{freshMd, mdDir}, {freshMan, manDir}} {
		fresh, committed := names(t, pair[0]), names(t, pair[1])
		if len(fresh) == 0 {
			t.Fatalf("%s: nothing generated", pair[0])
		}
		for name := range committed {
			if !fresh[name] {
				t.Errorf("%s: no command makes it any more: %s", filepath.Join(pair[1], name), regenerate)
			}
		}
		for name := range fresh {
			want, _ := os.ReadFile(filepath.Join(pair[0], name))
			got, err := os.ReadFile(filepath.Join(pair[1], name))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s is stale or missing: %s", filepath.Join(pair[1], name), regenerate)
			}
		}
	}
}

// Each man page is titled with its own command and dated with the month its
// text last changed, not one date for ever.
func TestManPagesNameTheirCommandAndDate(t *testing.T) {
	dir := t.TempDir()
	first := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	if err := Write(root(), "", dir, first); err != nil {
		t.Fatal(err)
	}
	th := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		line, _, _ := strings.Cut(string(b[strings.Index(string(b), ".TH "):]), "\n")
		return line
	}
	for name, want := range map[string]string{
		"jpops.1":              `.TH "JPOPS" "1" "Mar 2026" "jpops" "jpops manual"`,
		"jpops-run.1":          `.TH "JPOPS-RUN" "1" "Mar 2026" "jpops" "jpops manual"`,
		"jpops-journal-show.1": `.TH "JPOPS-JOURNAL-SHOW" "1" "Mar 2026" "jpops" "jpops manual"`,
	} {
		if got := th(name); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}

	// Regenerated later: an unchanged page keeps its date, a changed one
	// takes the new date.
	later := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	r := root()
	run, _, err := r.Find([]string{"run"})
	if err != nil {
		t.Fatal(err)
	}
	run.Long += "\n\nOne more paragraph."
	if err := Write(r, "", dir, later); err != nil {
		t.Fatal(err)
	}
	if got := th("jpops-diagnose.1"); !strings.Contains(got, `"Mar 2026"`) {
		t.Errorf("unchanged page re-dated: %s", got)
	}
	if got := th("jpops-run.1"); !strings.Contains(got, `"Nov 2026"`) {
		t.Errorf("changed page kept its old date: %s", got)
	}
}

// A command that is gone takes its pages with it.
func TestWritePrunesPagesOfRemovedCommands(t *testing.T) {
	md, man := t.TempDir(), t.TempDir()
	for _, p := range []string{filepath.Join(md, "jpops_gone.md"), filepath.Join(man, "jpops-gone.1"), filepath.Join(md, "notes.md")} {
		if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := Write(root(), md, man, time.Time{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(md, "jpops_gone.md"), filepath.Join(man, "jpops-gone.1")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was kept", p)
		}
	}
	if _, err := os.Stat(filepath.Join(md, "notes.md")); err != nil {
		t.Errorf("a page that is not jpops's was removed: %v", err)
	}
}

func root() *cobra.Command {
	ios, _, _, _ := iostreams.Test()
	f := cli.NewFactory(ios)
	f.Getenv = func(string) string { return "" }
	return cli.NewRoot(f)
}

func names(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, err := Files(dir)
	if err != nil {
		t.Fatalf("%v: %s", err, regenerate)
	}
	out := map[string]bool{}
	for _, f := range files {
		out[filepath.Base(f)] = true
	}
	return out
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	files, err := Files(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
