//go:build unix

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// mdSection is one "### Heading" of a reference page, to the next heading.
var mdSection = regexp.MustCompile(`(?s)\n### ([^\n]+)\n(.*?)(?:\n### |\z)`)

// The committed reference is what the shipped binary says: for every page
// of docs/cli, jpops COMMAND --help shows each line of the page's synopsis,
// usage, examples and options. (internal/gendocs checks the pages against
// the command tree; this checks the tree against the binary people run.)
func TestReferenceIsWhatTheBinarySays(t *testing.T) {
	t.Parallel()
	pages, err := filepath.Glob(filepath.Join("..", "..", "docs", "cli", "jpops*.md"))
	if err != nil || len(pages) < 15 {
		t.Fatalf("only %d reference pages: %v", len(pages), err)
	}
	e := newEnv(t)
	for _, page := range pages {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		title, _, _ := strings.Cut(strings.TrimPrefix(text, "## "), "\n")
		path := strings.Fields(title)
		if len(path) == 0 || path[0] != "jpops" {
			t.Errorf("%s: no command in its title %q", filepath.Base(page), title)
			continue
		}
		r := e.run(append(path[1:], "--help")...)
		if r.code != 0 {
			t.Errorf("%s --help: exit %d\n%s", title, r.code, r.stderr)
			continue
		}
		helpLines := strings.Split(r.stdout, "\n")
		for i, l := range helpLines {
			helpLines[i] = strings.TrimRight(l, " ")
		}
		var missing []string
		for _, m := range mdSection.FindAllStringSubmatch(text, -1) {
			if m[1] == "SEE ALSO" {
				continue
			}
			for _, l := range strings.Split(m[2], "\n") {
				l = strings.TrimRight(l, " ")
				if l == "" || strings.HasPrefix(l, "```") {
					continue
				}
				// The usage line is indented under Usage: in the help.
				if !slices.Contains(helpLines, l) && !slices.Contains(helpLines, "  "+l) {
					missing = append(missing, l)
				}
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s: jpops %s --help does not say what the page says:\n  %s", filepath.Base(page), strings.Join(path[1:], " "), strings.Join(missing, "\n  "))
		}
	}
}
