package audit

import (
	"regexp"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"
)

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

// tools is built on first use, not at start-up: most commands never audit.
var tools = sync.OnceValue(func() map[string]toolKind {
	return map[string]toolKind{
		"sqlite3": toolSQLite, "sqlite": toolSQLite,
		"sha256sum": toolHash, "shasum": toolHash, "sha1sum": toolHash, "sha512sum": toolHash,
		"b2sum": toolHash, "md5sum": toolHash, "cksum": toolHash, "openssl": toolHash,
		"python": toolScript, "python3": toolScript, "python2": toolScript, "perl": toolScript,
		"ruby": toolScript, "node": toolScript, "php": toolScript,
		"sh": toolShell, "bash": toolShell, "dash": toolShell, "ash": toolShell, "zsh": toolShell,
		"ksh": toolShell, "mksh": toolShell, "su": toolSu, "runuser": toolSu,
		"eval": toolEval, "trap": toolTrap, "find": toolFind, ".": toolSource, "source": toolSource,
	}
})

var (
	reSQLComment = &lazyRegexp{expr: `(?s)--[^\n]*|/\*.*?\*/`}
	sqlOps       = []struct {
		op string
		re *lazyRegexp
	}{
		{OpIntegrityCheck, &lazyRegexp{expr: `(?i)\bpragma\s+(?:["\w]+\.)?integrity_check\b`}},
		{OpQuickCheck, &lazyRegexp{expr: `(?i)\bpragma\s+(?:["\w]+\.)?quick_check\b`}},
		{OpVacuum, &lazyRegexp{expr: `(?i)\bvacuum\b`}},
		{OpReindex, &lazyRegexp{expr: `(?i)\breindex\b`}},
		{OpAnalyze, &lazyRegexp{expr: `(?i)\banalyze\b`}},
		{OpSHA256, &lazyRegexp{expr: `(?i)(?:^|\s|['"])\.sha3sum\b`}},
	}
	// In a script one-liner only upper-case SQL counts: "analyze" is an
	// ordinary word in code.
	scriptOps = []struct {
		op string
		re *lazyRegexp
	}{
		{OpIntegrityCheck, &lazyRegexp{expr: `(?i:pragma)\s+(?:["\w]+\.)?integrity_check\b`}},
		{OpQuickCheck, &lazyRegexp{expr: `(?i:pragma)\s+(?:["\w]+\.)?quick_check\b`}},
		{OpVacuum, &lazyRegexp{expr: `\bVACUUM\b`}},
		{OpReindex, &lazyRegexp{expr: `\bREINDEX\b`}},
		{OpAnalyze, &lazyRegexp{expr: `\bANALYZE\b`}},
		{OpSHA256, &lazyRegexp{expr: `\bhashlib\b|Digest::SHA|createHash\(`}},
	}
	reDBRef = &lazyRegexp{expr: `(?i)\.(?:db|sqlite|sqlite3|db3)\b|\$\{?#?\w*db|sqlite3?\b`}
	reDBArg = &lazyRegexp{expr: `(?i)\.(?:db|sqlite|sqlite3|db3)\b|\$\{?\w*db`}
)

func match(ops []struct {
	op string
	re *lazyRegexp
}, text string) []string {
	var out []string
	for _, o := range ops {
		if o.re.get().MatchString(text) {
			out = append(out, o.op)
		}
	}
	return out
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
				b.WriteString(w.judged(args[i]))
			}
		case strings.HasPrefix(lit, "-") && !sawDB:
		case !sawDB:
			sawDB = true
		default:
			b.WriteString(w.judged(args[i]))
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
			b.WriteString(w.judged(r.Hdoc))
		case syntax.WordHdoc:
			b.WriteString(w.judged(r.Word))
		}
	}
	return b.String()
}

// stdinFile returns the file a statement redirects into stdin (< "$DB").
func (w *walker) stdinFile(s *syntax.Stmt) string {
	for _, r := range s.Redirs {
		if r.Op == syntax.RdrIn {
			return w.judged(r.Word)
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
func (w *walker) output(s *syntax.Stmt) input {
	if s == nil {
		return input{}
	}
	if b, ok := s.Cmd.(*syntax.BinaryCmd); ok && (b.Op == syntax.Pipe || b.Op == syntax.PipeAll) {
		return w.output(b.Y)
	}
	call, ok := s.Cmd.(*syntax.CallExpr)
	if !ok {
		return input{}
	}
	i, name := command(call)
	if i < 0 {
		return input{}
	}
	args := w.words(call.Args[i+1:])
	switch name {
	case "echo", "printf", "print":
		return input{text: args, hasInput: true}
	case "cat":
		return input{text: args + w.heredocs(s), readsDB: reDBArg.get().MatchString(args + w.stdinFile(s)), hasInput: true}
	case "pv", "dd":
		return input{readsDB: reDBArg.get().MatchString(args + w.stdinFile(s)), hasInput: true}
	}
	return input{}
}

func (k toolKind) isTool() bool { return k != toolNone }

// lazyRegexp compiles expr on first use, not at start-up: most commands
// never audit. It is plain data until then, so declaring one runs no code
// at start-up either.
type lazyRegexp struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

func (l *lazyRegexp) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.expr) })
	return l.re
}
