// Package audit finds full-scan SQLite operations that a boot script runs at
// every boot with nothing to stop them (post-mortem 2026-05-11, AI-5).
//
// Scripts are parsed with the real shell parser (mvdan.cc/sh, bash dialect,
// then POSIX if bash rejects the file), so comments, log messages and
// strings that merely mention "PRAGMA integrity_check" are never reported.
//
// What counts as an op:
//   - sqlite3 (or sqlite) with integrity_check, quick_check, VACUUM, REINDEX,
//     ANALYZE or .sha3sum in its SQL: arguments after the DB, -cmd values, a
//     here-doc or here-string, or text piped in from echo/printf/cat.
//     SQL comments are ignored.
//   - sha256sum, shasum, sha1sum, sha512sum, b2sum, md5sum, cksum and
//     openssl dgst/sha256 on a DB argument (.db, .sqlite, .sqlite3, .db3, or
//     a variable whose name contains "db"), or fed a DB by cat/pv/dd.
//   - python/perl/ruby/node/php one-liners (-c/-e or a here-doc) whose text
//     has an upper-case SQL keyword or hashlib plus a DB reference.
//   - ops inside $(...), <(...), subshells, blocks, loops and case arms.
//   - ops behind wrappers that run the command after them: exec, command,
//     nice, ionice, timeout, env VAR=x, sudo, gosu, su-exec, setsid,
//     stdbuf, chpst, busybox, xargs, runuser -u, and find's -exec,
//     -execdir, -ok and -okdir (a -size test before them is a size gate).
//   - ops in strings run as code: the arguments of eval, the action of a
//     trap on EXIT (or ERR, DEBUG, RETURN), and the string after -c of
//     sh/bash/dash/ash/zsh/ksh, su and runuser. The string is parsed as
//     shell and audited where the command stands (guarded if it is); a
//     finding points at the outer command and shows the inner one. Command
//     substitutions in the string are audited where they stand, not again;
//     a string that does not parse is skipped.
//
// What counts as "at boot": top-level code, and functions called from it,
// directly, behind a wrapper, through other functions, or through code
// strings as above. A function nobody calls is not reported. A function
// called only from guarded code is guarded. An indirect call whose command
// word is a variable ($fn, "${steps[@]}") runs every value the script
// assigns to that variable literally (fn=check_db, steps=(a b), for fn in
// a b, ${fn:-a}); a variable with no such value (read from the environment
// or computed) is not followed.
//
// Sourced files (Files only; Script reads nothing but its reader): the code
// of `. FILE` or `source FILE` runs where the `.` stands, guarded if it is,
// and the functions it defines can be called from anywhere. FILE may be
// literal, or built from $0 or BASH_SOURCE ($(dirname "$0")/x,
// ${BASH_SOURCE%/*}/x, $(cd "$(dirname …)" && pwd)) directly or through a
// variable assigned so (SCRIPT_DIR). A relative path is looked for from the
// sourcing file's directory, then from the audited file's directory and
// its parents up to the deploy directory, the nearest one holding fly.toml
// (the audited file's directory alone when there is none). An absolute
// path is a path in the image: its trailing components (for
// /app/scripts/db.sh: app/scripts/db.sh, scripts/db.sh, db.sh) are looked
// for in those directories, since the image's /app is usually the deploy
// directory. A file that is not found, not regular or does not parse is
// skipped without a word. Findings in a sourced file point at its own
// file:line and their reason starts with the `.` that read it ("sourced by
// entrypoint.sh:3 (. /app/scripts/db.sh)"). Each file's top level is
// audited once, so files that source themselves or each other end.
//
// What counts as a guard (best effort, either direction of the test):
//   - a size test: -ge/-gt/-lt/-le (or (( > >= < <= ))) where one side is a
//     stat/wc -c/du/ls/find result or a variable named like a size
//     (size, bytes, threshold, limit, min, max); find -size; or a call to
//     a function named like a size check (db_too_big, is_large_db);
//   - an override variable: a name with ENFORCE, SKIP, ALLOW, ENABLE(D),
//     DISABLE(D), FORCE, or the op's own name (BOOT_ENFORCE_INTEGRITY_CHECK);
//   - a trusted-stamp call (trusted_stamp_match).
//
// The op is guarded when such a test is the condition of an enclosing if or
// elif, or of an earlier branch of the same if chain (so the else branch of
// a size check is guarded), a case on an override variable, the left side of
// && or ||, or an early exit (`[ ... ] || return`, `if ...; then exit; fi`)
// earlier in the same list of statements.
package audit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Op names, the same as the runbook's boot_ops names.
const (
	OpIntegrityCheck = "integrity_check"
	OpQuickCheck     = "quick_check"
	OpVacuum         = "vacuum"
	OpReindex        = "reindex"
	OpAnalyze        = "analyze"
	OpSHA256         = "sha256"
)

// Finding is one unguarded full-scan op.
type Finding struct {
	File       string `json:"file"`
	Line       int    `json:"line"`
	Col        int    `json:"col"`
	Op         string `json:"op"`
	Command    string `json:"command"` // the source line, trimmed; "[runs: …]" adds the command a code string runs
	Why        string `json:"why"`
	InFunction string `json:"in_function,omitempty"`
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", f.File, f.Line, f.Col, f.Op, f.Why)
}

// ParseError is a script the shell parser rejects, at the parser's position.
type ParseError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d:%d: cannot parse shell script: %s", e.File, e.Line, e.Col, e.Msg)
}

// maxScript bounds what Script reads: boot scripts are small.
const maxScript = 8 << 20

// Script audits one boot script read from src; name is used in findings.
// It reads nothing else: a `.` or `source` of another file is not followed.
func Script(name string, src io.Reader) ([]Finding, error) {
	found, _, err := script(name, src, false)
	return found, err
}

