package audit

import (
	"bytes"
	"fmt"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

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
	values      map[string][]string  // literal values assigned to each variable
	aliases     map[string][]string  // variables assigned from another: a=$b
	assigned    map[string][]wordDef // words assigned to each variable, to expand where it is used
	sizeVars    map[string]bool      // variables assigned a size tool's output: size=$(stat -c %s db)
	numbers     map[string][]string  // constant arithmetic assigned: MAX=$((5 << 30))
	seen        map[codeKey]bool     // code strings already audited
	reported    map[Finding]bool     // findings from code strings
	codeBytes   int                  // bytes of code strings still to be parsed
	expandBytes int                  // bytes of variable expansions still to be made
	expandSteps int                  // steps of variable expansions still to be taken
	codeStrings int                  // code strings still to be parsed
	order       map[string]int       // files in the order they were read, to sort findings
	sources     *sources             // nil when sourced files are not followed
	unread      []Unread             // sourced files that could not be audited
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

func (w *walker) stmts(list []*syntax.Stmt, c ctx) {
	for _, s := range list {
		w.stmt(s, c, input{})
		if !c.guarded && w.earlyExitGuard(s) {
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
		// A branch runs when its condition holds and every earlier one failed.
		earlierFailed := c.guarded
		for cl := cmd; cl != nil; cl = cl.Else {
			w.stmts(cl.Cond, ctx{guarded: earlierFailed, fn: c.fn})
			g := w.condGate(cl.Cond)
			w.stmts(cl.Then, ctx{guarded: earlierFailed || g.ifTrue, fn: c.fn})
			earlierFailed = earlierFailed || g.ifFalse
		}
	case *syntax.BinaryCmd:
		switch cmd.Op {
		case syntax.Pipe, syntax.PipeAll:
			w.stmt(cmd.X, c, in)
			w.stmt(cmd.Y, c, w.output(cmd.X))
		default: // && and ||: the right side runs only as the left side decides
			w.stmt(cmd.X, c, in)
			g := w.condGate([]*syntax.Stmt{cmd.X})
			guarded := g.ifTrue
			if cmd.Op == syntax.OrStmt {
				guarded = g.ifFalse
			}
			w.stmt(cmd.Y, ctx{guarded: c.guarded || guarded, fn: c.fn}, input{})
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
	switch tools()[name] {
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
		ops = match(sqlOps, reSQLComment.get().ReplaceAllString(sql, " "))
	case toolHash:
		if name == "openssl" && !opensslDigest(args) {
			return
		}
		if reDBArg.get().MatchString(w.words(args)+w.stdinFile(s)) || (in.readsDB && !hasFileArg(args)) {
			ops = []string{OpSHA256}
		}
	case toolScript:
		text := w.scriptText(args) + w.heredocs(s) + in.text
		if reDBRef.get().MatchString(text) {
			ops = match(scriptOps, text)
		}
	}
	for _, op := range ops {
		w.report(s, call.Args[i], op, c)
	}
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

// words returns the text of args as judged, one per line.
func (w *walker) words(args []*syntax.Word) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteString(w.judged(a))
	}
	return b.String()
}

// judged returns the text an op is judged by: the word as written, then
// what it expands to, each on its own line.
func (w *walker) judged(word *syntax.Word) string {
	return w.text(word) + "\n" + w.expanded(word)
}

func isName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}
