package audit

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// sources finds and reads the files that an audited script sources.
type sources struct {
	top     *walker            // the audited script: $0
	dirs    []string           // its directory up to the deploy directory
	files   map[string]*loaded // by absolute path; nil when looked for and not read
	present map[string]bool    // regular files looked for, read or not
	lookups int                // files still to look for
	bytes   int                // bytes still to read
	evals   int                // path words still to evaluate
}

// loaded is a sourced file, parsed.
type loaded struct {
	w      *walker
	f      *syntax.File
	walked bool // its top level has been audited where a `.` runs it
}

// pathVal is a path a source word may name.
type pathVal struct {
	p      string
	onDisk bool // derived from $0 or BASH_SOURCE: a path on this machine, not in the image
}

const (
	// Bounds on following sources: a boot script sources a handful of files.
	maxLookups    = 256      // files looked for
	maxSourced    = 32 << 20 // bytes read from sourced files
	maxEvals      = 4096     // source words and variables evaluated
	maxPathDepth  = 8        // variables resolved through variables
	maxPathValues = 16       // paths one source word may name
	maxUp         = 8        // directories searched above the audited file for fly.toml
)

func newSources(name string, w *walker, f *syntax.File) *sources {
	s := &sources{top: w, dirs: deployDirs(filepath.Dir(name)), files: map[string]*loaded{},
		present: map[string]bool{}, lookups: maxLookups, bytes: maxSourced, evals: maxEvals}
	if abs, err := filepath.Abs(name); err == nil {
		s.files[abs] = &loaded{w: w, f: f, walked: true} // sourcing itself runs nothing new
	}
	return s
}

// deployDirs returns dir and its parents up to the deploy directory, the
// nearest one holding fly.toml: an image's /app is usually that directory.
// With no fly.toml above, only dir is searched.
func deployDirs(dir string) []string {
	dirs := []string{dir}
	for d := dir; len(dirs) <= maxUp; {
		if info, err := os.Stat(filepath.Join(d, "fly.toml")); err == nil && info.Mode().IsRegular() {
			return dirs
		}
		parent := filepath.Join(d, "..")
		a, err1 := filepath.Abs(d)
		b, err2 := filepath.Abs(parent)
		if err1 != nil || err2 != nil || a == b {
			break
		}
		d = parent
		dirs = append(dirs, d)
	}
	return dirs[:1]
}

// preload reads the files f sources, wherever the `.` stands, so that the
// functions they define are known before the walk reaches a call to one.
func (w *walker) preload(f *syntax.File) {
	if w.sources == nil {
		return
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		if call, ok := n.(*syntax.CallExpr); ok {
			if i, name := command(call); tools()[name] == toolSource && i+1 < len(call.Args) {
				w.sourced(call.Args[i], call.Args[i+1])
			}
		}
		return true
	})
}

// source audits the top level of the files `. word` reads as if it stood
// where the `.` stands. Each file's top level is audited once: a file
// that sources itself, or two that source each other, end there.
func (w *walker) source(at, word *syntax.Word, c ctx) {
	if w.sources == nil {
		return
	}
	for _, l := range w.sourced(at, word) {
		if l.walked {
			continue
		}
		l.walked = true
		l.w.file.sourcedBy = w.sourcedBy(at)
		l.w.stmts(l.f.Stmts, ctx{fn: c.fn})
	}
}

// sourceLine is the line number and text of the `.` at at in the file,
// or, when at is inside a code string, of the command that runs it.
func (w *walker) sourceLine(at *syntax.Word) (int, string) {
	if w.from != nil {
		return int(w.from.pos.Line()), w.from.line
	}
	return int(at.Pos().Line()), w.line(at.Pos())
}

// sourcedBy says which `.` reads a file, and how that one was reached.
func (w *walker) sourcedBy(at *syntax.Word) string {
	line, text := w.sourceLine(at)
	by := fmt.Sprintf("sourced by %s:%d (%s)", w.file.name, line, shorten(text, 80))
	if w.file.sourcedBy != "" {
		by += ", " + w.file.sourcedBy
	}
	return shorten(by, 400)
}

