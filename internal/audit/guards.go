package audit

import (
	"regexp"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

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