// Unread is a file a script sources that the audit could not read, so
// its code was not audited: an op in it would go unreported.
type Unread struct {
	File   string `json:"file"` // the script with the `.` or `source`
	Line   int    `json:"line"`
	Source string `json:"source"` // that line
	Why    string `json:"why"`
}

func (u Unread) String() string {
	return fmt.Sprintf("%s:%d: %s: not audited: %s", u.File, u.Line, u.Source, u.Why)
}

// Report is what Audit found in a set of boot scripts.
type Report struct {
	Findings []Finding
	Unread   []Unread
}

// Files is Audit's findings alone.
func Files(paths []string) ([]Finding, error) {
	r, err := Audit(paths)
	return r.Findings, err
}

// Audit audits each file in turn, following the files each one sources,
// and lists the sourced files it could not read. It stops at the first
// file it cannot read or parse and returns what it found so far with that
// error. An op reached from two of the files is reported once.
func Audit(paths []string) (Report, error) {
	var r Report
	seen := map[Finding]bool{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return r, fmt.Errorf("audit: %w", err)
		}
		found, unread, err := script(p, f, true)
		f.Close()
		if err != nil {
			return r, err
		}
		for _, u := range unread {
			if !slices.Contains(r.Unread, u) {
				r.Unread = append(r.Unread, u)
			}
		}
		for _, fd := range found {
			key := Finding{File: filepath.Clean(fd.File), Line: fd.Line, Col: fd.Col, Op: fd.Op}
			if abs, err := filepath.Abs(fd.File); err == nil {
				key.File = abs
			}
			if !seen[key] {
				seen[key] = true
				r.Findings = append(r.Findings, fd)
			}
		}
	}
	return r, nil
}

