package flyapi

import (
	"context"
	"io"
	"strconv"
	"time"
)

// LogEntry is one line of an app's logs.
type LogEntry struct {
	ID        string    `json:"id,omitempty"`
	Timestamp time.Time `json:"timestamp"`
	Message   string    `json:"message"`
	Level     string    `json:"level,omitempty"`
	Instance  string    `json:"instance,omitempty"` // machine id
	Region    string    `json:"region,omitempty"`
	Provider  string    `json:"provider,omitempty"` // meta.event.provider: app, runner, health, proxy, ...
}

// LogPage is one answer of the logs API.
type LogPage struct {
	Entries   []LogEntry `json:"entries"`
	NextToken string     `json:"next_token"` // Unix nanoseconds as a decimal string
}

// LogQuery filters and positions a logs request. An empty NextToken asks for
// the most recent logs; Region is ignored when Instance is set, as in flyctl.
type LogQuery struct {
	Instance  string
	Region    string
	NextToken string
}

// TokenAt is the next_token that asks for logs after t.
func TokenAt(t time.Time) string { return strconv.FormatInt(t.UnixNano(), 10) }

// LogIterator pages forward through an app's logs. It is resumable: after
// Next returns io.EOF (caught up), a later Next continues from the same
// cursor, which is how the watchdog follows logs. Not safe for concurrent use.
type LogIterator struct {
	c     LogReader
	app   string
	q     LogQuery
	token string
	seen  map[string]struct{} // entries already returned under the current token
}

// maxSeen bounds the duplicate filter when a server never advances its token.
const maxSeen = 10000

// NewLogIterator starts at start (a zero start means q.NextToken, and an
// empty one "the most recent logs").
func NewLogIterator(c LogReader, app string, q LogQuery, start time.Time) *LogIterator {
	tok := q.NextToken
	if !start.IsZero() {
		tok = TokenAt(start)
	}
	return &LogIterator{c: c, app: app, q: q, token: tok, seen: map[string]struct{}{}}
}

// Token is the cursor the next request will send.
func (it *LogIterator) Token() string { return it.token }

// Next fetches the next page. It returns io.EOF when there is nothing new
// (an empty page, which leaves the cursor where it was, or only entries
// already returned because the server did not advance its cursor); any other
// error leaves the cursor where it was too.
func (it *LogIterator) Next(ctx context.Context) ([]LogEntry, error) {
	q := it.q
	q.NextToken = it.token
	page, err := it.c.GetLogs(ctx, it.app, q)
	if err != nil {
		return nil, err
	}
	// The cursor moves only on a page with entries, as flyctl's log poller
	// does: an empty page's token can skip lines that land late.
	if len(page.Entries) == 0 {
		return nil, io.EOF
	}
	if page.NextToken != "" && page.NextToken != it.token {
		it.token = page.NextToken
		clear(it.seen)
	}
	if len(it.seen) > maxSeen {
		clear(it.seen)
	}
	fresh := page.Entries[:0:0]
	for _, e := range page.Entries {
		key := e.ID
		if key == "" {
			key = e.Timestamp.Format(time.RFC3339Nano) + "\x00" + e.Instance + "\x00" + e.Message
		}
		if _, dup := it.seen[key]; dup {
			continue
		}
		it.seen[key] = struct{}{}
		fresh = append(fresh, e)
	}
	if len(fresh) == 0 {
		return nil, io.EOF
	}
	return fresh, nil
}
