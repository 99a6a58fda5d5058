package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

func init() { register(newGenDocsCmd) }

// newGenDocsCmd writes the CLI reference (Markdown) and man pages from the
// command tree, so they cannot drift from the code (a test checks that the
// committed ones are current).
func newGenDocsCmd(env *Env, _ *globalFlags) *cobra.Command {
	var md, man string
	cmd := &cobra.Command{
		Use:    "gen-docs",
		Short:  "Write the CLI reference (Markdown) and man pages",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if md == "" && man == "" {
				return usageError("pass --md DIR and/or --man DIR")
			}
			return GenDocs(cmd.Root(), md, man)
		},
	}
	cmd.Flags().StringVar(&md, "md", "", "write the Markdown reference into DIR")
	cmd.Flags().StringVar(&man, "man", "", "write man pages into DIR")
	return cmd
}

// GenDocs writes the reference for root's visible commands. The output is
// deterministic: no dates, and the auto-generated footer is disabled.
func GenDocs(root *cobra.Command, mdDir, manDir string) error {
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

// docFiles lists the files GenDocs writes into dir, for the staleness test.
func docFiles(dir string) ([]string, error) {
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
