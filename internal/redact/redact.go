// Package redact removes Fly tokens and secret values from text before it
// reaches a screen, a journal, a notification or a file. Redaction is on by
// default everywhere: callers pass text through a Redactor, never around it.
package redact

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/charmbracelet/x/ansi"
)

// Mask replaces whatever was redacted.
const Mask = "[REDACTED]"

// tokenPattern matches the Fly token shapes (docs/fly-platform.md, "Tokens"): macaroons
// (fm1r_, fm1a_, fm2_), user tokens (fo1_), and anything after a FlyV1 or
// Bearer scheme, including comma-joined token lists. A token body may be
// printed URL-encoded (FlyV1%20fm2_...%2F...%3D) or JSON-escaped (\/), so
// percent escapes and an escaped slash belong to the body, and a percent
// escape (an encoded comma or space) may stand where a word boundary would.
var tokenPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b(?:flyv1|bearer)(?:\s|%20|\+)+` + tokenBody +
		`|(?:\b|%[0-9A-F]{2})(?:fm1r|fm1a|fm2|fo1)_` + tokenBody)
})

const tokenBody = `(?:[A-Za-z0-9_\-+/=.,:]|%[0-9A-F]{2}|\\/)+`

// userinfoPattern matches the user and password of a URL
// (http://user:pass@host): a credential wherever a URL is printed, also
// URL-encoded (https%3A%2F%2Fuser%3Apass%40host) or JSON-escaped
// (https:\/\/user:pass@host). The user part stops at a slash, raw or
// encoded, so a path is never taken for one.
var userinfoPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)((?:\b|%[0-9A-F]{2})[a-z][a-z0-9+.\-]*(?:://|:\\/\\/|(?:%3A|:)%2F%2F))` +
		`(?:[^/\s?#@"'<>\\%]|%(?:[013-9A-F][0-9A-F]|2[0-9A-E]))+?(?:@|%40)`)
})

// mayHoldUserinfo is a cheap test that spares most lines userinfoPattern.
func mayHoldUserinfo(s string) bool {
	if strings.IndexByte(s, '@') < 0 && !strings.Contains(s, "%40") {
		return false
	}
	return strings.Contains(s, "://") || strings.Contains(s, `:\/\/`) ||
		strings.Contains(s, "%2F%2F") || strings.Contains(s, "%2f%2f")
}

// minSecretLen keeps short values ("1", "true") from blanking ordinary text.
const minSecretLen = 6

// Redactor masks token shapes, URL credentials and a set of known secret
// values in each encoding a tool prints them. It is safe for concurrent use,
// Add included.
type Redactor struct {
	mu      sync.Mutex               // serialises Add
	secrets atomic.Pointer[[]string] // longest first, so a secret containing another is masked whole
}

// New returns a Redactor that also masks each of the given secret values.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

func (r *Redactor) list() []string {
	if r == nil {
		return nil
	}
	if p := r.secrets.Load(); p != nil {
		return *p
	}
	return nil
}

// Add registers more secret values, each with the forms it takes when a tool
// prints it URL-encoded or JSON-escaped, and without a FlyV1 or Bearer scheme.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := slices.Clone(r.list())
	seen := make(map[string]bool, len(list))
	for _, s := range list {
		seen[s] = true
	}
	for _, s := range secrets {
		for _, v := range Encodings(s) {
			if len(v) >= minSecretLen && !seen[v] {
				seen[v] = true
				list = append(list, v)
			}
		}
	}
	sort.SliceStable(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	r.secrets.Store(&list)
}

// Encodings returns secret as it may appear in text: itself, without a
// FlyV1 or Bearer scheme, each part of a comma-joined token list, and each
// of those URL-encoded (query and path style, upper- and lower-case hex) and
// JSON-escaped (with and without an escaped slash). Surrounding space is
// dropped; values too short to mask safely are left out by Add.
func Encodings(secret string) []string {
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return nil
	}
	bases := []string{secret}
	bare := secret
	for {
		scheme, rest, ok := strings.Cut(bare, " ")
		if !ok || !(strings.EqualFold(scheme, "FlyV1") || strings.EqualFold(scheme, "Bearer")) {
			break
		}
		bare = strings.TrimSpace(rest)
		bases = append(bases, bare)
	}
	if strings.Contains(bare, ",") {
		for part := range strings.SplitSeq(bare, ",") {
			bases = append(bases, strings.TrimSpace(part))
		}
	}
	var out []string
	for _, b := range bases {
		q, p := url.QueryEscape(b), url.PathEscape(b)
		out = append(out, b, q, p, lowerHex(q), lowerHex(p))
		if j, err := json.Marshal(b); err == nil {
			js := string(j[1 : len(j)-1])
			out = append(out, js, strings.ReplaceAll(js, "/", `\/`))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// lowerHex lower-cases the hex digits of every percent escape in s.
func lowerHex(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			for k := i + 1; k <= i+2; k++ {
				if 'A' <= b[k] && b[k] <= 'F' {
					b[k] += 'a' - 'A'
				}
			}
		}
	}
	return string(b)
}

// With returns a Redactor masking r's secrets and these, leaving r as it
// is: one pass over a line instead of two, and a secret of one set that
// contains a secret of the other is still masked whole.
func (r *Redactor) With(secrets ...string) *Redactor {
	out := &Redactor{}
	list := slices.Clone(r.list())
	out.secrets.Store(&list)
	out.Add(secrets...)
	return out
}