func script(name string, src io.Reader, follow bool) ([]Finding, []Unread, error) {
	data, err := io.ReadAll(io.LimitReader(src, maxScript+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxScript {
		return nil, nil, fmt.Errorf("read %s: larger than %d MiB, not a boot script", name, maxScript>>20)
	}
	file, err := parse(name, data)
	if err != nil {
		return nil, nil, err
	}
	st := &state{
		funcs: map[string]funcDef{}, visited: map[string]bool{},
		values: map[string][]string{}, aliases: map[string][]string{}, seen: map[codeKey]bool{}, reported: map[Finding]bool{},
		codeBytes: codeBudget + 2*len(data), codeStrings: maxCodeStrings, order: map[string]int{name: 0},
	}
	w := &walker{src: data, state: st, file: &scriptFile{name: name}}
	if follow {
		st.sources = newSources(name, w, file)
	}
	w.run(file)
	slices.SortStableFunc(w.findings, func(a, b Finding) int {
		if a.File != b.File {
			return st.order[a.File] - st.order[b.File]
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
	return w.findings, st.unread, nil
}

func parse(name string, data []byte) (*syntax.File, error) {
	file, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(bytes.NewReader(data), name)
	if err == nil {
		return file, nil
	}
	if f, perr := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(bytes.NewReader(data), name); perr == nil {
		return f, nil
	}
	pe := &ParseError{File: name, Msg: err.Error()}
	var se syntax.ParseError
	var le syntax.LangError
	switch {
	case errors.As(err, &se):
		pe.Line, pe.Col, pe.Msg = int(se.Pos.Line()), int(se.Pos.Col()), se.Text
	case errors.As(err, &le):
		pe.Line, pe.Col, pe.Msg = int(le.Pos.Line()), int(le.Pos.Col()), le.Feature+" is not supported"
	}
	return nil, pe
}

// ctx is what the walker knows about the code around a statement.
type ctx struct {
	guarded bool
	fn      string // enclosing function, "" at top level
}

// input is what a pipeline feeds a command's stdin.
type input struct {
	text     string // the producer's literal text (echo/printf/cat args, here-docs)
	readsDB  bool   // the producer reads a DB file (cat "$DB_PATH" | sha256sum)
	hasInput bool
}

// walker audits one piece of shell text: the script, or a string in it that
// runs as code.
type walker struct {
	*state
	file  *scriptFile
	src   []byte  // the text that node positions refer to
	from  *origin // where that text runs in the script; nil for the script itself
	depth int     // how many code strings deep
}

// state is shared by the script's walker and those of its code strings.
type state struct {
	funcs       map[string]funcDef
	visited     map[string]bool // functions already walked as reachable unguarded
	queue       []string
	findings    []Finding
	values      map[string][]string // literal values assigned to each variable
	aliases     map[string][]string // variables assigned from another: a=$b
	seen        map[codeKey]bool    // code strings already audited
	reported    map[Finding]bool    // findings from code strings
	codeBytes   int                 // bytes of code strings still to be parsed
	codeStrings int                 // code strings still to be parsed
	order       map[string]int      // files in the order they were read, to sort findings
	sources     *sources            // nil when sourced files are not followed
	unread      []Unread            // sourced files that could not be audited
}

// scriptFile is a file the walkers read: the audited script or one it sources.
type scriptFile struct {
	name      string // as shown in findings
	sourcedBy string // "sourced by entrypoint.sh:3 (. lib.sh)"; "" for the audited script
}

type funcDef struct {
	decl *syntax.FuncDecl
	w    *walker // the walker of the text it is defined in
}

// origin is the command in the script that runs a code string.
type origin struct {
	pos  syntax.Pos
	line string
	via  string // "eval", "bash -c", "trap on EXIT", "the indirect call $fn (fn=f)"
}

type codeKey struct {
	file *scriptFile
	at   uint
	fn   string
	code string
}

const (
	// Bounds on the work of code strings, which variables holding code can
	// multiply: a real boot script has a handful.
	maxDepth       = 4        // eval "sh -c '…'" and so on; deeper strings are skipped
	codeBudget     = 64 << 10 // bytes parsed beyond twice the script's size
	maxCodeStrings = 512
	maxValues      = 64 // values of one variable followed by an indirect call
)

func (w *walker) run(f *syntax.File) {
	w.collect(f, true)
	w.preload(f)
	w.stmts(f.Stmts, ctx{})
	for len(w.queue) > 0 {
		name := w.queue[0]
		w.queue = w.queue[1:]
		fd := w.funcs[name]
		fd.w.stmt(fd.decl.Body, ctx{fn: name}, input{})
	}
}

// collect records the functions and the literal variable values of f. A
// code string's functions do not replace the script's.
func (w *walker) collect(f *syntax.File, replace bool) {
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.FuncDecl:
			if n.Name == nil {
				break
			}
			if _, ok := w.funcs[n.Name.Value]; replace || !ok {
				w.funcs[n.Name.Value] = funcDef{decl: n, w: w}
			}
		case *syntax.Assign:
			if n.Name == nil {
				break
			}
			if n.Value != nil {
				w.assign(n.Name.Value, n.Value)
				if w.sources != nil && len(w.sources.vars[n.Name.Value]) < maxValues {
					w.sources.vars[n.Name.Value] = append(w.sources.vars[n.Name.Value], pathDef{w: w, word: n.Value})
				}
			}
			if n.Array != nil {
				for _, e := range n.Array.Elems {
					if e.Value != nil {
						w.assign(n.Name.Value, e.Value)
					}
				}
			}
		case *syntax.ForClause:
			if it, ok := n.Loop.(*syntax.WordIter); ok && it.Name != nil {
				for _, item := range it.Items {
					w.assign(it.Name.Value, item)
				}
			}
		}
		return true
	})
}

func (w *walker) assign(name string, value *syntax.Word) {
	if pe := paramWord(value); pe != nil {
		w.aliases[name] = append(w.aliases[name], pe.Param.Value)
		if d := paramDefault(pe); d != nil {
			w.values[name] = append(w.values[name], w.code(d))
		}
		return
	}
	w.values[name] = append(w.values[name], w.code(value))
}

func (w *walker) stmts(list []*syntax.Stmt, c ctx) {
	for _, s := range list {
		w.stmt(s, c, input{})
		if !c.guarded && earlyExitGuard(s) {
			c.guarded = true
		}
	}
}

func (w *walker) stmt(s *syntax.Stmt, c ctx, in input) {
	if s == nil || s.Cmd == nil {
		return
	}
	switch cmd := s.Cmd.(type) {
	case *syntax.FuncDecl:
		// Walked only if called.
	case *syntax.CallExpr:
		w.call(s, cmd, c, in)
		w.nested(cmd, c)
	case *syntax.IfClause:
		seen := c.guarded
		for cl := cmd; cl != nil; cl = cl.Else {
			w.stmts(cl.Cond, ctx{guarded: seen, fn: c.fn})
			seen = seen || guardCond(cl.Cond)
			w.stmts(cl.Then, ctx{guarded: seen, fn: c.fn})
		}
	case *syntax.BinaryCmd:
		switch cmd.Op {
		case syntax.Pipe, syntax.PipeAll:
			w.stmt(cmd.X, c, in)
			w.stmt(cmd.Y, c, output(cmd.X, w.src))
		default: // && and ||: the right side runs only as the left side decides
			w.stmt(cmd.X, c, in)
			w.stmt(cmd.Y, ctx{guarded: c.guarded || guardCond([]*syntax.Stmt{cmd.X}), fn: c.fn}, input{})
		}
	case *syntax.Block:
		w.stmts(cmd.Stmts, c)
	case *syntax.Subshell:
		w.stmts(cmd.Stmts, c)
	case *syntax.WhileClause:
		w.stmts(cmd.Cond, c)
		w.stmts(cmd.Do, c)
	case *syntax.ForClause:
		w.nested(cmd.Loop, c)
		w.stmts(cmd.Do, c)
	case *syntax.CaseClause:
		w.nested(cmd.Word, c)
		g := c.guarded || overrideWord(cmd.Word)
		for _, it := range cmd.Items {
			w.stmts(it.Stmts, ctx{guarded: g, fn: c.fn})
		}
	default:
		w.nested(cmd, c)
	}
	for _, r := range s.Redirs {
		if r.Word != nil {
			w.nested(r.Word, c)
		}
	}
}

// nested walks statements inside words and other nodes: $(...), <(...),
// [[ ... ]], declarations, time/coproc bodies.
func (w *walker) nested(n syntax.Node, c ctx) {
	if n == nil {
		return
	}
	syntax.Walk(n, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.CmdSubst:
			w.stmts(n.Stmts, c)
			return false
		case *syntax.ProcSubst:
			w.stmts(n.Stmts, c)
			return false
		case *syntax.Stmt:
			w.stmt(n, c, input{})
			return false
		case *syntax.FuncDecl:
			return false
		}
		return true
	})
}

// wrapper says how a command that runs another one is written: the options
// that take an argument, and the operands before the command.
type wrapper struct {
	optArgs  string   // short options taking an argument (timeout -s SIG)
	longArgs []string // long options taking a separate argument (--signal SIG)
	operands int      // operands before the command: timeout's duration, gosu's user
	assigns  bool     // VAR=value words may come first (env, sudo)
	query    string   // short options that make it run nothing (command -v)
	needs    string   // runs a command only with this option (runuser -u)
}

