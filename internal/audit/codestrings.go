package audit

import (
	"fmt"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

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
