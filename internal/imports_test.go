// Package internal_test enforces the import rules of docs/architecture.md from the
// output of `go list`, so a layering mistake fails the build instead of
// waiting for review.
package internal_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/jpops-dev/jpops"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// listPackages lists the packages of the module in dir, keyed by their path
// inside it ("" for the module's root).
func listPackages(t *testing.T, dir string) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", "./...")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list in %s: %v\n%s", dir, err, ee.Stderr)
		}
		t.Fatalf("go list in %s: %v", dir, err)
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs[strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")] = p
	}
	return pkgs
}

// rule forbids a package (and, with deps, anything it links) from importing
// paths with the given prefixes.
type rule struct {
	pkg    string
	deps   bool // check transitive deps, not only direct imports
	forbid []string
	why    string
}

// notUI are packages under a UI prefix that draw nothing: x/ansi parses
// escape sequences, which redact strips from text headed for a journal or
// a notification.
var notUI = []string{"github.com/charmbracelet/x/ansi"}

var ui = []string{"charm.land/", "github.com/charmbracelet/", "github.com/spf13/cobra", module + "/internal/tui", module + "/internal/cli"}

var rules = []rule{
	{"internal/phases", true, ui, "the engine never imports a UI or cobra"},
	{"internal/phases", false, []string{module + "/internal/flysim"}, "production paths never depend on the simulator"},
	{"internal/bootlog", true, ui, "the signature engine is shared by UI-less paths"},
	{"internal/bootlog/fastscan", true, append(ui, module+"/"), "the scan's fast path deals in bytes and keywords: nothing of jpops, so no import runs back up into bootlog"},
	{"internal/flyapi", true, append(ui, module+"/internal/phases", module+"/internal/journal", module+"/internal/bootlog"), "the Fly client knows nothing of phases"},
	{"internal/flyctl", true, ui, "running flyctl is engine work"},
	{"internal/journal", true, ui, "the journal is engine work"},
	{"internal/journal", false, []string{module + "/internal/incident", module + "/internal/postmortem"}, "the journal stores events; reading and rendering them is elsewhere"},
	{"internal/incident", true, append(ui, module+"/internal/flyapi", module+"/internal/flyctl", module+"/internal/phases", module+"/internal/postmortem", "net/http", "os/exec"), "the incident view is a pure reading of events"},
	{"internal/postmortem", true, append(ui, module+"/internal/flyapi", module+"/internal/flyctl", module+"/internal/phases", "net/http", "os/exec"), "the post-mortem renders a view and calls nothing"},
	{"internal/audit", true, ui, "the audit is engine work"},
	{"internal/audit", false, []string{module + "/internal/audit/auditfmt"}, "the audit finds; how a report is written for CI is auditfmt's job, above it"},
	{"internal/audit/auditfmt", true, append(ui, module+"/internal/phases", "net/http"), "writing SARIF and workflow commands is plain text out of a report"},
	{"internal/lock", true, ui, "the incident lock is engine work"},
	{"internal/notify", true, ui, "notifiers are engine work"},
	{"internal/watch", true, ui, "the watchdog runs headless"},
	{"internal/health", true, append(ui, module+"/internal/phases", module+"/internal/watch", module+"/internal/journal"), "health judges what the API said; it neither runs phases nor watches"},
	{"internal/tui", false, []string{module + "/internal/flyapi", module + "/internal/flysim", module + "/internal/flyctl", module + "/internal/cli", "net/http", "github.com/spf13/cobra"}, "the UI renders engine events and never calls Fly"},
	{"internal/flysim", false, []string{module + "/internal/flyapi", module + "/internal/phases"}, "the simulator is an independent stand-in for Fly"},
	{"runbook", true, []string{module + "/internal/", "net/http", "charm.land/", "github.com/spf13/cobra"}, "runbook is pure data and imports nothing internal"},
	{"cmd/jpops", true, []string{"github.com/spf13/cobra/doc", "github.com/russross/blackfriday", "github.com/cpuguy83/go-md2man", module + "/internal/gendocs"}, "the docs renderers stay out of the shipped binary (cmd/gen-docs runs them)"},
	{"cmd/jpops", true, []string{module + "/internal/flyapi/flyapitest"}, "the Fly API fake is for tests only"},
	{"cmd/jpops", true, []string{"github.com/alecthomas/chroma", "charm.land/glamour", "github.com/yuin/goldmark"}, "their package initialisation (a syntax highlighter's registries, an entity map, case-folding tables, HTML-block regexps) costs every command at start-up (docs/performance.md, section 3); internal/mdterm reads Markdown itself"},
	{"internal/mdterm", true, []string{module + "/"}, "laying Markdown out for a terminal knows nothing of jpops"},
	{"internal/clock", true, []string{module + "/"}, "the clock is a leaf every layer may use"},
	{"internal/advice", true, append(ui, module+"/"), "advice (a command, apart from a note) is a leaf the engine, the journal and every face share"},
	{"internal/boundedfile", true, []string{module + "/"}, "bounded file reads are a leaf every reader of a file may use"},
	{"internal/bootlog/bootlogtest", true, []string{module + "/"}, "the logs the scan's tests and bench programs read know nothing of jpops, so bootlog's and fastscan's tests can both use them"},
	{"cmd/jpops", true, []string{module + "/internal/bootlog/bootlogtest"}, "generated boot logs are for tests and bench programs only"},
	{"internal/journal/journaltest", false, []string{module + "/internal/incident", module + "/internal/postmortem"}, "the event builders serve the readers' tests, so they must not import a reader"},
	{"cmd/jpops", true, []string{module + "/internal/journal/journaltest"}, "built journal events are for tests only"},
	{"internal/redact", true, append(ui[2:], module+"/"), "the redactor is a leaf every output path uses: it may parse escape codes, never draw"},
}

