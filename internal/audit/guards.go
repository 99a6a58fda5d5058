package audit

import (
	"math"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// gate is what a condition proves about the code it decides. A size test
// guards only the branch where the database's size is bounded from above:
// `[ "$size" -lt "$MAX" ]` guards what runs when it holds, `[ "$size" -gt
// 0 ]` only what runs when it fails (an empty database). An override, a
// trusted stamp or a size-check function guards both ways: its polarity
// cannot be read from the script.
type gate struct {
	ifTrue  bool // what runs when the condition holds is guarded
	ifFalse bool // what runs when it fails is guarded
}

var bothWays = gate{ifTrue: true, ifFalse: true}

func (g gate) not() gate { return gate{ifTrue: g.ifFalse, ifFalse: g.ifTrue} }

// and is the gate of `x && y`: it holds when both hold; it fails when x
// fails, or x holds and y fails.
func (g gate) and(h gate) gate {
	return gate{ifTrue: g.ifTrue || h.ifTrue, ifFalse: g.ifFalse && (g.ifTrue || h.ifFalse)}
}

func (g gate) or(h gate) gate { return g.not().and(h.not()).not() }

// earlyExitGuard reports whether s ends the script or function unless a
// guard holds: `[ size -lt T ] || return`, `[ size -gt T ] && exit`,
// `if override; then exit 0; fi`.
func (s *state) earlyExitGuard(st *syntax.Stmt) bool {
	switch cmd := st.Cmd.(type) {
	case *syntax.BinaryCmd:
		switch cmd.Op {
		case syntax.AndStmt: // goes on when the left side fails
			return exits(cmd.Y) && s.condGate([]*syntax.Stmt{cmd.X}).ifFalse
		case syntax.OrStmt: // goes on when the left side holds
			return exits(cmd.Y) && s.condGate([]*syntax.Stmt{cmd.X}).ifTrue
		}
	case *syntax.IfClause:
		return cmd.Else == nil && len(cmd.Then) > 0 && exits(cmd.Then[len(cmd.Then)-1]) && s.condGate(cmd.Cond).ifFalse
	}
	return false
}

func exits(s *syntax.Stmt) bool {
	if s == nil {
		return false
	}
	switch cmd := s.Cmd.(type) {
	case *syntax.CallExpr:
		if len(cmd.Args) > 1 && cmd.Args[0].Lit() == "exec" {
			return true // exec CMD replaces the script; exec >log does not
		}
		_, name := command(cmd)
		return name == "exit" || name == "return"
	case *syntax.Block:
		return len(cmd.Stmts) > 0 && exits(cmd.Stmts[len(cmd.Stmts)-1])
	}
	return false
}

var (
	reOverride = &lazyRegexp{expr: `(?i)(?:^|_)(?:enforce|skip|allow|allowed|enable|enabled|disable|disabled|force)(?:_|$)|integrity_check|quick_check|vacuum|reindex|analyze`}
	// A threshold's name says it bounds something; a measure's says it is a size.
	reThresholdName = &lazyRegexp{expr: `(?i)threshold|limit|(?:^|_)(?:min|max)|(?:min|max)(?:_|$)|big|large|huge|small|ceiling|budget|cutoff|(?:^|_)cap(?:_|$)`}
	reMeasureName   = &lazyRegexp{expr: `(?i)size|bytes`}
	reSizeFunc      = &lazyRegexp{expr: `(?i)size|too_?big|large|huge|small`}
	reStampName     = &lazyRegexp{expr: `(?i)trusted.*stamp|stamp.*(?:match|ok|valid|trusted)`}
	// measureTools print a file's size.
	measureTools = func(name string) bool {
		return name == "stat" || name == "wc" || name == "du" || name == "ls" || name == "find"
	}
)

const (
	// maxThreshold is the largest bound that can still skip a database:
	// a test against more than 1 PiB lets every real database through.
	maxThreshold = 1 << 50
	// minBareThreshold is the smallest literal that makes an operand of
	// unknown meaning a size: `[ "$n" -lt 5000000000 ]` tests a size,
	// `[ "$attempt" -gt 3 ]` does not.
	minBareThreshold = 1_000_000
)

// condGate is the gate of an if, elif, while or && condition.
func (s *state) condGate(cond []*syntax.Stmt) gate {
	if len(cond) == 0 {
		return gate{}
	}
	if symmetricGuard(cond) {
		return bothWays
	}
	return s.stmtGate(cond[len(cond)-1]) // the list's status is its last command's
}

// symmetricGuard reports an override variable, a trusted stamp, a size
// check function or find -size anywhere in the condition.
func symmetricGuard(cond []*syntax.Stmt) bool {
	found := false
	for _, st := range cond {
		syntax.Walk(st, func(n syntax.Node) bool {
			if found {
				return false
			}
			switch n := n.(type) {
			case *syntax.ParamExp:
				found = n.Param != nil && reOverride.get().MatchString(n.Param.Value)
			case *syntax.CallExpr:
				found = symmetricCall(n)
			}
			return !found
		})
	}
	return found
}

func symmetricCall(call *syntax.CallExpr) bool {
	_, name := command(call)
	switch {
	case reStampName.get().MatchString(name):
		return true
	case name == "find":
		for _, a := range call.Args {
			if a.Lit() == "-size" {
				return true
			}
		}
	case reSizeFunc.get().MatchString(name) && !tools()[name].isTool():
		return true // a size-check function: db_too_big, is_large_db
	}
	return false
}

func (s *state) stmtGate(st *syntax.Stmt) gate {
	if st == nil {
		return gate{}
	}
	g := s.cmdGate(st.Cmd)
	if st.Negated {
		g = g.not()
	}
	return g
}

func (s *state) cmdGate(cmd syntax.Command) gate {
	switch cmd := cmd.(type) {
	case *syntax.CallExpr:
		if i, name := command(cmd); name == "[" || name == "test" {
			args := cmd.Args[i+1:]
			if name == "[" && len(args) > 0 && args[len(args)-1].Lit() == "]" {
				args = args[:len(args)-1]
			}
			return s.testArgs(args)
		}
	case *syntax.TestClause:
		return s.testGate(cmd.X)
	case *syntax.ArithmCmd:
		return s.arithmGate(cmd.X)
	case *syntax.BinaryCmd:
		switch cmd.Op {
		case syntax.AndStmt:
			return s.stmtGate(cmd.X).and(s.stmtGate(cmd.Y))
		case syntax.OrStmt:
			return s.stmtGate(cmd.X).or(s.stmtGate(cmd.Y))
		}
	case *syntax.Block:
		return s.condGate(cmd.Stmts)
	case *syntax.Subshell:
		return s.condGate(cmd.Stmts)
	}
	return gate{}
}

// testArgs is the gate of the operands of [ or test: -o binds loosest,
// then -a, then !.
func (s *state) testArgs(args []*syntax.Word) gate {
	for _, op := range []string{"-o", "-a"} {
		for i := len(args) - 1; i > 0; i-- {
			if args[i].Lit() == op {
				l, r := s.testArgs(args[:i]), s.testArgs(args[i+1:])
				if op == "-o" {
					return l.or(r)
				}
				return l.and(r)
			}
		}
	}
	if len(args) > 0 && args[0].Lit() == "!" {
		return s.testArgs(args[1:]).not()
	}
	if len(args) != 3 {
		return gate{}
	}
	switch args[1].Lit() {
	case "-lt", "-le":
		return s.compare(args[0], true, args[2])
	case "-gt", "-ge":
		return s.compare(args[0], false, args[2])
	}
	return gate{}
}

func (s *state) testGate(x syntax.TestExpr) gate {
	switch x := x.(type) {
	case *syntax.BinaryTest:
		switch x.Op {
		case syntax.TsLss, syntax.TsLeq:
			return s.compare(x.X, true, x.Y)
		case syntax.TsGtr, syntax.TsGeq:
			return s.compare(x.X, false, x.Y)
		case syntax.AndTest:
			return s.testGate(x.X).and(s.testGate(x.Y))
		case syntax.OrTest:
			return s.testGate(x.X).or(s.testGate(x.Y))
		}
	case *syntax.UnaryTest:
		if x.Op == syntax.TsNot {
			return s.testGate(x.X).not()
		}
	case *syntax.ParenTest:
		return s.testGate(x.X)
	}
	return gate{}
}

func (s *state) arithmGate(x syntax.ArithmExpr) gate {
	switch x := x.(type) {
	case *syntax.BinaryArithm:
		switch x.Op {
		case syntax.Lss, syntax.Leq:
			return s.compare(x.X, true, x.Y)
		case syntax.Gtr, syntax.Geq:
			return s.compare(x.X, false, x.Y)
		case syntax.AndArit:
			return s.arithmGate(x.X).and(s.arithmGate(x.Y))
		case syntax.OrArit:
			return s.arithmGate(x.X).or(s.arithmGate(x.Y))
		}
	case *syntax.UnaryArithm:
		if x.Op == syntax.Not {
			return s.arithmGate(x.X).not()
		}
	case *syntax.ParenArithm:
		return s.arithmGate(x.X)
	}
	return gate{}
}

// operand is what one side of a comparison is.
type operand struct {
	measure   bool    // a file's size: stat/wc -c/du output, $size, $db_bytes
	threshold bool    // a bound: a number, $MAX_DB_BYTES, $threshold
	value     float64 // the bound when known; -1 when not
}

// compare is the gate of `x < y` (less) or `x > y`. It guards only where a
// measured size is bounded from above by a threshold that can skip a large
// database.
func (s *state) compare(x syntax.Node, less bool, y syntax.Node) gate {
	a, b := s.operand(x), s.operand(y)
	if !a.measure && !b.measure {
		// An operand of unknown meaning is a size when the other is a
		// threshold only a size reaches.
		switch {
		case b.threshold && b.value >= minBareThreshold && !a.threshold:
			a.measure = true
		case a.threshold && a.value >= minBareThreshold && !b.threshold:
			b.measure = true
		}
	}
	measureLeft := a.measure && b.threshold && !b.measure
	measureRight := b.measure && a.threshold && !a.measure
	if measureRight {
		measureLeft, less, b = true, !less, a
	}
	if !measureLeft || b.value > maxThreshold {
		return gate{}
	}
	if less {
		return gate{ifTrue: true} // size < T
	}
	return gate{ifFalse: true} // size > T fails only for size <= T
}

func (s *state) operand(n syntax.Node) operand {
	if word, ok := n.(*syntax.Word); ok {
		if l := unquotedLit(word); l != "" {
			if v, err := strconv.ParseFloat(l, 64); err == nil && strings.Trim(l, "0123456789") == "" {
				return operand{threshold: true, value: v}
			}
			if isName(l) { // a bare name in (( size > threshold ))
				return s.nameOperand(l)
			}
		}
		if pe := paramWord(word); pe != nil && paramDefault(pe) == nil {
			return s.nameOperand(pe.Param.Value)
		}
	}
	if v, ok := arithmValue(n); ok {
		return operand{threshold: true, value: v}
	}
	out := operand{value: -1}
	syntax.Walk(n, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.CallExpr:
			switch _, name := command(n); {
			case measureTools(name):
				out.measure = true
			case name == "numfmt": // numfmt --from=iec 5G
				out.threshold = true
			}
		case *syntax.ParamExp:
			if n.Param != nil {
				o := s.nameOperand(n.Param.Value)
				out.measure = out.measure || o.measure
				out.threshold = out.threshold || o.threshold
			}
		case *syntax.Word:
			if l := n.Lit(); isName(l) {
				o := s.nameOperand(l)
				out.measure = out.measure || o.measure
				out.threshold = out.threshold || o.threshold
			}
		}
		return true
	})
	return out
}