// String returns s with every token, URL credential and secret value
// replaced by Mask. A secret split by terminal escape codes (a coloured
// line) is looked for in the text a terminal would show; when one is found
// there, the line is returned without its escape codes, since its colours
// cannot be kept around a mask that cuts through them.
func (r *Redactor) String(s string) string {
	if strings.IndexByte(s, 0x1b) < 0 {
		return r.plain(s)
	}
	// An escape can hide a token's mark from a terminal yet leave its body
	// in view or in a file: ESC and a space swallow the letter after them,
	// a stray byte that is not UTF-8 (0x98, say) reads as an 8-bit control,
	// an unterminated SOS or OSC string hides the rest of the line on
	// screen but not in the journal. So the line is read first as bare
	// text, colour codes removed and every other escape and stray byte
	// dropped, then as a terminal shows it.
	bare := bareText(strings.ToValidUTF8(s, ""))
	shown := ansi.Strip(s)
	// A token one reading shows whole may be cut in the reading returned
	// (a CSI's final byte swallows its mark's first letter there, or a
	// colour code splits mark and body, so no word boundary or no body
	// follows the mark): whatever any reading shows, token and body, is
	// masked in the line returned.
	if found := tokensIn(bare, shown, colourless(s), s); len(found) > 0 {
		r = r.With(found...)
	}
	if masked := r.plain(bare); masked != bare {
		return masked
	}
	if shown != bare {
		if masked := r.plain(shown); masked != shown {
			return masked
		}
	}
	return r.plain(s)
}

// tokensIn returns each token the readings of a line show, and its body
// without its scheme or mark.
func tokensIn(readings ...string) []string {
	var out []string
	for _, text := range readings {
		if !mayHoldToken(text) {
			continue
		}
		for _, tok := range tokenPattern().FindAllString(text, -1) {
			out = append(out, tokenParts(tok)...)
		}
	}
	return out
}

// tokenParts is a token as matched and its body after each scheme or mark
// it holds (FlyV1 fm2_abc: fm2_abc and abc too).
func tokenParts(tok string) []string {
	out := []string{tok}
	lower := strings.ToLower(tok)
	for _, m := range tokenMarks {
		if i := strings.LastIndex(lower, m); i >= 0 {
			body := strings.TrimLeft(tok[i+len(m):], " +")
			out = append(out, strings.TrimPrefix(body, "%20"))
		}
	}
	return out
}

// colourless is s with only its colour codes (SGR sequences) removed: the
// line as a reader of the file sees it once colours are ignored, every
// other escape left in place.
func colourless(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';' || s[j] == ':') {
				j++
			}
			if j < len(s) && s[j] == 'm' {
				i = j
				continue
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}

// bareText is s with its colour and cursor codes (CSI sequences) removed
// and every other ESC dropped alone, so the text of an OSC, DCS or SOS
// string, which a terminal hides but a file keeps, stands as text too.
func bareText(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != 0x1b {
			b = append(b, s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && s[j] >= 0x20 && s[j] <= 0x3f { // parameters and intermediates
				j++
			}
			if j < len(s) && s[j] >= 0x40 && s[j] <= 0x7e { // the final byte
				i = j
				continue
			}
		}
	}
	return string(b)
}

// plain redacts s as it stands.
func (r *Redactor) plain(s string) string {
	for _, sec := range r.list() {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, Mask)
		}
	}
	if mayHoldUserinfo(s) {
		s = userinfoPattern().ReplaceAllString(s, "${1}"+Mask+"@")
	}
	if !mayHoldToken(s) {
		return s
	}
	return tokenPattern().ReplaceAllString(s, Mask)
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
// of this process's environment, and every secret registered since (a token
// from -t or ~/.fly/config.yml, notifier URLs, URL credentials). Every
// output path redacts with it, so a secret known to one part of jpops is
// masked on all of them.
var Default = New(SecretsFromEnv(os.Environ())...)

// Register adds secret values to Default.
func Register(secrets ...string) { Default.Add(secrets...) }

// RegisterURLCredentials adds the user and password of a URL to Default
// (the smoke URL's http://user:pass@host), also as the Basic header an app
// that echoes its request would print. Text that is not a URL, or a URL
// without credentials, registers nothing.
func RegisterURLCredentials(raw string) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.User == nil {
		return
	}
	pass, _ := u.User.Password()
	plain := u.User.Username() + ":" + pass
	Register(u.User.String(), u.User.Username(), pass, plain,
		base64.StdEncoding.EncodeToString([]byte(plain)))
}

// RegisterSecretURL adds the secret parts of a URL whose path or query is
// the credential (a Slack or webhook URL, a Telegram bot path, a heartbeat
// check ID) to Default: its credentials, its path, each long path segment
// and its query values.
func RegisterSecretURL(raw string) {
	RegisterURLCredentials(raw)
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return
	}
	var secrets []string
	if p := strings.Trim(u.EscapedPath(), "/"); p != "" {
		secrets = append(secrets, p, strings.Trim(u.Path, "/"))
		for seg := range strings.SplitSeq(strings.Trim(u.Path, "/"), "/") {
			if len(seg) >= 16 { // an ID or a key, not a word like "hooks"
				secrets = append(secrets, seg)
			}
		}
	}
	if u.RawQuery != "" {
		secrets = append(secrets, u.RawQuery)
		for _, vs := range u.Query() {
			secrets = append(secrets, vs...)
		}
	}
	Register(secrets...)
}

// String redacts s with Default.
func String(s string) string { return Default.String(s) }
