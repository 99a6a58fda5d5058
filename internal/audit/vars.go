package audit

import (
	"slices"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

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
				w.assignWord(n.Name.Value, n.Value)
				w.measureOrNumber(n.Name.Value, n.Value)
			}
			if n.Array != nil {
				for _, e := range n.Array.Elems {
					if e.Value != nil {
						w.assign(n.Name.Value, e.Value)
						w.assignWord(n.Name.Value, e.Value)
					}
				}
			}
		case *syntax.ForClause:
			if it, ok := n.Loop.(*syntax.WordIter); ok && it.Name != nil {
				for _, item := range it.Items {
					w.assign(it.Name.Value, item)
					w.assignWord(it.Name.Value, item)
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

func (w *walker) assignWord(name string, value *syntax.Word) {
	if len(w.assigned[name]) < maxValues {
		w.assigned[name] = append(w.assigned[name], wordDef{w: w, word: value})
	}
}

// measureOrNumber notes a variable assigned a file's size or a constant,
// for reading size gates that compare it.
func (w *walker) measureOrNumber(name string, value *syntax.Word) {
	if v, ok := arithmValue(value); ok {
		w.numbers[name] = append(w.numbers[name], strconv.FormatFloat(v, 'f', -1, 64))
		return
	}
	syntax.Walk(value, func(n syntax.Node) bool {
		if call, ok := n.(*syntax.CallExpr); ok {
			if _, tool := command(call); measureTools(tool) {
				w.sizeVars[name] = true
			}
		}
		return !w.sizeVars[name]
	})
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

const (
	// Bounds on expanding variables into the text an op is judged by.
	maxExpandDepth = 4        // Q="$P $R", P="PRAGMA", …
	maxVariants    = 64       // texts one word may expand to
	maxExpandBytes = 64 << 10 // bytes of those texts
	maxExpandSteps = 4096     // parts and variables looked at
	expandBudget   = 4 << 20  // bytes of expansions for a whole script
	expandSteps    = 1 << 16  // steps of expansions for a whole script
)

// expansion is the work left for expanding one word, and what is known.
type expansion struct {
	bytes, steps int
	memo         map[varDepth][]string
}

type varDepth struct {
	name  string
	depth int
}

// wordDef is a word assigned to a variable, in the text it was assigned
// in, to expand where the variable is used: in the text an op is judged by,
// or in the path a `.` reads (SCRIPT_DIR=$(dirname "$0")).
type wordDef struct {
	w    *walker
	word *syntax.Word
}

// expanded returns, one per line, the texts word may expand to with the
// variables it names replaced by the words the script assigns them
// (Q="PRAGMA integrity_check"; sqlite3 db "$Q"), so that an op spelled
// through a variable is judged as if written in place. A variable
// assigned several values may hold any of them; one the script never
// assigns stays as written. Command substitutions are audited where they
// stand, not here; single quotes expand nothing, as in the shell.
func (w *walker) expanded(word *syntax.Word) string {
	// A $'…' part means what it says only once unquoted ($'\nVACUUM' is a
	// newline, then VACUUM), so such a word is read as its value too.
	if word == nil || w.expandBytes <= 0 || w.expandSteps <= 0 || !(ansiCQuoted(word) || len(w.assigned) > 0 && expands(word)) {
		return ""
	}
	e := &expansion{bytes: min(maxExpandBytes, w.expandBytes), steps: min(maxExpandSteps, w.expandSteps), memo: map[varDepth][]string{}}
	steps := e.steps
	out := strings.Join(w.variants(word.Parts, false, maxExpandDepth, e), "\n") + "\n"
	w.expandBytes -= len(out)
	w.expandSteps -= steps - e.steps
	return out
}

// ansiCQuoted reports whether word holds a $'…' part.
func ansiCQuoted(word *syntax.Word) bool {
	found := false
	syntax.Walk(word, func(n syntax.Node) bool {
		if q, ok := n.(*syntax.SglQuoted); ok && q.Dollar {
			found = true
		}
		return !found
	})
	return found
}

// expands reports whether word holds a parameter expansion outside a
// command substitution.
func expands(word *syntax.Word) bool {
	found := false
	syntax.Walk(word, func(n syntax.Node) bool {
		switch n.(type) {
		case *syntax.CmdSubst, *syntax.ProcSubst:
			return false
		case *syntax.ParamExp:
			found = true
		}
		return !found
	})
	return found
}

// variants returns the texts parts may expand to: every combination of
// the values of the variables in them, up to maxVariants and the budget.
func (w *walker) variants(parts []syntax.WordPart, quoted bool, depth int, e *expansion) []string {
	out := []string{""}
	for _, part := range parts {
		pieces := w.partVariants(part, quoted, depth, e)
		next := make([]string, 0, len(out))
	cross:
		for _, o := range out {
			for _, p := range pieces {
				if len(next) == maxVariants || e.bytes < len(o)+len(p) {
					break cross
				}
				e.bytes -= len(o) + len(p)
				next = append(next, o+p)
			}
		}
		if len(next) == 0 {
			return nil
		}
		out = next
	}
	return out
}

func (w *walker) partVariants(part syntax.WordPart, quoted bool, depth int, e *expansion) []string {
	e.steps--
	switch p := part.(type) {
	case *syntax.Lit:
		return []string{unescape(p.Value, quoted)}
	case *syntax.SglQuoted:
		if p.Dollar {
			return []string{ansiC(p.Value)}
		}
		return []string{p.Value}
	case *syntax.DblQuoted:
		return w.variants(p.Parts, true, depth, e)
	case *syntax.ParamExp:
		if hasSubst(p) {
			return []string{placeholder}
		}
		var out []string
		if p.Param != nil && depth > 0 && e.steps > 0 && !p.Excl && !p.Length && isName(p.Param.Value) {
			out = w.valueVariants(p.Param.Value, depth-1, e)
			if d := paramDefault(p); d != nil {
				out = append(slices.Clone(out), w.variants(d.Parts, quoted, depth-1, e)...)
			}
		}
		if len(out) == 0 {
			out = []string{w.nodeText(p)}
		}
		return out
	}
	return []string{placeholder}
}

// valueVariants returns the texts the words assigned to name expand to.
func (w *walker) valueVariants(name string, depth int, e *expansion) []string {
	key := varDepth{name, depth}
	if out, ok := e.memo[key]; ok {
		return out
	}
	e.memo[key] = nil // a variable met inside its own value stays as written
	var out []string
	for _, d := range w.assigned[name] {
		if len(out) >= maxVariants {
			break
		}
		out = append(out, d.w.variants(d.word.Parts, false, depth, e)...)
	}
	e.memo[key] = out
	return out
}
