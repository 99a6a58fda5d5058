package gendocs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The hand-written docs cannot be generated, but a test can hold them to
// the program: every jpops command line they show (in a code span or a
// code block) names a command the program has, with flags that command
// takes, and the README's exit-code table is the program's.

var (
	codeBlock = regexp.MustCompile("(?s)```([a-z]*)\n(.*?)```")
	codeSpan  = regexp.MustCompile("`([^`\n]+)`")
	// separators end one command of a shell line.
	separators = regexp.MustCompile(`\|\||&&|[|;#>()]|\$\(`)
	// placeholder is a word standing for something the reader fills in.
	placeholder = regexp.MustCompile(`^[A-Z][A-Z_-]*$|…|\.\.\.|^<|^\[`)
)

// handwritten lists the hand-written docs: the README and docs/*.md, not
// the generated reference under docs/cli.
func handwritten(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs/*.md found: %v", err)
	}
	return append([]string{filepath.Join("..", "..", "README.md")}, docs...)
}

// jpopsLines returns each jpops command line shown in a Markdown text, as
// its words after "jpops".
func jpopsLines(text string) [][]string {
	var snippets []string
	for _, m := range codeBlock.FindAllStringSubmatch(text, -1) {
		if m[1] != "text" { // a text block shows output, not commands
			snippets = append(snippets, strings.Split(m[2], "\n")...)
		}
	}
	for _, m := range codeSpan.FindAllStringSubmatch(codeBlock.ReplaceAllString(text, ""), -1) {
		snippets = append(snippets, m[1])
	}
	var out [][]string
	for _, s := range snippets {
		for _, part := range separators.Split(s, -1) {
			words := strings.Fields(part)
			for i, w := range words {
				if prefixWord(w) {
					continue
				}
				if _, after, _ := strings.Cut(w, "="); filepath.Base(after) == "jpops" || w == "jpops" {
					out = append(out, words[i+1:])
				}
				break // the command word is another program's
			}
		}
	}
	return out
}

// prefixWord is a word that comes before the command word of a shell
// line: a prompt, an environment assignment, a wrapper.
func prefixWord(w string) bool {
	switch w {
	case "$", "-", "run:", "sudo", "exec", "env", "time", "timeout", "nohup":
		return true
	}
	name, value, ok := strings.Cut(w, "=")
	return ok && name != "" && filepath.Base(value) != "jpops" || strings.HasPrefix(w, "-") || regexp.MustCompile(`^\d+[smh]?$`).MatchString(w)
}

// checkLine says what is wrong with a jpops command line, or "".
func checkLine(root *cobra.Command, args []string) string {
	var words []string
	for _, a := range args {
		if placeholder.MatchString(a) || strings.ContainsAny(a, "\"'") {
			break // the rest is for the reader to fill in
		}
		words = append(words, a)
	}
	c, _, err := root.Find(words)
	if err != nil {
		return "names no command: " + err.Error()
	}
	for _, w := range words {
		if w == "--" {
			break
		}
		if !strings.HasPrefix(w, "-") || w == "-" {
			continue
		}
		name, _, _ := strings.Cut(w, "=")
		var f *pflag.Flag
		if long, ok := strings.CutPrefix(name, "--"); ok {
			f = lookup(c, long, false)
		} else {
			f = lookup(c, name[1:], true)
		}
		if f == nil {
			return c.CommandPath() + " has no flag " + name
		}
		if f.Deprecated != "" {
			return c.CommandPath() + "'s " + name + " is deprecated: " + f.Deprecated
		}
	}
	return ""
}

func lookup(c *cobra.Command, name string, short bool) *pflag.Flag {
	if name == "help" || (short && name == "h") {
		return &pflag.Flag{Name: "help"}
	}
	for _, fs := range []*pflag.FlagSet{c.Flags(), c.InheritedFlags(), c.Root().PersistentFlags()} {
		if short {
			if len(name) == 1 {
				if f := fs.ShorthandLookup(name); f != nil {
					return f
				}
			}
			continue
		}
		if f := fs.Lookup(name); f != nil {
			return f
		}
	}
	return nil
}

func TestHandWrittenDocsShowRealCommandsAndFlags(t *testing.T) {
	r := root()
	// cobra gives a root with a Version its --version (-v) when it runs,
	// as the binary's --help shows: the docs may show it too.
	r.InitDefaultVersionFlag()
	total := 0
	for _, path := range handwritten(t) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range jpopsLines(string(b)) {
			total++
			if why := checkLine(r, line); why != "" {
				t.Errorf("%s shows `jpops %s`: %s", filepath.Base(path), strings.Join(line, " "), why)
			}
		}
	}
	if total < 50 {
		t.Errorf("only %d jpops command lines found in the docs: the reader of Markdown is broken", total)
	}
}

// The checker itself: it catches what the docs must not show.
func TestCheckLineCatches(t *testing.T) {
	r := root()
	for _, tt := range []struct {
		line string
		bad  bool
	}{
		{"run -a autonomath-api --hold 5m", false},
		{"drill --scenario fix-missing --yes", false},
		{"journal show latest", false},
		{"resume ID --yes", false},
		{"-t TOKEN diagnose -a APP", false},
		{"smoke --yes", true},
		{"run --frobnicate", true},
		{"frobnicate -a x", true},
		{"drill -z", true},
	} {
		if got := checkLine(r, strings.Fields(tt.line)) != ""; got != tt.bad {
			t.Errorf("`jpops %s`: flagged %v, want %v", tt.line, got, tt.bad)
		}
	}
}

// The README's exit-code table lists the codes jpops --help lists, no more
// and no fewer.
func TestReadmeExitCodesAreTheProgram(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Exit codes\n")
	if !ok {
		t.Fatal("README.md has no Exit codes section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	readme := codes(regexp.MustCompile(`(?m)^\| (\d+) \|`), section)

	r := root()
	var help strings.Builder
	r.SetOut(&help)
	r.SetArgs([]string{"--help"})
	if err := r.Execute(); err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(help.String(), "\nExit codes:\n")
	if !ok {
		t.Fatalf("jpops --help has no exit codes:\n%s", help.String())
	}
	table, _, _ = strings.Cut(table, "\nUsage:")
	program := codes(regexp.MustCompile(`(?m)^    (\d+) +\S`), table)
	if len(program) < 10 || strings.Join(readme, " ") != strings.Join(program, " ") {
		t.Errorf("README.md's exit codes %v, jpops --help's %v", readme, program)
	}
}

func codes(re *regexp.Regexp, text string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

// Every committed man page is titled with its own command: jpops-run.1 is
// JPOPS-RUN(1), not JPOPS(1), and names jpops run in its NAME section.
func TestCommittedManPagesNameTheirCommand(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join("..", "..", "docs", "man", "*.1"))
	if err != nil || len(pages) < 10 {
		t.Fatalf("only %d man pages in docs/man: %v", len(pages), err)
	}
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		command := strings.TrimSuffix(filepath.Base(p), ".1")
		title := `.TH "` + strings.ToUpper(command) + `" "1"`
		if !strings.Contains(string(b), "\n"+title) && !strings.HasPrefix(string(b), title) {
			t.Errorf("%s is not titled %s", filepath.Base(p), title)
		}
		if _, after, ok := strings.Cut(string(b), ".SH NAME\n"); !ok || !strings.HasPrefix(after, command+" - ") {
			t.Errorf("%s's NAME section does not name %s", filepath.Base(p), command)
		}
	}
}
