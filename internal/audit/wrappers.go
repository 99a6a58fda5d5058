package audit

import (
	"path"
	"slices"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"
)

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
//
// Built on first use, not at start-up: most commands never audit.
var wrappers = sync.OnceValue(func() map[string]wrapper {
	return map[string]wrapper{
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
})

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
		wr, ok := wrappers()[name]
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
