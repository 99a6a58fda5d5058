// Package redact removes Fly tokens and secret values from text before it
// reaches a screen, a journal, a notification or a file. Redaction is on by
// default everywhere: callers pass text through a Redactor, never around it.
package redact

import (
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Mask replaces whatever was redacted.
const Mask = "[REDACTED]"

// tokenPattern matches the Fly token shapes (fly-platform.md §1.2): macaroons
// (fm1r_, fm1a_, fm2_), user tokens (fo1_), and anything after a FlyV1 or
// Bearer scheme, including comma-joined token lists.
var tokenPattern = regexp.MustCompile(`(?i)\b(?:flyv1|bearer)\s+[A-Za-z0-9_\-+/=.,:]+|\b(?:fm1r|fm1a|fm2|fo1)_[A-Za-z0-9_\-+/=.,:]+`)

// minSecretLen keeps short values ("1", "true") from blanking ordinary text.
const minSecretLen = 6

// Redactor masks token shapes and a set of known secret values.
type Redactor struct {
	secrets []string // longest first, so a secret containing another is masked whole
}

// New returns a Redactor that also masks each of the given secret values.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add registers more secret values.
func (r *Redactor) Add(secrets ...string) {
	for _, s := range secrets {
		s = strings.TrimSpace(s)
		if len(s) < minSecretLen {
			continue
		}
		r.secrets = append(r.secrets, s)
	}
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// With returns a Redactor masking r's secrets and these, leaving r as it
// is: one pass over a line instead of two, and a secret of one set that
// contains a secret of the other is still masked whole.
func (r *Redactor) With(secrets ...string) *Redactor {
	out := &Redactor{}
	if r != nil {
		out.secrets = slices.Clone(r.secrets)
	}
	out.Add(secrets...)
	return out
}

// String returns s with every token and secret value replaced by Mask.
func (r *Redactor) String(s string) string {
	if r != nil {
		for _, sec := range r.secrets {
			if strings.Contains(s, sec) {
				s = strings.ReplaceAll(s, sec, Mask)
			}
		}
	}
	if !mayHoldToken(s) {
		return s
	}
	return tokenPattern.ReplaceAllString(s, Mask)
}

// tokenMarks are what every match of tokenPattern contains, lower-cased.
// Case folding of them is ASCII only: none holds a letter (k, s) that
// (?i) also folds to a non-ASCII rune.
var tokenMarks = []string{"fm1r_", "fm1a_", "fm2_", "fo1_", "flyv1", "bearer"}

// markStart holds the bytes a token mark can begin with, in either case.
var markStart = func() (t [256]bool) {
	for _, m := range tokenMarks {
		t[m[0]], t[m[0]-'a'+'A'] = true, true
	}
	return t
}()

// mayHoldToken is a cheap test that spares most lines the regular
// expression: a flood of build output must not cost a regexp per line.
// It allocates nothing: lower-casing each line first cost more than the
// regexp it spared.
func mayHoldToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !markStart[s[i]] {
			continue
		}
		for _, m := range tokenMarks {
			if hasLowerPrefixFold(s[i:], m) {
				return true
			}
		}
	}
	return false
}

// hasLowerPrefixFold reports whether s begins with the lower-case ASCII
// prefix, ignoring the case of s.
func hasLowerPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// secretName reports whether an environment variable's name says its value is secret.
func secretName(name string) bool {
	n := strings.ToUpper(name)
	for _, w := range []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "PRIVATE_KEY", "ACCESS_KEY", "CREDENTIAL", "AUTH"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// SecretsFromEnv returns the values of environment variables whose names mark
// them secret (FLY_API_TOKEN, TELEGRAM_BOT_TOKEN, DATABASE_PASSWORD, ...).
func SecretsFromEnv(environ []string) []string {
	var out []string
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if ok && secretName(name) && val != "" {
			out = append(out, val)
			// A token may arrive with its scheme; mask the bare value too.
			for _, p := range []string{"FlyV1 ", "Bearer "} {
				if v, found := strings.CutPrefix(val, p); found {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// Default is the process-wide Redactor: token shapes plus the secret values
// of this process's environment.
var Default = New(SecretsFromEnv(os.Environ())...)

// String redacts s with Default.
func String(s string) string { return Default.String(s) }
