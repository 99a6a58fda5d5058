package flyapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestDecodeLogsEmptyPages(t *testing.T) {
	tests := []struct {
		name, body string
		next       string
		wantErr    bool
	}{
		{"data null", `{"data":null,"meta":{"next_token":"1778468727000000000"}}`, "1778468727000000000", false},
		{"data empty", `{"data":[],"meta":{"next_token":""}}`, "", false},
		{"data null, no meta", `{"data":null}`, "", false},
		{"no data key", `{"meta":{"next_token":"1"}}`, "", true},
		{"data an object", `{"data":{"id":"x"}}`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := DecodeLogs([]byte(tt.body))
			var de *DecodeError
			switch {
			case tt.wantErr && !errors.As(err, &de):
				t.Fatalf("err = %v, want a *DecodeError", err)
			case !tt.wantErr && err != nil:
				t.Fatalf("err = %v", err)
			case !tt.wantErr && (len(page.Entries) != 0 || page.Entries == nil || page.NextToken != tt.next):
				t.Errorf("page = %+v, want no entries (non-nil) and next_token %q", page, tt.next)
			}
		})
	}
}

// An empty page's token must not move the cursor: lines that land late,
// behind that token, would never be read (flyctl's poller keeps it too).
func TestLogIteratorKeepsCursorOnEmptyPage(t *testing.T) {
	start := time.Date(2026, 5, 11, 3, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	var asked []string
	late := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, r.URL.Query().Get("next_token"))
		if !late {
			io.WriteString(w, `{"data":null,"meta":{"next_token":"`+TokenAt(start.Add(time.Hour))+`"}}`)
			return
		}
		io.WriteString(w, logsBody(TokenAt(start.Add(time.Second)), logLine("late", start.Add(time.Second).Format(time.RFC3339Nano), "a late line")))
	}))
	defer srv.Close()
	c, _ := newClient(t, srv, Config{})
	it := NewLogIterator(c, "autonomath-api", LogQuery{}, start)
	ctx := context.Background()
	if _, err := it.Next(ctx); !errors.Is(err, io.EOF) {
		t.Fatalf("empty page: err = %v, want io.EOF", err)
	}
	if it.Token() != TokenAt(start) {
		t.Fatalf("cursor moved to %s on an empty page, want %s", it.Token(), TokenAt(start))
	}
	mu.Lock()
	late = true
	mu.Unlock()
	got, err := it.Next(ctx)
	if err != nil || len(got) != 1 || got[0].ID != "late" {
		t.Fatalf("late line: %+v, %v", got, err)
	}
	if asked[1] != TokenAt(start) {
		t.Errorf("second request asked from %s, want %s", asked[1], TokenAt(start))
	}
	if it.Token() != TokenAt(start.Add(time.Second)) {
		t.Errorf("cursor = %s after a page with entries, want its next_token", it.Token())
	}
}
