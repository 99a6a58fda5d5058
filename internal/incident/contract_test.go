package incident_test

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/jpops-dev/jpops/internal/journal"
)

const module = "github.com/jpops-dev/jpops"

// The packages that write event payloads (the engine; the CLI notes a
// hang-up; the watchdog's pages open a replay) and those that read them.
var (
	writers = []string{"internal/phases", "internal/cli", "internal/watch"}
	readers = []string{"internal/journal", "internal/incident", "internal/postmortem", "internal/report", "internal/tui", "internal/cli", "internal/phases"}
)

// TestEveryKeyHasAWriterAndAReader type-checks the writers and the readers
// and fails on a payload key no writer sets (a reader wants what is never
// written) or no reader uses (written for no one).
func TestEveryKeyHasAWriterAndAReader(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks half the module")
	}
	fset, imp, pkgs := loadForTypes(t, append(append([]string{}, writers...), readers...))
	written, read := map[string]bool{}, map[string]bool{}
	check := func(rel string, mark func(key string, write bool)) {
		p := pkgs[module+"/"+rel]
		var files []*ast.File
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		info := &types.Info{Selections: map[*ast.SelectorExpr]*types.Selection{}, Uses: map[*ast.Ident]types.Object{}}
		conf := types.Config{Importer: imp, Error: func(error) {}}
		checked, _ := conf.Check(p.ImportPath, fset, files, info)
		keys := payloadKeys(t, checked, imp)
		lhs := map[ast.Expr]bool{}
		for _, f := range files {
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.AssignStmt:
					for _, l := range n.Lhs {
						lhs[l] = true
					}
				case *ast.CompositeLit:
					for _, el := range n.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok {
							if id, ok := kv.Key.(*ast.Ident); ok {
								if key, ok := keys[info.Uses[id]]; ok {
									mark(key, true)
								}
							}
						}
					}
				}
				return true
			})
		}
		for sel, s := range info.Selections {
			if key, ok := keys[s.Obj()]; ok && s.Kind() == types.FieldVal {
				mark(key, lhs[sel])
			}
		}
	}
	for _, rel := range writers {
		check(rel, func(key string, write bool) {
			if write {
				written[key] = true
			}
		})
	}
	for _, rel := range readers {
		check(rel, func(key string, write bool) {
			if !write {
				read[key] = true
			}
		})
	}
	for _, key := range allKeys() {
		if !written[key] {
			t.Errorf("%s: no writer sets it, yet it is part of the payload (drop it, or write it)", key)
		}
		if !read[key] {
			t.Errorf("%s: written, and no reader uses it (render it, or stop writing it)", key)
		}
	}
}

// TestRecordedJournalsHoldEveryKind reads every recorded drill: each event
// decodes to its typed payload, and together they hold every kind the
// engine emits.
func TestRecordedJournalsHoldEveryKind(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(recordedDir, "*"+journal.Ext))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded journals: %v", err)
	}
	seen := map[string]bool{}
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, frag := range []string{recordToken, "fo1_", "FlyV1", "Bearer "} {
			if bytes.Contains(raw, []byte(frag)) {
				t.Errorf("%s holds a token fragment %q", path, frag)
			}
		}
		log, err := journal.ReadFrom(bytes.NewReader(raw))
		if err != nil || log.Torn {
			t.Fatalf("%s: %v (torn %v)", path, err, log.Torn)
		}
		for _, e := range log.Events {
			if _, unknown := e.Data.(journal.Unknown); unknown || e.Data == nil {
				t.Errorf("%s seq %d: %s has no typed payload", path, e.Seq, e.Kind)
				continue
			}
			seen[e.Kind] = true
		}
	}
	for _, p := range journal.Payloads() {
		if !seen[p.Kind()] {
			t.Errorf("no recorded drill holds a %s event: add one to the recorder", p.Kind())
		}
	}
}

// allKeys is every payload key, as kind.key.
func allKeys() []string {
	var out []string
	for _, p := range journal.Payloads() {
		rt := reflect.TypeOf(p)
		for i := range rt.NumField() {
			out = append(out, p.Kind()+"."+jsonKey(rt.Field(i).Tag))
		}
	}
	sort.Strings(out)
	return out
}

func jsonKey(tag reflect.StructTag) string {
	name, _, _ := strings.Cut(tag.Get("json"), ",")
	return name
}

// payloadKeys maps the field objects of journal's payload structs, as the
// package being checked sees them, to kind.key.
func payloadKeys(t *testing.T, checked *types.Package, imp types.Importer) map[types.Object]string {
	var jp *types.Package
	if checked != nil && checked.Path() == module+"/internal/journal" {
		jp = checked
	} else {
		var err error
		if jp, err = imp.Import(module + "/internal/journal"); err != nil {
			t.Fatal(err)
		}
	}
	keys := map[types.Object]string{}
	for _, p := range journal.Payloads() {
		rt := reflect.TypeOf(p)
		obj := jp.Scope().Lookup(rt.Name())
		if obj == nil {
			t.Fatalf("journal.%s not found by the type checker", rt.Name())
		}
		st := obj.Type().Underlying().(*types.Struct)
		for i := range st.NumFields() {
			f, _ := rt.FieldByName(st.Field(i).Name())
			keys[st.Field(i)] = p.Kind() + "." + jsonKey(f.Tag)
		}
	}
	return keys
}

type listed struct {
	ImportPath, Dir, Export string
	GoFiles                 []string
}

// loadForTypes lists the packages with their dependencies' export data,
// so the type checker reads the dependencies compiled and only the named
// packages from source.
func loadForTypes(t *testing.T, rels []string) (*token.FileSet, types.Importer, map[string]listed) {
	t.Helper()
	args := []string{"list", "-export", "-deps", "-json=ImportPath,Dir,Export,GoFiles"}
	for _, rel := range rels {
		args = append(args, module+"/"+rel)
	}
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]listed{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[p.ImportPath] = p
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		return os.Open(pkgs[path].Export)
	})
	return fset, imp, pkgs
}
