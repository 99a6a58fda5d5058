package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/jpops-dev/jpops/internal/redact"
)

// StdoutNotifier writes one human line, or one NDJSON object, per alert.
type StdoutNotifier struct {
	mu   sync.Mutex
	w    io.Writer
	json bool
}

// Stdout returns a notifier that writes alerts to w.
func Stdout(w io.Writer, json bool) *StdoutNotifier { return &StdoutNotifier{w: w, json: json} }

func (s *StdoutNotifier) Name() string { return "stdout" }

func (s *StdoutNotifier) Notify(ctx context.Context, a Alert) error {
	var line []byte
	if s.json {
		b, err := json.Marshal(a.Redacted())
		if err != nil {
			return fmt.Errorf("stdout: encode alert: %w", err)
		}
		line = append(b, '\n')
	} else {
		line = []byte(a.Line() + "\n")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(line); err != nil {
		return fmt.Errorf("stdout: write alert: %w", err)
	}
	return nil
}

// DefaultTelegramAPI is the Bot API base URL.
const DefaultTelegramAPI = "https://api.telegram.org"

// Telegram sends the alert with the Bot API's sendMessage.
type Telegram struct {
	Token   string
	ChatID  string
	BaseURL string       // DefaultTelegramAPI when empty
	Client  *http.Client // http.DefaultClient when nil
}

func (t *Telegram) Name() string { return "telegram" }

func (t *Telegram) Notify(ctx context.Context, a Alert) error {
	base := t.BaseURL
	if base == "" {
		base = DefaultTelegramAPI
	}
	body, _ := json.Marshal(map[string]any{
		"chat_id": t.ChatID, "text": a.Message(), "disable_web_page_preview": true,
	})
	status, resp, err := post(ctx, t.Client, strings.TrimRight(base, "/")+"/bot"+t.Token+"/sendMessage", body)
	if err != nil {
		return fmt.Errorf("telegram: sendMessage: %s", t.scrub(err))
	}
	var r struct {
		OK          bool   `json:"ok"`
		Description string `json:"description"`
	}
	jerr := json.Unmarshal(resp, &r)
	switch {
	case status/100 != 2 || (jerr == nil && !r.OK):
		msg := r.Description
		if msg == "" {
			msg = snippet(resp)
		}
		return httpError(status, "telegram: sendMessage to chat "+t.ChatID+": "+t.scrubString(msg))
	case jerr != nil:
		return fmt.Errorf("telegram: sendMessage: unreadable answer: %s", t.scrubString(snippet(resp)))
	}
	return nil
}

// scrub keeps the bot token, which sits in the URL path, out of errors.
func (t *Telegram) scrub(err error) string { return t.scrubString(err.Error()) }

func (t *Telegram) scrubString(s string) string {
	if t.Token != "" {
		s = strings.ReplaceAll(s, t.Token, redact.Mask)
	}
	return redact.String(s)
}

// Webhook POSTs the alert as JSON.
type Webhook struct {
	URL    string
	Client *http.Client
}

func (w *Webhook) Name() string { return "webhook" }

func (w *Webhook) Notify(ctx context.Context, a Alert) error {
	body, err := json.Marshal(a.Redacted())
	if err != nil {
		return fmt.Errorf("webhook: encode alert: %w", err)
	}
	return postChecked(ctx, w.Client, "webhook", w.URL, body)
}

// Slack posts the alert's message to a Slack incoming webhook.
type Slack struct {
	URL    string
	Client *http.Client
}

func (s *Slack) Name() string { return "slack" }

func (s *Slack) Notify(ctx context.Context, a Alert) error {
	body, _ := json.Marshal(map[string]string{"text": a.Message()})
	return postChecked(ctx, s.Client, "slack", s.URL, body)
}

// postChecked posts and turns a failure or non-2xx answer into an error that
// names only the host: webhook URLs often carry a secret in their path.
func postChecked(ctx context.Context, c *http.Client, name, rawURL string, body []byte) error {
	host := hostOf(rawURL)
	status, resp, err := post(ctx, c, rawURL, body)
	if err != nil {
		return fmt.Errorf("%s %s: %s", name, host, redact.String(strings.ReplaceAll(err.Error(), rawURL, host)))
	}
	if status/100 != 2 {
		return httpError(status, fmt.Sprintf("%s %s: %s", name, host, redact.String(snippet(resp))))
	}
	return nil
}

// post sends a JSON body; its error never carries the URL.
func post(ctx context.Context, c *http.Client, rawURL string, body []byte) (int, []byte, error) {
	if c == nil {
		c = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return 0, nil, errors.New("bad URL; check the --notify value")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "jpops")
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole URL
		}
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, b, nil
}