// nameOperand says what a variable is, by its name or what the script
// assigns to it: a size tool's output, or numbers.
func (s *state) nameOperand(name string) operand {
	switch {
	case reThresholdName.get().MatchString(name):
		o := operand{threshold: true, value: -1}
		if v, ok := s.numberValue(name); ok {
			o.value = v
		}
		return o
	case reMeasureName.get().MatchString(name) || s.sizeVars[name]:
		return operand{measure: true, value: -1}
	}
	if v, ok := s.numberValue(name); ok {
		return operand{threshold: true, value: v}
	}
	return operand{value: -1}
}

// numberValue is the smallest number the script assigns to a variable,
// when every value it assigns is a number.
func (s *state) numberValue(name string) (float64, bool) {
	vals := s.resolve(name, map[string]bool{})
	vals = append(vals, s.numbers[name]...)
	if len(vals) == 0 {
		return 0, false
	}
	least := math.Inf(1)
	for _, v := range vals {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || strings.Trim(v, "0123456789") != "" {
			if v == placeholder && len(s.numbers[name]) > 0 {
				continue // the arithmetic expansion recorded in numbers
			}
			return 0, false
		}
		least = min(least, f)
	}
	return least, !math.IsInf(least, 1)
}

// unquotedLit is the literal text of a word made of plain and quoted
// literals, or "".
func unquotedLit(word *syntax.Word) string {
	var b strings.Builder
	for _, p := range word.Parts {
		switch p := p.(type) {
		case *syntax.Lit:
			b.WriteString(p.Value)
		case *syntax.SglQuoted:
			b.WriteString(p.Value)
		case *syntax.DblQuoted:
			for _, q := range p.Parts {
				l, ok := q.(*syntax.Lit)
				if !ok {
					return ""
				}
				b.WriteString(l.Value)
			}
		default:
			return ""
		}
	}
	return b.String()
}