// wrappers run the command that follows them. A function or an indirect
// call ($fn) behind one is followed as if called directly, though exec,
// timeout or env find only programs: one named like the function usually
// does its work, and a missed scan costs more than a false report.
var wrappers = map[string]wrapper{
	"command": {query: "vV"}, "builtin": {}, "exec": {optArgs: "a"},
	"nice":   {optArgs: "n", longArgs: []string{"--adjustment"}},
	"ionice": {optArgs: "cnpPu", longArgs: []string{"--class", "--classdata", "--pid", "--pgid", "--uid"}},
	"nohup":  {}, "time": {}, "chronic": {}, "setsid": {}, "busybox": {},
	"stdbuf": {optArgs: "ioe", longArgs: []string{"--input", "--output", "--error"}},
	"sudo": {optArgs: "ugCDhprtTU", assigns: true,
		longArgs: []string{"--user", "--group", "--chdir", "--close-from", "--host", "--prompt", "--role", "--type", "--command-timeout", "--other-user"}},
	"doas":         {optArgs: "uC"},
	"env":          {optArgs: "uCS", longArgs: []string{"--unset", "--chdir", "--split-string"}, assigns: true},
	"timeout":      {optArgs: "sk", longArgs: []string{"--signal", "--kill-after"}, operands: 1},
	"su-exec":      {operands: 1},
	"gosu":         {operands: 1},
	"s6-setuidgid": {operands: 1},
	"chpst":        {optArgs: "uUbe/nlLmdopfcrt"},
	"runuser":      {optArgs: "ugGw", longArgs: []string{"--user", "--group", "--supp-group", "--whitelist-environment"}, needs: "u"},
	"xargs": {optArgs: "IndPLsaE",
		longArgs: []string{"--max-args", "--max-procs", "--delimiter", "--max-lines", "--max-chars", "--arg-file"}},
}

// command returns the index and base name of the command a call runs,
// looking past wrappers like `timeout 30`, `gosu app` or `env A=1`. The
// name is "" when the command word is not literal ($fn).
func command(call *syntax.CallExpr) (int, string) {
	if len(call.Args) == 0 {
		return -1, ""
	}
	i := 0
	for {
		name := baseName(call.Args[i])
		wr, ok := wrappers[name]
		if !ok {
			return i, name
		}
		next := wr.command(call.Args, i+1)
		if next < 0 {
			return i, name
		}
		i = next
	}
}

func baseName(word *syntax.Word) string {
	if l := word.Lit(); l != "" {
		return path.Base(l)
	}
	return ""
}

// command returns the index of the command that the wrapper's arguments
// from args[j] run, or -1 when they run none.
func (wr wrapper) command(args []*syntax.Word, j int) int {
	operands, options, needed := wr.operands, true, wr.needs == ""
	for ; j < len(args); j++ {
		l := args[j].Lit()
		switch {
		case options && l == "--":
			options = false
		case options && strings.HasPrefix(l, "--") && len(l) > 2:
			if slices.Contains(wr.longArgs, l) {
				j++
			}
			needed = needed || strings.HasPrefix(l, "--user")
		case options && len(l) > 1 && l[0] == '-':
			if strings.ContainsAny(l[1:], wr.query) {
				return -1
			}
			if takesArg(l, wr.optArgs) {
				j++
			}
			needed = needed || strings.ContainsAny(l[1:], wr.needs)
		case wr.assigns && options && isAssignWord(args[j]):
		case operands > 0:
			operands--
			options = false
		default:
			if !needed {
				return -1
			}
			return j
		}
	}
	return -1
}

// takesArg reports whether the short options l (-u, -Eu) end with one that
// takes the next word as its argument; -n10 carries its own.
func takesArg(l, optArgs string) bool {
	for k := 1; k < len(l); k++ {
		if strings.IndexByte(optArgs, l[k]) >= 0 {
			return k == len(l)-1
		}
	}
	return false
}

// isAssignWord reports a VAR=value word, as env and sudo take.
func isAssignWord(word *syntax.Word) bool {
	if len(word.Parts) == 0 {
		return false
	}
	lit, ok := word.Parts[0].(*syntax.Lit)
	if !ok {
		return false
	}
	name, _, found := strings.Cut(lit.Value, "=")
	return found && isName(name)
}

type toolKind int

const (
	toolNone toolKind = iota
	toolSQLite
	toolHash
	toolScript
	toolShell // sh -c '…'
	toolSu    // su -c '…', runuser -l app -c '…'
	toolEval
	toolTrap
	toolFind   // find … -exec CMD … \;
	toolSource // . FILE, source FILE
)

var tools = map[string]toolKind{
	"sqlite3": toolSQLite, "sqlite": toolSQLite,
	"sha256sum": toolHash, "shasum": toolHash, "sha1sum": toolHash, "sha512sum": toolHash,
	"b2sum": toolHash, "md5sum": toolHash, "cksum": toolHash, "openssl": toolHash,
	"python": toolScript, "python3": toolScript, "python2": toolScript, "perl": toolScript,
	"ruby": toolScript, "node": toolScript, "php": toolScript,
	"sh": toolShell, "bash": toolShell, "dash": toolShell, "ash": toolShell, "zsh": toolShell,
	"ksh": toolShell, "mksh": toolShell, "su": toolSu, "runuser": toolSu,
	"eval": toolEval, "trap": toolTrap, "find": toolFind, ".": toolSource, "source": toolSource,
}

