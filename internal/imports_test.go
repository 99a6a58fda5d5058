// Package internal_test enforces the import rules of docs/architecture.md from the
// output of `go list`, so a layering mistake fails the build instead of
// waiting for review.
package internal_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/jpops-dev/jpops"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T) map[string]pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
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

var ui = []string{"charm.land/", "github.com/charmbracelet/", "github.com/spf13/cobra", module + "/internal/tui", module + "/internal/cli"}

var rules = []rule{
	{"internal/phases", true, ui, "the engine never imports a UI or cobra"},
	{"internal/phases", false, []string{module + "/internal/flysim"}, "production paths never depend on the simulator"},
	{"internal/bootlog", true, ui, "the signature engine is shared by UI-less paths"},
	{"internal/bootlog/fastscan", true, append(ui, module+"/"), "the scan's fast path deals in bytes and keywords: nothing of jpops, so no import runs back up into bootlog"},
	{"internal/flyapi", true, append(ui, module+"/internal/phases", module+"/internal/journal", module+"/internal/bootlog"), "the Fly client knows nothing of phases"},
	{"internal/flyctl", true, ui, "running flyctl is engine work"},
	{"internal/journal", true, ui, "the journal is engine work"},
	{"internal/audit", true, ui, "the audit is engine work"},
	{"internal/lock", true, ui, "the incident lock is engine work"},
	{"internal/notify", true, ui, "notifiers are engine work"},
	{"internal/watch", true, ui, "the watchdog runs headless"},
	{"internal/health", true, append(ui, module+"/internal/phases", module+"/internal/watch", module+"/internal/journal"), "health judges what the API said; it neither runs phases nor watches"},
	{"internal/tui", false, []string{module + "/internal/flyapi", module + "/internal/flysim", module + "/internal/flyctl", module + "/internal/cli", "net/http", "github.com/spf13/cobra"}, "the UI renders engine events and never calls Fly"},
	{"internal/flysim", false, []string{module + "/internal/flyapi", module + "/internal/phases"}, "the simulator is an independent stand-in for Fly"},
	{"runbook", true, []string{module + "/internal/", "net/http", "charm.land/", "github.com/spf13/cobra"}, "runbook is pure data and imports nothing internal"},
	{"cmd/jpops", true, []string{"github.com/spf13/cobra/doc", "github.com/russross/blackfriday", "github.com/cpuguy83/go-md2man", module + "/internal/gendocs"}, "the docs renderers stay out of the shipped binary (cmd/gen-docs runs them)"},
	{"cmd/jpops", true, []string{module + "/internal/flyapi/flyapitest"}, "the Fly API fake is for tests only"},
	{"internal/clock", true, []string{module + "/"}, "the clock is a leaf every layer may use"},
}

func TestImportRules(t *testing.T) {
	pkgs := listPackages(t)
	for _, r := range rules {
		p, ok := pkgs[r.pkg]
		if !ok {
			continue // the package does not exist yet
		}
		list := p.Imports
		if r.deps {
			list = p.Deps
		}
		for _, imp := range list {
			for _, f := range r.forbid {
				if strings.HasPrefix(imp, f) {
					t.Errorf("%s imports %s: %s", r.pkg, imp, r.why)
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
				t.Errorf("%s imports the simulator; only drill and sim may", name)
			}
		}
	}
}

// The rule checker must catch a violation, or it proves nothing.
func TestImportRulesCatchViolations(t *testing.T) {
	fake := pkg{ImportPath: module + "/internal/phases", Deps: []string{"fmt", "charm.land/lipgloss/v2"}}
	hit := false
	for _, r := range rules {
		if r.pkg != "internal/phases" || !r.deps {
			continue
		}
		for _, imp := range fake.Deps {
			for _, f := range r.forbid {
				if strings.HasPrefix(imp, f) {
					hit = true
				}
			}
		}
	}
	if !hit {
		t.Fatal("a phases → lipgloss import was not flagged")
	}
}
