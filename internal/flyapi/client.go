package flyapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jpops-dev/jpops/internal/build"
	"github.com/jpops-dev/jpops/internal/clock"
	"github.com/jpops-dev/jpops/internal/redact"
	"golang.org/x/time/rate"
)

// Client is everything jpops reads from Fly: an app's machines and its
// logs. HTTPClient implements it; flyapitest.Fly fakes it. Consumers declare
// the part they use (phases, watch) rather than take this whole.
type Client interface {
	ListMachines(ctx context.Context, app string) ([]Machine, error)
	LogReader
}

// LogReader reads one page of an app's logs: what a LogIterator needs.
type LogReader interface {
	GetLogs(ctx context.Context, app string, q LogQuery) (LogPage, error)
}

var _ Client = (*HTTPClient)(nil)

// Config configures an HTTPClient. Zero values mean the defaults.
type Config struct {
	MachinesBaseURL string // default https://api.machines.dev; its path is ignored
	LogsBaseURL     string // default https://api.fly.io
	Token           string // with or without a FlyV1/Bearer scheme
	UserAgent       string // default "jpops/<version>"
	HTTPClient      *http.Client
	Timeout         time.Duration // per request, default 15s
	MaxRetries      int           // default DefaultMaxRetries; negative means none
	// Backoff is the wait before retry attempt (0-based) when the server gave
	// no Retry-After. Default: jittered exponential, 100 ms to 5 s.
	Backoff func(attempt int) time.Duration
	// Clock is what the retry waits run on (and what a Retry-After date is
	// read against). Default: the wall clock; a drill gives its simulated
	// one. Per-request timeouts stay on the wall clock: they bound real I/O.
	Clock clock.Clock
	// MaxInFlight bounds each API's requests in flight; the bound adapts
	// down on 429 and back up. Default DefaultMaxInFlight. The default
	// transport keeps as many idle connections per host.
	MaxInFlight int
	// MachinesPerSecond is the most Machines API requests a second, with a
	// burst of two. Default DefaultMachinesPerSecond; negative: no bound.
	MachinesPerSecond float64
	// Learned is where each API's limit on requests in flight starts: what
	// a 429 taught an earlier client of the same host, if recent. Default:
	// a slow start from a few requests.
	Learned []LearnedLimit
	// OnLearn is told each time a 429 teaches the client a lower limit, to
	// keep for a later client (Learned). It runs on the request's
	// goroutine and should not block long.
	OnLearn func(LearnedLimit)
}

// Defaults.
const (
	DefaultTimeout    = 15 * time.Second
	DefaultMaxRetries = 5
	// DefaultMachinesPerSecond is half the Machines API's documented limit of
	// one request a second per action and app (burst 3); jpops's list of
	// machines is one such action.
	DefaultMachinesPerSecond = 0.5
	machinesBurst            = 2
	maxRetryAfter            = 30 * time.Second
	maxBodyBytes             = 32 << 20
)

// HTTPClient talks to the Fly Machines API and logs API over HTTP. It is
// safe for concurrent use.
type HTTPClient struct {
	machinesBase string // scheme://host
	logsBase     string // scheme://host[/path], no trailing slash
	auth         string
	userAgent    string
	hc           *http.Client
	timeout      time.Duration
	maxRetries   int
	backoff      func(int) time.Duration
	clock        clock.Clock
	limits       map[string]*inflight // by op.api
	hosts        map[string]string    // by op.api: the host a LearnedLimit names
	onLearn      func(LearnedLimit)
	machinesRate *rate.Limiter // nil: no bound
	red          *redact.Redactor
}