var (
	reSQLComment = regexp.MustCompile(`(?s)--[^\n]*|/\*.*?\*/`)
	sqlOps       = []struct {
		op string
		re *regexp.Regexp
	}{
		{OpIntegrityCheck, regexp.MustCompile(`(?i)\bpragma\s+(?:["\w]+\.)?integrity_check\b`)},
		{OpQuickCheck, regexp.MustCompile(`(?i)\bpragma\s+(?:["\w]+\.)?quick_check\b`)},
		{OpVacuum, regexp.MustCompile(`(?i)\bvacuum\b`)},
		{OpReindex, regexp.MustCompile(`(?i)\breindex\b`)},
		{OpAnalyze, regexp.MustCompile(`(?i)\banalyze\b`)},
		{OpSHA256, regexp.MustCompile(`(?i)(?:^|\s|['"])\.sha3sum\b`)},
	}
	// In a script one-liner only upper-case SQL counts: "analyze" is an
	// ordinary word in code.
	scriptOps = []struct {
		op string
		re *regexp.Regexp
	}{
		{OpIntegrityCheck, regexp.MustCompile(`(?i:pragma)\s+(?:["\w]+\.)?integrity_check\b`)},
		{OpQuickCheck, regexp.MustCompile(`(?i:pragma)\s+(?:["\w]+\.)?quick_check\b`)},
		{OpVacuum, regexp.MustCompile(`\bVACUUM\b`)},
		{OpReindex, regexp.MustCompile(`\bREINDEX\b`)},
		{OpAnalyze, regexp.MustCompile(`\bANALYZE\b`)},
		{OpSHA256, regexp.MustCompile(`\bhashlib\b|Digest::SHA|createHash\(`)},
	}
	reDBRef = regexp.MustCompile(`(?i)\.(?:db|sqlite|sqlite3|db3)\b|\$\{?#?\w*db|sqlite3?\b`)
	reDBArg = regexp.MustCompile(`(?i)\.(?:db|sqlite|sqlite3|db3)\b|\$\{?\w*db`)
)

func (w *walker) call(s *syntax.Stmt, call *syntax.CallExpr, c ctx, in input) {
	i, name := command(call)
	if i < 0 {
		return
	}
	if _, ok := w.funcs[name]; ok {
		if !c.guarded && !w.visited[name] {
			w.visited[name] = true
			w.queue = append(w.queue, name)
		}
		return
	}
	if c.guarded {
		return
	}
	if pe := paramWord(call.Args[i]); pe != nil {
		w.indirect(call.Args[i:], pe, c)
		return
	}
	args := call.Args[i+1:]
	var ops []string
	switch tools[name] {
	case toolSource:
		if len(args) > 0 {
			w.source(call.Args[i], args[0], c)
		}
	case toolFind:
		w.findExec(s, args, c)
	case toolEval:
		codes := make([]string, len(args))
		for j, a := range args {
			codes[j] = w.code(a)
		}
		w.runCode(call.Args[i], "eval", strings.Join(codes, " "), c)
	case toolTrap:
		if action, on := trapAction(args); action != nil {
			w.runCode(call.Args[i], "trap on "+on, w.code(action), c)
		}
	case toolShell:
		if str := shellString(args); str != nil {
			w.runCode(call.Args[i], name+" -c", w.code(str), c)
		}
	case toolSu:
		w.runCode(call.Args[i], name+" -c", w.suCommand(args), c)
	case toolSQLite:
		sql := w.sqliteSQL(args) + w.heredocs(s) + in.text
		ops = match(sqlOps, reSQLComment.ReplaceAllString(sql, " "))
	case toolHash:
		if name == "openssl" && !opensslDigest(args) {
			return
		}
		if reDBArg.MatchString(w.words(args)+w.stdinFile(s)) || (in.readsDB && !hasFileArg(args)) {
			ops = []string{OpSHA256}
		}
	case toolScript:
		text := w.scriptText(args) + w.heredocs(s) + in.text
		if reDBRef.MatchString(text) {
			ops = match(scriptOps, text)
		}
	}
	for _, op := range ops {
		w.report(s, call.Args[i], op, c)
	}
}

func match(ops []struct {
	op string
	re *regexp.Regexp
}, text string) []string {
	var out []string
	for _, o := range ops {
		if o.re.MatchString(text) {
			out = append(out, o.op)
		}
	}
	return out
}

func (w *walker) report(s *syntax.Stmt, at syntax.Node, op string, c ctx) {
	why := "runs at every boot with no size gate or override: a full scan of a multi-GB DB wedges the boot past the health-check grace"
	if c.fn != "" {
		why = fmt.Sprintf("in function %s, called at boot with no size gate or override: a full scan of a multi-GB DB wedges the boot past the health-check grace", c.fn)
	}
	pos := at.Pos()
	f := Finding{
		File: w.file.name, Line: int(pos.Line()), Col: int(pos.Col()), Op: op,
		Command: w.line(pos), Why: why, InFunction: c.fn,
	}
	if w.from != nil {
		// Positions in a code string mean nothing in the script: point at
		// the command that runs the string, and show what it runs.
		inner := f.Command
		f.Line, f.Col, f.Command = int(w.from.pos.Line()), int(w.from.pos.Col()), w.from.line
		if !strings.Contains(f.Command, inner) {
			f.Command = shorten(f.Command+" [runs: "+inner+"]", 240)
		}
		f.Why = "in code run by " + w.from.via + ": " + why
		if w.reported[f] {
			return // one op reached through two code strings reports once
		}
		w.reported[f] = true
	}
	if w.file.sourcedBy != "" {
		f.Why = w.file.sourcedBy + ": " + f.Why
	}
	w.findings = append(w.findings, f)
}

// runCode audits code, a string that the command at runs as shell code, as if
// it stood where that command stands.
func (w *walker) runCode(at syntax.Node, via, code string, c ctx) {
	if w.depth >= maxDepth || strings.TrimSpace(code) == "" || len(code) > w.codeBytes || w.codeStrings == 0 {
		return
	}
	from := &origin{pos: at.Pos(), line: w.line(at.Pos()), via: via}
	if w.from != nil {
		from = &origin{pos: w.from.pos, line: w.from.line, via: w.from.via + ", then " + via}
	}
	key := codeKey{file: w.file, at: from.pos.Offset(), fn: c.fn, code: code}
	if w.seen[key] {
		return
	}
	w.seen[key] = true
	w.codeBytes -= len(code)
	w.codeStrings--
	f, err := parse("", []byte(code))
	if err != nil {
		return // the shell would fail on it too; there is nothing to audit
	}
	inner := &walker{state: w.state, file: w.file, src: []byte(code), from: from, depth: w.depth + 1}
	inner.collect(f, false)
	inner.stmts(f.Stmts, c)
}

