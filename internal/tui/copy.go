package tui

import (
	"regexp"
	"strings"
)

// Advice ("next") is data: a command, then a note. The engine writes it as
// "COMMAND   # note", or as prose naming commands in backticks.

// splitNext separates advice into its command and its note.
func splitNext(next string) (command, note string) {
	next = strings.TrimSpace(next)
	if i := strings.Index(next, "#"); i >= 0 && !strings.Contains(next[:i], "`") {
		return strings.TrimSpace(next[:i]), strings.TrimSpace(next[i+1:])
	}
	if strings.Contains(next, "`") {
		return "", next // prose: its commands are in backticks
	}
	return next, ""
}

var backticked = regexp.MustCompile("`([^`]+)`")

// safeToCopy picks from advice the one command that is safe to paste into
// a shell: read-only, or a jpops command with its own gate. Never a deploy,
// never prose, never two commands. "" when there is none.
func safeToCopy(next string) string {
	cmd, _ := splitNext(next)
	candidates := []string{cmd}
	for _, m := range backticked.FindAllStringSubmatch(next, -1) {
		candidates = append(candidates, strings.TrimSpace(m[1]))
	}
	for _, c := range candidates {
		if safeCommand(c) {
			return c
		}
	}
	return ""
}

// jpopsSafe are the jpops commands that read only, or stop at their own gate.
var jpopsSafe = map[string]bool{
	"run": true, "resume": true, "diagnose": true, "smoke": true, "journal": true,
	"postmortem": true, "audit": true, "doctor": true, "scan": true, "drill": true,
}

// flyctlReadOnly are the flyctl commands that change nothing.
var flyctlReadOnly = map[string]bool{"status": true, "releases": true, "logs": true, "image": true, "machine": true, "checks": true}

func safeCommand(c string) bool {
	if c == "" || strings.ContainsAny(c, "`;&|<>$()\n\\") {
		return false
	}
	f := strings.Fields(c)
	if len(f) < 2 {
		return false
	}
	for _, a := range f {
		if a == "--yes" || a == "-y" || a == "--redeploy" || a == "--force" {
			return false // would pass a gate the operator should stand at
		}
	}
	switch f[0] {
	case "jpops":
		return jpopsSafe[f[1]]
	case "flyctl", "fly":
		if f[1] == "machine" || f[1] == "image" {
			return len(f) > 2 && (f[2] == "list" || f[2] == "status" || f[2] == "show")
		}
		return flyctlReadOnly[f[1]]
	}
	return false
}