// New checks cfg and returns a client. It makes no request.
func New(cfg Config) (*HTTPClient, error) {
	auth := AuthHeader(cfg.Token)
	if auth == "" {
		return nil, ErrNoToken
	}
	mb, err := baseURL("machines API", orDefault(cfg.MachinesBaseURL, DefaultMachinesBaseURL), false)
	if err != nil {
		return nil, err
	}
	lb, err := baseURL("logs API", orDefault(cfg.LogsBaseURL, DefaultLogsBaseURL), true)
	if err != nil {
		return nil, err
	}
	c := &HTTPClient{
		machinesBase: mb,
		logsBase:     lb,
		auth:         auth,
		userAgent:    orDefault(cfg.UserAgent, "jpops/"+build.Version),
		hc:           cfg.HTTPClient,
		timeout:      cfg.Timeout,
		maxRetries:   cfg.MaxRetries,
		backoff:      cfg.Backoff,
		clock:        cfg.Clock,
	}
	if c.clock == nil {
		c.clock = clock.Wall
	}
	maxInFlight := cfg.MaxInFlight
	if maxInFlight <= 0 {
		maxInFlight = DefaultMaxInFlight
	}
	if c.hc == nil {
		c.hc = &http.Client{Transport: transport(maxInFlight)}
	}
	c.limits = map[string]*inflight{"machines": newInflight(c.clock, maxInFlight), "logs": newInflight(c.clock, maxInFlight)}
	c.hosts = map[string]string{"machines": hostOf(mb), "logs": hostOf(lb)}
	c.onLearn = cfg.OnLearn
	for _, ll := range cfg.Learned {
		if l := c.limits[ll.API]; l != nil && ll.Host == c.hosts[ll.API] {
			l.startFrom(ll)
		}
	}
	switch perSec := cfg.MachinesPerSecond; {
	case perSec == 0:
		c.machinesRate = rate.NewLimiter(DefaultMachinesPerSecond, machinesBurst)
	case perSec > 0:
		c.machinesRate = rate.NewLimiter(rate.Limit(perSec), machinesBurst)
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.backoff == nil {
		c.backoff = jitteredBackoff
	}
	secrets := append(redact.SecretsFromEnv(os.Environ()), StripScheme(cfg.Token), auth)
	for part := range strings.SplitSeq(StripScheme(cfg.Token), ",") {
		secrets = append(secrets, part)
	}
	c.red = redact.New(secrets...)
	// Every output path redacts with redact.Default: a token without a Fly
	// prefix (from -t or config.yml) is known to it only through this.
	redact.Register(StripScheme(cfg.Token), auth)
	return c, nil
}

// transport reuses connections: as many idle ones per host as requests in
// flight (net/http keeps 2), so a busy diagnose does not open a connection,
// and against the real API a TLS handshake, per request. HTTP/2 is used
// where the server offers it.
func transport(maxInFlight int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = maxInFlight
	t.MaxIdleConns = max(t.MaxIdleConns, 2*maxInFlight) // two hosts
	t.ForceAttemptHTTP2 = true
	return t
}

// hostOf is the host of a URL baseURL returned.
func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	return u.Host
}

// baseURL keeps scheme and host (and the path, if keepPath).
func baseURL(what, raw string, keepPath bool) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%s base URL %q is not an http(s) URL like https://api.machines.dev: fix FLY_FLAPS_BASE_URL or FLY_API_BASE_URL", what, redact.String(raw))
	}
	base := u.Scheme + "://" + u.Host
	if keepPath {
		base += strings.TrimRight(u.EscapedPath(), "/")
	}
	return base, nil
}

// op describes one call, for errors.
type op struct {
	name, app, machine string
	api                string // "machines" or "logs"
}

func (o op) String() string { return describeOp(o.name, o.app, o.machine) }