// findExec audits the commands of find's -exec, -execdir, -ok and -okdir
// (up to `;` or `+`) as if they stood where find stands; a -size test
// before them is a size gate, as in a condition.
func (w *walker) findExec(s *syntax.Stmt, args []*syntax.Word, c ctx) {
	for j := 0; j < len(args); j++ {
		switch args[j].Lit() {
		case "-size":
			c.guarded = true
		case "-exec", "-execdir", "-ok", "-okdir":
			end := j + 1
			for end < len(args) && w.code(args[end]) != ";" && w.code(args[end]) != "+" {
				end++
			}
			if end > j+1 {
				w.call(s, &syntax.CallExpr{Args: args[j+1 : end]}, c, input{})
			}
			j = end
		}
	}
}

// indirect audits a call whose command word is a variable ($fn "$DB") as
// each literal value assigned to it, followed by the call's arguments.
func (w *walker) indirect(call []*syntax.Word, pe *syntax.ParamExp, c ctx) {
	var rest strings.Builder
	for _, a := range call[1:] {
		rest.WriteByte(' ')
		if hasSubst(a) {
			rest.WriteString(placeholder) // audited where it stands
		} else {
			rest.WriteString(w.text(a))
		}
	}
	values := w.resolve(pe.Param.Value, map[string]bool{})
	if d := paramDefault(pe); d != nil {
		values = append(values, w.code(d))
	}
	slices.Sort(values)
	values = slices.Compact(values)
	for _, v := range values[:min(len(values), maxValues)] {
		via := fmt.Sprintf("the indirect call %s (%s=%s)", shorten(w.text(call[0]), 40), pe.Param.Value, shorten(v, 40))
		w.runCode(call[0], via, v+rest.String(), c)
	}
}

// resolve returns the literal values a variable may hold, following a=$b.
func (s *state) resolve(name string, seen map[string]bool) []string {
	if seen[name] {
		return nil
	}
	seen[name] = true
	out := slices.Clone(s.values[name])
	for _, a := range s.aliases[name] {
		out = append(out, s.resolve(a, seen)...)
	}
	return out
}

// paramWord returns the parameter expansion that is the whole of word ($fn,
// "${fn}", "${steps[@]}", ${fn:-check}), or nil when the word is anything
// else or transforms the value (${fn#x}, ${#fn}, ${!fn}).
func paramWord(word *syntax.Word) *syntax.ParamExp {
	if word == nil || len(word.Parts) != 1 {
		return nil
	}
	part := word.Parts[0]
	if dq, ok := part.(*syntax.DblQuoted); ok && len(dq.Parts) == 1 {
		part = dq.Parts[0]
	}
	pe, ok := part.(*syntax.ParamExp)
	if !ok || pe.Param == nil || !isName(pe.Param.Value) || pe.Excl || pe.Length || pe.Width || pe.IsSet ||
		pe.Flags != nil || pe.NestedParam != nil || len(pe.Modifiers) > 0 || pe.Slice != nil || pe.Repl != nil || pe.Names != 0 {
		return nil
	}
	if pe.Exp != nil && paramDefault(pe) == nil {
		return nil
	}
	return pe
}

// paramDefault returns the word of ${a:-word} or ${a:=word}, or nil.
func paramDefault(pe *syntax.ParamExp) *syntax.Word {
	if pe.Exp == nil {
		return nil
	}
	switch pe.Exp.Op {
	case syntax.DefaultUnset, syntax.DefaultUnsetOrNull, syntax.AssignUnset, syntax.AssignUnsetOrNull:
		return pe.Exp.Word
	}
	return nil
}

// placeholder stands in a code string for a command substitution, whose
// statements are audited where they stand in the script.
const placeholder = "_"

// code returns the text a shell runs when word is handed over as code:
// quotes and escapes removed, parameter expansions kept as written (the
// inner shell sees the same names), command substitutions replaced.
func (w *walker) code(word *syntax.Word) string {
	if word == nil {
		return ""
	}
	var b strings.Builder
	for _, p := range word.Parts {
		w.codePart(&b, p, false)
	}
	return b.String()
}

func (w *walker) codePart(b *strings.Builder, part syntax.WordPart, quoted bool) {
	switch p := part.(type) {
	case *syntax.Lit:
		b.WriteString(unescape(p.Value, quoted))
	case *syntax.SglQuoted:
		if p.Dollar {
			b.WriteString(ansiC(p.Value))
		} else {
			b.WriteString(p.Value)
		}
	case *syntax.DblQuoted:
		for _, q := range p.Parts {
			w.codePart(b, q, true)
		}
	case *syntax.ParamExp:
		if hasSubst(p) {
			b.WriteString(placeholder)
		} else {
			b.WriteString(w.nodeText(p))
		}
	default:
		b.WriteString(placeholder)
	}
}

// unescape removes the backslashes a shell removes: any in plain text,
// only before $ ` " \ and newline inside double quotes.
func unescape(s string, quoted bool) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		next := s[i+1]
		switch {
		case next == '\n':
		case !quoted || strings.IndexByte("$`\"\\", next) >= 0:
			b.WriteByte(next)
		default:
			b.WriteByte('\\')
			b.WriteByte(next)
		}
		i++
	}
	return b.String()
}