// violations checks pkgs against rules, and that only the CLI imports the
// simulator. A rule naming a package that is not there is a violation too:
// a renamed package must not leave its rule checking nothing.
func violations(pkgs map[string]pkg, rules []rule) []string {
	var out []string
	for _, r := range rules {
		p, ok := pkgs[r.pkg]
		if !ok {
			out = append(out, fmt.Sprintf("the rule for %s names no package of the module (%s): fix or drop the rule", r.pkg, r.why))
			continue
		}
		list := p.Imports
		if r.deps {
			list = p.Deps
		}
		for _, imp := range list {
			if slices.ContainsFunc(notUI, func(p string) bool { return strings.HasPrefix(imp, p) }) {
				continue
			}
			for _, f := range r.forbid {
				if strings.HasPrefix(imp, f) {
					out = append(out, fmt.Sprintf("%s imports %s: %s", r.pkg, imp, r.why))
				}
			}
		}
	}
	// Only the CLI (drill, sim) may import the simulator outside tests;
	// benchmark programs under bench/ are not production paths.
	for name, p := range pkgs {
		if name == "internal/cli" || name == "internal/flysim" || strings.HasPrefix(name, "internal/flysim/") || strings.HasPrefix(name, "bench/") {
			continue
		}
		for _, imp := range p.Imports {
			if imp == module+"/internal/flysim" {
				out = append(out, fmt.Sprintf("%s imports the simulator; only drill and sim may", name))
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestImportRules(t *testing.T) {
	for _, v := range violations(listPackages(t, "."+string(filepath.Separator)+".."), rules) {
		t.Error(v)
	}
}

// The checker must catch a violation, or it proves nothing: it runs, as
// above, on a module planted with violations, laid out as this one.
func TestImportRulesCatchViolations(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":                    "module " + module + "\n\ngo 1.22\n",
		"internal/tui/tui.go":       "package tui\n",
		"internal/flysim/flysim.go": "package flysim\n",
		"internal/phases/phases.go": "package phases\n\nimport _ \"" + module + "/internal/tui\"\n",
		"internal/journal/j.go":     "package journal\n\nimport _ \"" + module + "/internal/phases\"\n",
		"internal/watch/watch.go":   "package watch\n\nimport _ \"" + module + "/internal/flysim\"\n",
		"internal/cli/cli.go":       "package cli\n\nimport _ \"" + module + "/internal/flysim\"\n",
		"internal/notify/notify.go": "package notify\n",
	}
	for name, body := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	planted := []rule{
		{"internal/phases", true, ui, "the engine never imports a UI"},
		{"internal/journal", true, ui, "the journal is engine work"}, // only through phases: deps
		{"internal/notify", true, ui, "notifiers are engine work"},   // clean
		{"internal/gone", false, ui, "a package since renamed"},
	}
	got := violations(listPackages(t, dir), planted)
	want := []string{
		"internal/journal imports " + module + "/internal/tui: the journal is engine work",
		"internal/phases imports " + module + "/internal/tui: the engine never imports a UI",
		"internal/watch imports the simulator; only drill and sim may",
		"the rule for internal/gone names no package of the module (a package since renamed): fix or drop the rule",
	}
	if !slices.Equal(got, want) {
		t.Errorf("violations:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	// And the real rules, on the planted module, catch the same layering
	// mistakes (and name the packages it lacks).
	real := violations(listPackages(t, dir), rules)
	for _, prefix := range []string{
		"internal/phases imports " + module + "/internal/tui: ",
		"internal/journal imports " + module + "/internal/tui: ",
		"internal/watch imports the simulator",
		"the rule for internal/flyapi names no package",
	} {
		if !slices.ContainsFunc(real, func(v string) bool { return strings.HasPrefix(v, prefix) }) {
			t.Errorf("the real rules miss %q in the planted module:\n  %s", prefix, strings.Join(real, "\n  "))
		}
	}
}