// ListMachines lists the app's machines (destroyed ones excluded by Fly).
func (c *HTTPClient) ListMachines(ctx context.Context, app string) ([]Machine, error) {
	o := op{name: "list machines", app: app, api: "machines"}
	if err := checkName("app", app); err != nil {
		return nil, err
	}
	var ms []Machine
	err := c.get(ctx, o, c.machinesBase+"/v1/apps/"+url.PathEscape(app)+"/machines", c.timeout, func(body []byte) (err error) {
		ms, err = DecodeMachines(body)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ms, nil
}

// GetLogs fetches one page of the app's logs.
func (c *HTTPClient) GetLogs(ctx context.Context, app string, q LogQuery) (LogPage, error) {
	o := op{name: "get logs", app: app, api: "logs"}
	if err := checkName("app", app); err != nil {
		return LogPage{}, err
	}
	v := url.Values{"next_token": {q.NextToken}}
	if q.Instance != "" {
		v.Set("instance", q.Instance)
	} else if q.Region != "" {
		v.Set("region", q.Region)
	}
	var page LogPage
	err := c.get(ctx, o, c.logsBase+"/api/v1/apps/"+url.PathEscape(app)+"/logs?"+v.Encode(), c.timeout, func(body []byte) (err error) {
		page, err = DecodeLogs(body)
		return err
	})
	if err != nil {
		return LogPage{}, err
	}
	return page, nil
}

func checkName(what, v string) error {
	if strings.TrimSpace(v) == "" {
		if what == "app" {
			return errors.New("no app name: pass -a APP, set FLY_APP, or run where fly.toml names the app")
		}
		return fmt.Errorf("no %s given", what)
	}
	return nil
}

// withOp adds the operation, the attempts and the client's redaction to a
// decode error.
func (c *HTTPClient) withOp(o op, err error, attempts int) error {
	var de *DecodeError
	if errors.As(err, &de) {
		de.Op, de.red, de.Attempts = o.String(), c.red, attempts
		de.Snippet = c.red.String(de.Snippet)
	}
	return err
}

// get makes one GET with retries and hands the 2xx body to decode (nil: the
// body is not needed). A network error, 408, 429 and every 5xx are retried;
// other statuses are answers. A body that does not decode is retried like a 502:
// jpops only reads, so asking again is safe, and a cut or replaced answer
// is usually a passing fault of a proxy on the way.
func (c *HTTPClient) get(ctx context.Context, o op, u string, timeout time.Duration, decode func([]byte) error) (err error) {
	observe, retries := retryObserver(ctx), 0
	if observe != nil {
		defer func() {
			if retries > 0 {
				observe(Retry{Call: o.String(), API: o.api, Attempt: retries + 1, Max: c.maxRetries + 1, Done: true, Err: err})
			}
		}()
	}
	host := u
	if pu, err := url.Parse(u); err == nil {
		host = pu.Host
	}
	limit := c.limits[o.api]
	inLine := limit.placeFor(ctx) // kept across attempts
	for attempt := 1; ; attempt++ {
		slot, err := limit.acquireAt(ctx, inLine)
		if err == nil {
			err = c.waitRate(ctx, o.api)
			if err != nil {
				limit.release(slot, outcomeOther, 0)
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", o, err)
		}
		status, hdr, body, err := c.once(ctx, u, timeout)
		if ctx.Err() != nil {
			limit.release(slot, outcomeOther, 0)
			return fmt.Errorf("%s: %w", o, ctx.Err())
		}
		var limited time.Duration
		again := false // a 429 the limit's cut answers: come back without a backoff
		switch {
		case err != nil || transientStatus(status):
			limit.release(slot, outcomeOther, 0)
		case status == http.StatusTooManyRequests:
			limited = retryAfter(hdr.Get("Retry-After"), c.clock.Now())
			again = limit.release(slot, outcomeLimited, limited)
			if inFlight, at, ok := limit.learned(); ok && c.onLearn != nil {
				c.onLearn(LearnedLimit{API: o.api, Host: c.hosts[o.api], InFlight: inFlight, At: at})
			}
		default:
			limit.release(slot, outcomeOK, 0)
		}
		var failure error
		var wait time.Duration
		switch {
		case err != nil:
			failure = &NetError{Op: o.String(), Host: host, Attempts: attempt, Err: err, red: c.red}
		case status >= 200 && status < 300:
			if decode == nil {
				return nil
			}
			if err := decode(body); err != nil {
				failure = c.withOp(o, err, attempt)
				break
			}
			return nil
		case status == http.StatusTooManyRequests:
			// Retry-After, and a jitter so the requests it turned away
			// do not all come back at once.
			wait = limited
			if wait > 0 {
				wait += rand.N(c.backoff(attempt-1)/2 + 1)
			}
			failure = c.apiError(o, status, hdr, body, attempt)
		case transientStatus(status):
			failure = c.apiError(o, status, hdr, body, attempt)
		default:
			return c.apiError(o, status, hdr, body, attempt)
		}
		if attempt > c.maxRetries {
			return failure
		}
		if again {
			continue
		}
		if wait <= 0 {
			wait = c.backoff(attempt - 1)
		}
		if observe != nil {
			retries++
			observe(Retry{Call: o.String(), API: o.api, Attempt: attempt, Max: c.maxRetries + 1, Wait: wait, Reason: retryReason(failure)})
		}
		if err := c.clock.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s: %w", o, err)
		}
	}
}

// waitRate waits for the Machines API's rate bound, on the client's clock.
func (c *HTTPClient) waitRate(ctx context.Context, api string) error {
	if api != "machines" || c.machinesRate == nil {
		return nil
	}
	now := c.clock.Now()
	r := c.machinesRate.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		if err := c.clock.Sleep(ctx, d); err != nil {
			r.CancelAt(c.clock.Now())
			return err
		}
	}
	return nil
}

// transientStatus is a status worth asking again for a read: 408 and every
// 5xx, as flyctl's IsTransientFlapsError has it (429 is handled apart, for
// its Retry-After). See docs/fly-platform.md, "Retries and rate limits".
func transientStatus(status int) bool {
	return status == http.StatusRequestTimeout || (status >= 500 && status <= 599)
}

// once makes a single request under its own timeout and reads the whole body.
func (c *HTTPClient) once(ctx context.Context, u string, timeout time.Duration) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s", timeout)
		}
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("body not complete within %s", timeout)
		}
		return 0, nil, nil, fmt.Errorf("reading the answer: %w", err)
	}
	if len(body) > maxBodyBytes {
		return 0, nil, nil, fmt.Errorf("answer larger than %d MiB", maxBodyBytes>>20)
	}
	return resp.StatusCode, resp.Header, body, nil
}