// PermanentError is a failure that retrying will not fix (a 4xx answer).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

func httpError(status int, msg string) error {
	err := fmt.Errorf("%s (HTTP %d)", msg, status)
	if status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests {
		return &PermanentError{Err: err}
	}
	return err
}

func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "(bad URL)"
	}
	return u.Host
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// DefaultExecTimeout bounds a command notifier that sets no Timeout.
const DefaultExecTimeout = 30 * time.Second

// Exec runs a command through sh -c with the alert in JPOPS_* variables.
type Exec struct {
	Command string
	Timeout time.Duration // DefaultExecTimeout when zero
}

func (e *Exec) Name() string { return "exec" }

func (e *Exec) Notify(ctx context.Context, a Alert) error {
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = DefaultExecTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, "sh", "-c", e.Command)
	cmd.Env = append(os.Environ(), a.env()...)
	// Only a short excerpt is ever shown, so keep only the head of a noisy command.
	out := &headBuffer{max: 4 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	killGroup(cmd)
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded) && time.Since(start) >= timeout:
			err = fmt.Errorf("killed at its %s timeout: %w", timeout, ctx.Err())
		case ctx.Err() != nil:
			// Stopped by the caller (a shutdown, the delivery's own deadline):
			// say when, not the timeout it never reached.
			err = fmt.Errorf("stopped after %s: %w", time.Since(start).Round(100*time.Millisecond), ctx.Err())
		}
		msg := redact.String(snippet(out.Bytes()))
		if msg != "" {
			msg = ": " + msg
		}
		return fmt.Errorf("exec notifier %q: %w%s", redact.String(e.Command), err, msg)
	}
	return nil
}

// headBuffer keeps the first max bytes written and discards the rest, so a
// command's output costs bounded memory however much it prints.
type headBuffer struct {
	bytes.Buffer
	max int
}

func (h *headBuffer) Write(p []byte) (int, error) {
	if room := h.max - h.Len(); room > 0 {
		h.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// Key names a notifier and its target, for the watch state: which pages
// each target has confirmed. It never holds the target itself (a webhook
// URL is a secret), only a digest of it.
func Key(n Notifier) string {
	var target string
	switch n := n.(type) {
	case *Telegram:
		target = n.BaseURL + "\x00" + n.ChatID
	case *Webhook:
		target = n.URL
	case *Slack:
		target = n.URL
	case *Exec:
		target = n.Command
	}
	if target == "" {
		return n.Name()
	}
	sum := sha256.Sum256([]byte(target))
	return n.Name() + "-" + hex.EncodeToString(sum[:6])
}

// Heartbeat pings a dead man's switch (a healthchecks.io check, an Uptime
// Kuma push monitor) after each good round of the watchdog, so a watchdog
// that died pages through the service that stopped hearing from it.
type Heartbeat struct {
	URL    string
	Client *http.Client // http.DefaultClient when nil
}

// Ping sends one GET to the URL and wants a 2xx answer. Its errors name the
// host only: the URL's path or query is the check's secret.
func (h *Heartbeat) Ping(ctx context.Context) error {
	c := h.Client
	if c == nil {
		c = http.DefaultClient
	}
	host := hostOf(h.URL)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.URL, nil)
	if err != nil {
		return errors.New("bad heartbeat URL; check --heartbeat")
	}
	req.Header.Set("User-Agent", "jpops")
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("heartbeat %s: %s", host, redact.String(err.Error()))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("heartbeat %s: HTTP %d: %s", host, resp.StatusCode, redact.String(snippet(b)))
	}
	return nil
}

// ParseHeartbeat checks a --heartbeat URL and registers it as a secret.
func ParseHeartbeat(raw string) (*Heartbeat, error) {
	raw = strings.TrimSpace(raw)
	if err := checkURL("heartbeat", "--heartbeat URL", raw); err != nil {
		return nil, fmt.Errorf("--heartbeat: not an http(s) URL; use the ping URL of a healthchecks.io check or an Uptime Kuma push monitor")
	}
	redact.RegisterSecretURL(raw)
	return &Heartbeat{URL: raw}, nil
}
