// Package gendocs writes the CLI reference (Markdown) and the man pages
// from the command tree, so they cannot drift from the code. It lives
// outside the CLI so the markdown and man-page renderers stay out of the
// shipped binary; cmd/gen-docs runs it and a test checks the committed
// pages are current.
package gendocs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// Write writes the reference for root's visible commands into mdDir and
// the man pages into manDir (either may be empty to skip it), and removes
// pages of commands that are gone.
//
// Each man page is titled with its command (JPOPS-RUN) and dated with the
// month its text last changed: a page already in manDir whose text is the
// same keeps its date, so regenerating changes nothing until a help text
// does. A page that changed is dated date, or when date is zero
// SOURCE_DATE_EPOCH, or today. The Markdown carries no date.
func Write(root *cobra.Command, mdDir, manDir string, date time.Time) error {
	disableAutoGenTag(root)
	if mdDir != "" {
		if err := os.MkdirAll(mdDir, 0o755); err != nil {
			return err
		}
		if err := prune(mdDir, ".md", root, "_"); err != nil {
			return err
		}
		if err := doc.GenMarkdownTree(root, mdDir); err != nil {
			return fmt.Errorf("write the Markdown reference: %w", err)
		}
	}
	if manDir != "" {
		if err := os.MkdirAll(manDir, 0o755); err != nil {
			return err
		}
		if err := prune(manDir, ".1", root, "-"); err != nil {
			return err
		}
		if err := writeMan(root, manDir, date); err != nil {
			return fmt.Errorf("write the man pages: %w", err)
		}
	}
	return nil
}

func disableAutoGenTag(c *cobra.Command) {
	c.DisableAutoGenTag = true
	for _, cc := range c.Commands() {
		disableAutoGenTag(cc)
	}
}

// documented lists the commands that get a page, as GenMarkdownTree and
// GenManTree choose them.
func documented(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	for _, cc := range c.Commands() {
		if !cc.IsAvailableCommand() || cc.IsAdditionalHelpTopicCommand() {
			continue
		}
		out = append(out, documented(cc)...)
	}
	return out
}

func pageName(c *cobra.Command, sep, ext string) string {
	return strings.ReplaceAll(c.CommandPath(), " ", sep) + ext
}

// prune removes the pages in dir that no command makes any more.
func prune(dir, ext string, root *cobra.Command, sep string) error {
	want := map[string]bool{}
	for _, c := range documented(root) {
		want[pageName(c, sep, ext)] = true
	}
	have, err := Files(dir)
	if err != nil {
		return err
	}
	for _, p := range have {
		base := filepath.Base(p)
		if filepath.Ext(p) == ext && strings.HasPrefix(base, root.Name()) && !want[base] {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeMan(root *cobra.Command, dir string, date time.Time) error {
	for _, c := range documented(root) {
		hdr := &doc.GenManHeader{Section: "1", Source: "jpops", Manual: "jpops manual"}
		if !date.IsZero() {
			hdr.Date = &date
		}
		var page bytes.Buffer
		if err := doc.GenMan(c, hdr, &page); err != nil {
			return err
		}
		path := filepath.Join(dir, pageName(c, "-", ".1"))
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(withoutDate(old), withoutDate(page.Bytes())) {
			continue // unchanged: it keeps the date it has
		}
		if err := os.WriteFile(path, page.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// thDate is the date field of a man page's title line:
// .TH "JPOPS\-RUN" "1" "Dec 2026" "jpops" "jpops manual".
var thDate = regexp.MustCompile(`(?m)^(\.TH "[^"]*" "[^"]*" )"[^"]*"`)

// withoutDate is a man page with its date blanked.
func withoutDate(page []byte) []byte { return thDate.ReplaceAll(page, []byte(`$1""`)) }

// Files lists the pages Write wrote into dir.
func Files(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".md") || strings.HasSuffix(p, ".1")) {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}
