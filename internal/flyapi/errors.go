package flyapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jpops-dev/jpops/internal/redact"
)

// Sentinels for errors.Is.
var (
	// ErrNoToken: no token in the flag, the environment or flyctl's config file.
	ErrNoToken = errors.New("no Fly API token found: set FLY_API_TOKEN (or pass -t) or run `flyctl auth login`")
	// ErrUnauthorized matches an *APIError for 401 or 403.
	ErrUnauthorized = errors.New("the Fly API refused the token")
	// ErrNotFound matches an *APIError for 404.
	ErrNotFound = errors.New("not found on Fly")
)

// IsAuth reports whether err means jpops is not authorised: no token, or a
// 401/403 answer (exit code 3).
func IsAuth(err error) bool {
	return errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrNoToken)
}

// APIError is a non-2xx answer from a Fly API.
type APIError struct {
	Op        string // what jpops was doing: "list machines", "get logs", ...
	App       string
	Machine   string // machine id, for per-machine operations
	Status    int
	Message   string // Fly's "message" or "error", else a body snippet; redacted
	RequestID string // the fly-request-id response header
	Attempts  int    // requests made, retries included
}

func (e *APIError) Error() string {
	var b strings.Builder
	switch e.Status {
	case http.StatusNotFound:
		if e.Machine != "" {
			fmt.Fprintf(&b, "machine %s not found in app %s", e.Machine, e.App)
		} else {
			fmt.Fprintf(&b, "app %s not found: check the app name (-a) or that your token can see it", e.App)
		}
	case http.StatusUnauthorized, http.StatusForbidden:
		fmt.Fprintf(&b, "%s: the Fly API refused the token (%s)", e.op(), e.statusText())
		if e.Message != "" {
			fmt.Fprintf(&b, ": %s", e.Message)
		}
		b.WriteString(": set FLY_API_TOKEN to a token that can see this app, or run `flyctl auth login`")
	default:
		fmt.Fprintf(&b, "%s: Fly API answered %s", e.op(), e.statusText())
		if e.Message != "" {
			fmt.Fprintf(&b, ": %s", e.Message)
		}
		if e.Attempts > 1 {
			fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
		}
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	return b.String()
}

func (e *APIError) op() string { return describeOp(e.Op, e.App, e.Machine) }

func (e *APIError) statusText() string {
	if t := http.StatusText(e.Status); t != "" {
		return fmt.Sprintf("%d %s", e.Status, t)
	}
	return fmt.Sprint(e.Status)
}

// Is makes errors.Is(err, ErrUnauthorized / ErrNotFound) work.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	}
	return false
}

// DecodeError is a 2xx answer whose body is not the JSON expected.
type DecodeError struct {
	Op      string // empty when a decoder is called directly
	API     string // "machines" or "logs"
	Want    string // "machine JSON", "log JSON"
	Snippet string // start of the body, redacted
	Err     error
	// Attempts is the requests made, retries included; 0 when a decoder is
	// called directly.
	Attempts int
	red      *redact.Redactor // the client's, which also knows its token
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op + ": ")
	}
	fmt.Fprintf(&b, "%s API returned a body that is not %s: %v", e.API, e.Want, e.Err)
	if e.Snippet != "" {
		fmt.Fprintf(&b, " (body starts %q)", e.Snippet)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return redactWith(e.red, b.String())
}

func (e *DecodeError) Unwrap() error { return e.Err }

// NetError is a request that got no HTTP answer: connection refused or
// reset, a timeout, a body cut short. Retries were exhausted.
type NetError struct {
	Op       string
	Host     string
	Attempts int
	Err      error
	red      *redact.Redactor
}

func (e *NetError) Error() string {
	return redactWith(e.red, fmt.Sprintf("%s: no answer from %s after %d attempt(s): %v: check the network, or the API base URL (FLY_FLAPS_BASE_URL, FLY_API_BASE_URL)",
		e.Op, e.Host, e.Attempts, e.Err))
}

func (e *NetError) Unwrap() error { return e.Err }

func describeOp(op, app, machine string) string {
	switch {
	case machine != "":
		return fmt.Sprintf("%s %s of app %s", op, machine, app)
	case app != "":
		return fmt.Sprintf("%s of app %s", op, app)
	}
	return op
}

// snippet is the first line-ish of a body, trimmed, for error messages.
func snippet(body []byte, red *redact.Redactor) string {
	const max = 160
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "…"
	}
	return red.String(s)
}

// redactWith masks with red, or with the process-wide redactor when red is nil.
func redactWith(red *redact.Redactor, s string) string {
	if red == nil {
		return redact.String(s)
	}
	return red.String(s)
}
