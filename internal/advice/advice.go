// Package advice is what jpops tells the operator to do next, as data: one
// shell command (or none) and, apart from it, a note in prose. The engine
// writes it, the journal keeps both halves, and every face shows them apart;
// only the command is ever handed to a clipboard, and only when Paste finds
// it safe to run without reading it twice.
package advice

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"mvdan.cc/sh/v3/syntax"
)

// Advice is the next step: Command is one shell command or empty; Note is
// prose for a person (it may name other commands, which are never copied).
type Advice struct {
	Command string
	Note    string
}

// Cmd builds advice from a command's argv, each argument quoted for a POSIX
// shell where it needs it, and a note.
func Cmd(note string, argv ...string) Advice {
	return Advice{Command: Join(argv...), Note: note}
}

// Noted is advice that is only a note: no command fits.
func Noted(note string) Advice { return Advice{Note: note} }

// Join renders argv as one command line a shell reads back as argv.
func Join(argv ...string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		q, err := syntax.Quote(a, syntax.LangPOSIX)
		if err != nil {
			// Only a NUL or a non-printable byte cannot be quoted for
			// POSIX; such an argument is shown as Go quotes it, and Paste
			// refuses the line.
			q = fmt.Sprintf("%q", a)
		}
		parts[i] = q
	}
	return strings.Join(parts, " ")
}

// IsZero reports whether there is no advice at all.
func (a Advice) IsZero() bool { return a.Command == "" && a.Note == "" }

// String is the advice on one line for a log: the command, then the note
// after " — ". Faces that have room show the two apart instead.
func (a Advice) String() string {
	switch {
	case a.Command == "":
		return a.Note
	case a.Note == "":
		return a.Command
	}
	return a.Command + " — " + a.Note
}

// Map returns the advice with f applied to both halves (redaction, cleaning).
func (a Advice) Map(f func(string) string) Advice {
	return Advice{Command: f(a.Command), Note: f(a.Note)}
}

// Paste returns the command when it is safe to paste into a shell, or an
// error saying, in a few words, why nothing should be copied.
func (a Advice) Paste() (string, error) {
	if a.Command == "" {
		if a.Note != "" {
			return "", errors.New("the next step is a note to read, not a command")
		}
		return "", errors.New("there is no next step here")
	}
	if err := Check(a.Command); err != nil {
		return "", err
	}
	return a.Command, nil
}

// shellSyntax is everything that makes a line more than one plain command
// (a pipe, a list, a substitution, a redirect, an expansion, a comment):
// refused outright, quoted or not, so what is pasted is what is read.
const shellSyntax = "`;&|<>$()\\#*?[]{}~!\n\r"

// Check says whether command is safe to paste: one plain command that reads
// only, or a jpops command that stops at its own gate. Never a deploy, never
// a flag that passes a gate (--yes) or overrides a precondition (--force).
func Check(command string) error {
	if strings.TrimSpace(command) == "" {
		return errors.New("there is no command")
	}
	if i := strings.IndexAny(command, shellSyntax); i >= 0 {
		return fmt.Errorf("the line holds shell syntax (%q), so it is not one plain command", command[i])
	}
	if strings.ContainsFunc(command, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return errors.New("the line holds control or unprintable characters")
	}
	argv, err := words(command)
	if err != nil {
		return err
	}
	for _, a := range argv {
		switch name, _, _ := strings.Cut(a, "="); name {
		case "--yes", "-y":
			return errors.New("it passes a gate with --yes: the operator must stand at the gate")
		case "--force", "-f", "--redeploy":
			return fmt.Errorf("it overrides a safety check with %s", name)
		}
	}
	prog := argv[0]
	if len(argv) < 2 {
		return fmt.Errorf("%s alone is not a step", prog)
	}
	switch prog {
	case "jpops":
		if !jpopsGated[argv[1]] {
			return fmt.Errorf("jpops %s is not a command that reads only or stops at its own gate", argv[1])
		}
		return nil
	case "flyctl", "fly":
		return flyctlReadOnly(argv[1:])
	}
	return fmt.Errorf("%s is not jpops or flyctl, so jpops cannot vouch for it", prog)
}

// jpopsGated are the jpops commands that read only, or stop at a typed gate
// of their own before they change anything.
var jpopsGated = map[string]bool{
	"run": true, "resume": true, "diagnose": true, "smoke": true, "journal": true,
	"postmortem": true, "audit": true, "doctor": true, "scan": true, "drill": true,
}

// flyctlReadOnly accepts the flyctl commands that change nothing; a deploy,
// or anything else, is refused with what to run instead.
func flyctlReadOnly(args []string) error {
	switch args[0] {
	case "status", "releases", "logs", "checks", "version":
		return nil
	case "machine", "machines", "m", "image", "img":
		if len(args) > 1 && (args[1] == "list" || args[1] == "ls" || args[1] == "status" || args[1] == "show") {
			return nil
		}
		return fmt.Errorf("flyctl %s can change machines: only its list, status and show read", strings.Join(args[:min(2, len(args))], " "))
	case "deploy":
		return errors.New("it deploys: jpops run asks at a typed gate first")
	}
	return fmt.Errorf("flyctl %s is not one jpops knows to read only", args[0])
}

// words splits a line into argv the way a POSIX shell would, accepting only
// literal words (plain, or in single or double quotes without expansions).
func words(line string) ([]string, error) {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(line), "")
	if err != nil {
		return nil, fmt.Errorf("the line does not parse as a shell command: %v", err)
	}
	if len(f.Stmts) != 1 {
		return nil, errors.New("the line is not exactly one command")
	}
	st := f.Stmts[0]
	call, ok := st.Cmd.(*syntax.CallExpr)
	if !ok || st.Negated || st.Background || st.Coprocess || len(st.Redirs) > 0 || len(call.Assigns) > 0 || len(call.Args) == 0 {
		return nil, errors.New("the line is not one plain command")
	}
	argv := make([]string, 0, len(call.Args))
	for _, w := range call.Args {
		var b strings.Builder
		for _, p := range w.Parts {
			switch p := p.(type) {
			case *syntax.Lit:
				b.WriteString(p.Value)
			case *syntax.SglQuoted:
				if p.Dollar {
					return nil, errors.New("the line holds a $'' string")
				}
				b.WriteString(p.Value)
			case *syntax.DblQuoted:
				for _, q := range p.Parts {
					l, ok := q.(*syntax.Lit)
					if !ok || p.Dollar {
						return nil, errors.New("the line expands something inside double quotes")
					}
					b.WriteString(l.Value)
				}
			default:
				return nil, errors.New("the line expands something")
			}
		}
		argv = append(argv, b.String())
	}
	return argv, nil
}

// Legacy splits advice as journals before next_note wrote it, in one
// string: "COMMAND   # note", a bare command, or prose naming commands in
// backticks. Prose stays a note: a command is never dug out of a sentence.
func Legacy(s string) Advice {
	s = strings.TrimSpace(s)
	if s == "" {
		return Advice{}
	}
	first, _, _ := strings.Cut(s, " ")
	if strings.Contains(s, "`") || (first != "jpops" && first != "flyctl" && first != "fly") {
		return Advice{Note: s}
	}
	if cmd, note, ok := strings.Cut(s, " #"); ok {
		return Advice{Command: strings.TrimSpace(cmd), Note: strings.TrimSpace(note)}
	}
	return Advice{Command: s}
}