func (c *HTTPClient) apiError(o op, status int, hdr http.Header, body []byte, attempts int) *APIError {
	return &APIError{
		Op: o.name, App: o.app, Machine: o.machine,
		Status:    status,
		Message:   c.red.String(errorMessage(body)),
		RequestID: c.red.String(hdr.Get("Fly-Request-Id")),
		Attempts:  attempts,
	}
}

// errorMessage is Fly's "message" (preferred) or "error", else a body snippet.
func errorMessage(body []byte) string {
	var e struct {
		Error   any `json:"error"`
		Message any `json:"message"`
	}
	if jsonObject(body, &e) {
		for _, v := range []any{e.Message, e.Error} {
			if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
				return snippet([]byte(s), nil)
			}
		}
	}
	return snippet(body, nil)
}

// retryAfter reads a Retry-After value (seconds or an HTTP date), capped.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		d = time.Duration(min(max(secs, 0), int(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// Backoff bounds: attempt n waits a random time in [d/2, d] for d =
// backoffBase·2ⁿ capped at backoffCap. With DefaultMaxRetries the waits add
// up to 3.1–6.2 s, which outlasts a short burst of 502/503 from Fly's proxy.
const (
	backoffBase = 200 * time.Millisecond
	backoffCap  = 5 * time.Second
)

// jitteredBackoff is exponential with "equal jitter": the random half keeps
// parallel readers that failed together from retrying together.
func jitteredBackoff(attempt int) time.Duration {
	d := backoffCap
	if attempt < 16 {
		d = min(backoffBase<<attempt, backoffCap)
	}
	return d/2 + rand.N(d/2+1)
}