// ansiC decodes the common escapes of $'…'; others stay as written.
func ansiC(s string) string {
	return strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\\`, `\`, `\'`, "'", `\"`, `"`).Replace(s)
}

func hasSubst(n syntax.Node) bool {
	found := false
	syntax.Walk(n, func(n syntax.Node) bool {
		switch n.(type) {
		case *syntax.CmdSubst, *syntax.ProcSubst:
			found = true
		}
		return !found
	})
	return found
}

// trapAction returns the action of `trap ACTION SIG…` when one of the
// signals fires during the boot (EXIT, ERR, DEBUG, RETURN; a signal that is
// not literal may be one), and the signals as written.
func trapAction(args []*syntax.Word) (*syntax.Word, string) {
	if len(args) > 0 && args[0].Lit() == "--" {
		args = args[1:]
	}
	if len(args) < 2 {
		return nil, "" // trap -l, trap SIG: nothing is set
	}
	if l := args[0].Lit(); l == "-" || l != "" && strings.Trim(l, "0123456789") == "" {
		return nil, "" // resets the signals
	}
	var names []string
	atBoot := false
	for _, a := range args[1:] {
		l := a.Lit()
		names = append(names, l)
		switch strings.TrimPrefix(strings.ToUpper(l), "SIG") {
		case "", "EXIT", "0", "ERR", "DEBUG", "RETURN":
			atBoot = true
		}
	}
	if !atBoot {
		return nil, "" // TERM, INT, HUP: shutdown, not boot
	}
	return args[0], strings.Join(names, " ")
}

// suCommand returns the command string of `su -c STRING` or `runuser -l
// USER -c STRING` (also -lc, --command STRING, --command=STRING).
func (w *walker) suCommand(args []*syntax.Word) string {
	for j, a := range args {
		l := a.Lit()
		short := len(l) > 1 && l[0] == '-' && l[1] != '-' && strings.HasSuffix(l, "c")
		if (short || l == "--command" || l == "--session-command") && j+1 < len(args) {
			return w.code(args[j+1])
		}
		if code, ok := strings.CutPrefix(w.code(a), "--command="); ok {
			return code
		}
	}
	return ""
}

// shellString returns the command string of `sh [options] -c STRING`.
func shellString(args []*syntax.Word) *syntax.Word {
	sawC := false
	for i := 0; i < len(args); i++ {
		l := args[i].Lit()
		switch {
		case l == "--":
			if sawC && i+1 < len(args) {
				return args[i+1]
			}
			return nil
		case l == "-o" || l == "+o" || l == "-O" || l == "+O" || l == "--rcfile" || l == "--init-file":
			i++ // the option's argument
		case strings.HasPrefix(l, "--"):
		case len(l) > 1 && (l[0] == '-' || l[0] == '+'):
			sawC = sawC || l[0] == '-' && strings.Contains(l[1:], "c")
		default:
			if sawC {
				return args[i]
			}
			return nil // a script file: not audited from here
		}
	}
	return nil
}

// line returns the source line holding pos, trimmed and kept short.
func (w *walker) line(pos syntax.Pos) string {
	off := min(int(pos.Offset()), len(w.src))
	start := bytes.LastIndexByte(w.src[:off], '\n') + 1
	end := bytes.IndexByte(w.src[off:], '\n')
	if end < 0 {
		end = len(w.src)
	} else {
		end += off
	}
	return shorten(strings.TrimSpace(string(w.src[start:end])), 160)
}

func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// text returns the source of n as written.
func (w *walker) text(n *syntax.Word) string {
	if n == nil {
		return ""
	}
	return w.nodeText(n)
}

func (w *walker) nodeText(n syntax.Node) string {
	if !n.Pos().IsValid() || !n.End().IsValid() {
		return ""
	}
	a, b := int(n.Pos().Offset()), int(n.End().Offset())
	if a < 0 || b > len(w.src) || a > b {
		return ""
	}
	return string(w.src[a:b])
}

func (w *walker) words(args []*syntax.Word) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteString(w.text(a))
		b.WriteByte('\n')
	}
	return b.String()
}

// sqliteSQL returns the SQL among sqlite3's arguments: -cmd values and
// everything after the DB file.
func (w *walker) sqliteSQL(args []*syntax.Word) string {
	var b strings.Builder
	sawDB := false
	for i := 0; i < len(args); i++ {
		lit := args[i].Lit()
		switch {
		case lit == "-cmd" || lit == "--cmd":
			if i+1 < len(args) {
				i++
				b.WriteString(w.text(args[i]) + "\n")
			}
		case strings.HasPrefix(lit, "-") && !sawDB:
		case !sawDB:
			sawDB = true
		default:
			b.WriteString(w.text(args[i]) + "\n")
		}
	}
	return b.String()
}

// scriptText returns the program text of an interpreter one-liner.
func (w *walker) scriptText(args []*syntax.Word) string {
	for i, a := range args {
		if l := a.Lit(); (l == "-c" || l == "-e" || l == "-E") && i+1 < len(args) {
			return w.words(args[i+1:])
		}
	}
	return ""
}

// heredocs returns the bodies of a statement's here-docs and here-strings.
func (w *walker) heredocs(s *syntax.Stmt) string {
	var b strings.Builder
	for _, r := range s.Redirs {
		switch r.Op {
		case syntax.Hdoc, syntax.DashHdoc:
			b.WriteString(w.text(r.Hdoc) + "\n")
		case syntax.WordHdoc:
			b.WriteString(w.text(r.Word) + "\n")
		}
	}
	return b.String()
}

// stdinFile returns the file a statement redirects into stdin (< "$DB").
func (w *walker) stdinFile(s *syntax.Stmt) string {
	for _, r := range s.Redirs {
		if r.Op == syntax.RdrIn {
			return w.text(r.Word)
		}
	}
	return ""
}

func hasFileArg(args []*syntax.Word) bool {
	for _, a := range args {
		if l := a.Lit(); l == "" || !strings.HasPrefix(l, "-") {
			if l != "256" && l != "dgst" && l != "sha256" {
				return true
			}
		}
	}
	return false
}

func opensslDigest(args []*syntax.Word) bool {
	if len(args) == 0 {
		return false
	}
	switch args[0].Lit() {
	case "dgst", "sha256", "sha1", "sha512", "md5", "blake2b512":
		return true
	}
	return false
}