// sourced returns the files `. word` may read: for each path the word may
// name, the first candidate that exists. A path that names no file is
// skipped: the boot would fail there, or the file is not in the deploy
// directory.
func (w *walker) sourced(at, word *syntax.Word) []*loaded {
	var out []*loaded
	vals := w.evalPath(word, 0)
	if !slices.ContainsFunc(vals, func(v pathVal) bool { return v.p != "" }) {
		w.unreadAt(at, "its path is known only when the script runs")
	}
	for _, v := range vals {
		cands := w.candidates(v)
		found := false
		for _, p := range cands {
			l, exists := w.load(p, at)
			if l != nil && !slices.Contains(out, l) {
				out = append(out, l)
			}
			if exists {
				found = true
				if l == nil {
					w.unreadAt(at, p+" is too large, unreadable or not shell the parser reads")
				}
				break
			}
		}
		if !found && len(cands) > 0 {
			w.unreadAt(at, "not found (looked for "+strings.Join(cands[:min(len(cands), 3)], ", ")+")")
		}
	}
	return out
}

// unreadAt notes that the file the `.` at at reads was not audited.
func (w *walker) unreadAt(at *syntax.Word, why string) {
	line, text := w.sourceLine(at)
	u := Unread{File: w.file.name, Line: line, Source: shorten(text, 120), Why: why}
	if !slices.Contains(w.unread, u) {
		w.unread = append(w.unread, u)
	}
}

// candidates returns where a sourced path may be on this machine, best
// first. A path from $0 or BASH_SOURCE is exact. A relative one is looked
// for from the sourcing file's directory, then from the audited file's
// directory up to the deploy directory. An absolute one is a path in the
// image: its trailing components (scripts/db.sh, then db.sh) are looked
// for in those same directories.
func (w *walker) candidates(v pathVal) []string {
	if v.p == "" {
		return nil
	}
	if v.onDisk {
		return []string{filepath.Clean(v.p)}
	}
	dirs := []string{filepath.Dir(w.file.name)}
	for _, d := range w.sources.dirs {
		if !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	var out []string
	if !strings.HasPrefix(v.p, "/") {
		for _, d := range dirs {
			out = append(out, filepath.Join(d, filepath.FromSlash(v.p)))
		}
		return out
	}
	comps := strings.Split(strings.Trim(path.Clean(v.p), "/"), "/")
	for k := range comps {
		if comps[k] == "" || comps[k] == ".." {
			continue
		}
		for _, d := range dirs {
			out = append(out, filepath.Join(d, filepath.FromSlash(path.Join(comps[k:]...))))
		}
	}
	return out
}

// load reads and parses a sourced file the first time it is asked for.
// exists reports a regular file at p, even one not read (too large,
// unparsable) or already read.
func (w *walker) load(p string, at *syntax.Word) (l *loaded, exists bool) {
	s := w.sources
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, false
	}
	if l, ok := s.files[abs]; ok {
		return l, s.present[abs] || l != nil
	}
	if s.lookups <= 0 {
		return nil, false
	}
	s.lookups--
	s.files[abs] = nil
	info, err := os.Stat(abs)
	if err != nil || !info.Mode().IsRegular() {
		return nil, false // a FIFO or device would block the read
	}
	s.present[abs] = true
	if info.Size() > int64(min(maxScript, s.bytes)) {
		return nil, true
	}
	data, err := readLimited(abs, min(maxScript, s.bytes))
	if err != nil {
		return nil, true
	}
	s.bytes -= len(data)
	name := filepath.Clean(p)
	f, err := parse(name, data)
	if err != nil {
		return nil, true // the shell stops there too; the audited script still runs
	}
	l = &loaded{w: &walker{state: w.state, src: data, file: &scriptFile{name: name, sourcedBy: w.sourcedBy(at)}}, f: f}
	s.files[abs] = l
	if _, ok := w.order[name]; !ok {
		w.order[name] = len(w.order)
	}
	w.codeBytes += 2 * len(data)
	l.w.collect(f, false)
	l.w.preload(f)
	return l, true
}

func readLimited(p string, limit int) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err == nil && len(data) > limit {
		err = fmt.Errorf("%s: larger than %d bytes", p, limit)
	}
	return data, err
}

// evalPath returns the paths a source word may name: literal text, $0 and
// BASH_SOURCE with ${…%/*}, $(dirname …), $(cd … && pwd), $(readlink -f …)
// and variables assigned from those. Anything else names nothing.
func (w *walker) evalPath(word *syntax.Word, depth int) []pathVal {
	s := w.sources
	if word == nil || depth > maxPathDepth || s.evals <= 0 {
		return nil
	}
	s.evals--
	vals := []pathVal{{}}
	for _, part := range word.Parts {
		vals = w.evalPart(vals, part, false, depth)
	}
	return vals
}

