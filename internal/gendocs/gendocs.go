// Package gendocs writes the CLI reference (Markdown) and the man pages
// from the command tree, so they cannot drift from the code. It lives
// outside the CLI so the markdown and man-page renderers stay out of the
// shipped binary; cmd/gen-docs runs it and a test checks the committed
// pages are current.
package gendocs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// Write writes the reference for root's visible commands into mdDir and
// the man pages into manDir (either may be empty to skip it). The output
// is deterministic: no dates, and the auto-generated footer is disabled.
func Write(root *cobra.Command, mdDir, manDir string) error {
	root.DisableAutoGenTag = true
	for _, c := range root.Commands() {
		c.DisableAutoGenTag = true
		for _, cc := range c.Commands() {
			cc.DisableAutoGenTag = true
		}
	}
	if mdDir != "" {
		if err := os.MkdirAll(mdDir, 0o755); err != nil {
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
		epoch := time.Date(2026, 5, 11, 0, 0, 0, 0, time.UTC)
		hdr := &doc.GenManHeader{Title: "JPOPS", Section: "1", Source: "jpops", Manual: "jpops manual", Date: &epoch}
		if err := doc.GenManTree(root, hdr, manDir); err != nil {
			return fmt.Errorf("write the man pages: %w", err)
		}
	}
	return nil
}

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