// arithmValue evaluates a constant: 5000000000, $((5 * 1024 ** 3)),
// "$((5<<30))".
func arithmValue(n syntax.Node) (float64, bool) {
	switch n := n.(type) {
	case *syntax.Word:
		if len(n.Parts) == 1 {
			part := n.Parts[0]
			if dq, ok := part.(*syntax.DblQuoted); ok && len(dq.Parts) == 1 {
				part = dq.Parts[0]
			}
			switch p := part.(type) {
			case *syntax.ArithmExp:
				return arithmValue(p.X)
			case *syntax.Lit:
				if strings.Trim(p.Value, "0123456789") == "" {
					v, err := strconv.ParseFloat(p.Value, 64)
					return v, err == nil
				}
			}
		}
	case *syntax.ParenArithm:
		return arithmValue(n.X)
	case *syntax.BinaryArithm:
		x, ok1 := arithmValue(n.X)
		y, ok2 := arithmValue(n.Y)
		if !ok1 || !ok2 {
			return 0, false
		}
		switch n.Op {
		case syntax.Add:
			return x + y, true
		case syntax.Sub:
			return x - y, true
		case syntax.Mul:
			return x * y, true
		case syntax.Quo:
			if y != 0 {
				return math.Trunc(x / y), true
			}
		case syntax.Pow:
			return math.Pow(x, y), true
		case syntax.Shl:
			return x * math.Pow(2, y), true
		}
	}
	return 0, false
}

// overrideWord reports whether a case subject is an override variable.
func overrideWord(w *syntax.Word) bool {
	found := false
	syntax.Walk(w, func(n syntax.Node) bool {
		if p, ok := n.(*syntax.ParamExp); ok && p.Param != nil && reOverride.get().MatchString(p.Param.Value) {
			found = true
		}
		return !found
	})
	return found
}