func (w *walker) evalPart(vals []pathVal, part syntax.WordPart, quoted bool, depth int) []pathVal {
	var pieces []pathVal
	switch p := part.(type) {
	case *syntax.Lit:
		v := unescape(p.Value, quoted)
		if !quoted && (strings.ContainsAny(v, "*?[") || strings.HasPrefix(v, "~")) {
			return nil // a glob or a home directory: not resolved
		}
		pieces = []pathVal{{p: v}}
	case *syntax.SglQuoted:
		v := p.Value
		if p.Dollar {
			v = ansiC(v)
		}
		pieces = []pathVal{{p: v}}
	case *syntax.DblQuoted:
		for _, q := range p.Parts {
			vals = w.evalPart(vals, q, true, depth)
		}
		return vals
	case *syntax.ParamExp:
		pieces = w.evalParam(p, depth)
	case *syntax.CmdSubst:
		pieces = w.evalSubst(p.Stmts, depth)
	}
	var out []pathVal
	for _, v := range vals {
		for _, x := range pieces {
			if x.onDisk && (v.p != "" || v.onDisk) {
				continue // a directory of this machine only starts a path
			}
			if len(out) == maxPathValues {
				return out
			}
			out = append(out, pathVal{p: v.p + x.p, onDisk: v.onDisk || x.onDisk})
		}
	}
	return out
}

// evalParam evaluates $0, $BASH_SOURCE, ${BASH_SOURCE[0]}, a variable the
// scripts assign, ${VAR:-default}, and ${…%/*} of any of them.
func (w *walker) evalParam(pe *syntax.ParamExp, depth int) []pathVal {
	if pe.Param == nil || pe.Excl || pe.Length || pe.Width || pe.IsSet || pe.Flags != nil || pe.NestedParam != nil ||
		len(pe.Modifiers) > 0 || pe.Slice != nil || pe.Repl != nil || pe.Names != 0 {
		return nil
	}
	name := pe.Param.Value
	var base []pathVal
	switch {
	case name == "0" && pe.Index == nil:
		base = []pathVal{{p: w.sources.top.file.name, onDisk: true}}
	case name == "BASH_SOURCE" && (pe.Index == nil || indexZero(pe.Index)):
		base = []pathVal{{p: w.file.name, onDisk: true}}
	case isName(name) && pe.Index == nil:
		for _, d := range w.assigned[name] {
			base = append(base, d.w.evalPath(d.word, depth+1)...)
		}
	default:
		return nil
	}
	if pe.Exp == nil {
		return base
	}
	if d := paramDefault(pe); d != nil {
		return append(base, w.evalPath(d, depth+1)...)
	}
	if (pe.Exp.Op == syntax.RemSmallSuffix || pe.Exp.Op == syntax.RemLargeSuffix) && pe.Exp.Word != nil && pe.Exp.Word.Lit() == "/*" {
		return dirs(base)
	}
	return nil
}

func indexZero(e syntax.ArithmExpr) bool {
	word, ok := e.(*syntax.Word)
	return ok && word.Lit() == "0"
}

// evalSubst evaluates $(dirname X), $(readlink -f X), $(realpath X) and
// $(cd X && pwd).
func (w *walker) evalSubst(stmts []*syntax.Stmt, depth int) []pathVal {
	var calls []*syntax.CallExpr
	var flat func(s *syntax.Stmt) bool
	flat = func(s *syntax.Stmt) bool {
		switch cmd := s.Cmd.(type) {
		case *syntax.CallExpr:
			if len(cmd.Args) == 0 {
				return false
			}
			calls = append(calls, cmd)
			return true
		case *syntax.BinaryCmd:
			return cmd.Op == syntax.AndStmt && flat(cmd.X) && flat(cmd.Y)
		}
		return false
	}
	for _, s := range stmts {
		if !flat(s) {
			return nil
		}
	}
	last := func(c *syntax.CallExpr) *syntax.Word { return c.Args[len(c.Args)-1] }
	switch {
	case len(calls) == 1 && len(calls[0].Args) > 1:
		switch baseName(calls[0].Args[0]) {
		case "dirname":
			return dirs(w.evalPath(last(calls[0]), depth+1))
		case "readlink", "realpath":
			return w.evalPath(last(calls[0]), depth+1)
		}
	case len(calls) == 2 && len(calls[0].Args) > 1 && baseName(calls[0].Args[0]) == "cd" && baseName(calls[1].Args[0]) == "pwd":
		return w.evalPath(last(calls[0]), depth+1)
	}
	return nil
}

func dirs(vals []pathVal) []pathVal {
	out := make([]pathVal, 0, len(vals))
	for _, v := range vals {
		if v.onDisk {
			v.p = filepath.Dir(v.p)
		} else {
			v.p = path.Dir(v.p)
		}
		out = append(out, v)
	}
	return out
}