// output is what the producer side of a pipeline writes into the next command.
func output(s *syntax.Stmt, src []byte) input {
	if s == nil {
		return input{}
	}
	if b, ok := s.Cmd.(*syntax.BinaryCmd); ok && (b.Op == syntax.Pipe || b.Op == syntax.PipeAll) {
		return output(b.Y, src)
	}
	call, ok := s.Cmd.(*syntax.CallExpr)
	if !ok {
		return input{}
	}
	w := &walker{src: src, state: &state{}}
	i, name := command(call)
	if i < 0 {
		return input{}
	}
	args := w.words(call.Args[i+1:])
	switch name {
	case "echo", "printf", "print":
		return input{text: args, hasInput: true}
	case "cat":
		return input{text: args + w.heredocs(s), readsDB: reDBArg.MatchString(args + w.stdinFile(s)), hasInput: true}
	case "pv", "dd":
		return input{readsDB: reDBArg.MatchString(args + w.stdinFile(s)), hasInput: true}
	}
	return input{}
}

// earlyExitGuard reports whether s ends the script or function unless a
// guard holds: `[ size -lt T ] || return`, `if override; then exit 0; fi`.
func earlyExitGuard(s *syntax.Stmt) bool {
	switch cmd := s.Cmd.(type) {
	case *syntax.BinaryCmd:
		if cmd.Op == syntax.AndStmt || cmd.Op == syntax.OrStmt {
			return exits(cmd.Y) && guardCond([]*syntax.Stmt{cmd.X})
		}
	case *syntax.IfClause:
		return cmd.Else == nil && len(cmd.Then) > 0 && exits(cmd.Then[len(cmd.Then)-1]) && guardCond(cmd.Cond)
	}
	return false
}

func exits(s *syntax.Stmt) bool {
	if s == nil {
		return false
	}
	switch cmd := s.Cmd.(type) {
	case *syntax.CallExpr:
		_, name := command(cmd)
		return name == "exit" || name == "return"
	case *syntax.Block:
		return len(cmd.Stmts) > 0 && exits(cmd.Stmts[len(cmd.Stmts)-1])
	}
	return false
}

var (
	reOverride  = regexp.MustCompile(`(?i)(?:^|_)(?:enforce|skip|allow|allowed|enable|enabled|disable|disabled|force)(?:_|$)|integrity_check|quick_check|vacuum|reindex|analyze`)
	reSizeName  = regexp.MustCompile(`(?i)size|bytes|threshold|limit|(?:^|_)(?:min|max)(?:_|$)|big|large|huge|small`)
	reSizeFunc  = regexp.MustCompile(`(?i)size|too_?big|large|huge|small`)
	reStampName = regexp.MustCompile(`(?i)trusted.*stamp|stamp.*(?:match|ok|valid|trusted)`)
	sizeTools   = map[string]bool{"stat": true, "wc": true, "du": true, "ls": true, "find": true, "numfmt": true}
)

// guardCond reports whether a condition tests a size, an override variable
// or a trusted stamp.
func guardCond(cond []*syntax.Stmt) bool {
	found := false
	for _, s := range cond {
		syntax.Walk(s, func(n syntax.Node) bool {
			if found {
				return false
			}
			switch n := n.(type) {
			case *syntax.ParamExp:
				if n.Param != nil && reOverride.MatchString(n.Param.Value) {
					found = true
				}
			case *syntax.CallExpr:
				found = guardCall(n)
			case *syntax.BinaryTest:
				switch n.Op {
				case syntax.TsGeq, syntax.TsGtr, syntax.TsLss, syntax.TsLeq:
					found = sizeish(n.X) || sizeish(n.Y)
				}
			case *syntax.BinaryArithm:
				switch n.Op {
				case syntax.Geq, syntax.Gtr, syntax.Lss, syntax.Leq:
					found = sizeish(n.X) || sizeish(n.Y)
				}
			}
			return !found
		})
	}
	return found
}

func guardCall(call *syntax.CallExpr) bool {
	_, name := command(call)
	switch {
	case reStampName.MatchString(name):
		return true
	case name == "[" || name == "test":
		for i := 1; i+1 < len(call.Args); i++ {
			switch call.Args[i].Lit() {
			case "-ge", "-gt", "-lt", "-le":
				if sizeish(call.Args[i-1]) || sizeish(call.Args[i+1]) {
					return true
				}
			}
		}
	case name == "find":
		for _, a := range call.Args {
			if a.Lit() == "-size" {
				return true
			}
		}
	case reSizeFunc.MatchString(name) && !tools[name].isTool():
		return true // a size-check function: db_too_big, is_large_db
	}
	return false
}

func (k toolKind) isTool() bool { return k != toolNone }

// sizeish reports whether an operand looks like a size: a size tool's
// output, a size-named variable, or a large number.
func sizeish(n syntax.Node) bool {
	found := false
	syntax.Walk(n, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.ParamExp:
			if n.Param != nil && reSizeName.MatchString(n.Param.Value) {
				found = true
			}
		case *syntax.CallExpr:
			if _, name := command(n); sizeTools[name] {
				found = true
			}
		case *syntax.Lit:
			if len(n.Value) >= 7 && strings.Trim(n.Value, "0123456789") == "" {
				found = true // a threshold like 5000000000
			}
			if reSizeName.MatchString(n.Value) && isName(n.Value) {
				found = true // a bare name in (( size > threshold ))
			}
		}
		return !found
	})
	return found
}

func isName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// overrideWord reports whether a case subject is an override variable.
func overrideWord(w *syntax.Word) bool {
	found := false
	syntax.Walk(w, func(n syntax.Node) bool {
		if p, ok := n.(*syntax.ParamExp); ok && p.Param != nil && reOverride.MatchString(p.Param.Value) {
			found = true
		}
		return !found
	})
	return found
}
