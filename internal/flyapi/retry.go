package flyapi

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Retry is one retry of a call, reported to the observer a context
// carries (WithRetryObserver) before the client waits, so whoever made the
// call can show that the API is being asked again, and why. When a call
// that was retried ends, the observer gets one more Retry with Done set.
type Retry struct {
	Call    string        // what was asked: "list machines of app web"
	API     string        // "machines" or "logs"
	Attempt int           // the attempt that failed, from 1 (with Done: the attempts made)
	Max     int           // the most attempts the call makes
	Wait    time.Duration // before the next attempt
	Reason  string        // why it is asked again: "503 Service Unavailable", ...
	Done    bool          // the call ended: Err is how (nil: answered at last)
	Err     error
}

type retryObserverKey struct{}

// WithRetryObserver returns a context whose calls report each retry to
// fn, on the calling goroutine; fn must not block.
func WithRetryObserver(ctx context.Context, fn func(Retry)) context.Context {
	return context.WithValue(ctx, retryObserverKey{}, fn)
}

func retryObserver(ctx context.Context) func(Retry) {
	fn, _ := ctx.Value(retryObserverKey{}).(func(Retry))
	return fn
}

// retryReason says in a few words why a failed attempt is retried.
func retryReason(err error) string {
	var ae *APIError
	var de *DecodeError
	var ne *NetError
	switch {
	case errors.As(err, &ae):
		return ae.statusText()
	case errors.As(err, &de):
		return fmt.Sprintf("an answer that is not %s", de.Want)
	case errors.As(err, &ne):
		return redactWith(ne.red, fmt.Sprintf("no answer from %s: %v", ne.Host, ne.Err))
	case err != nil:
		return err.Error()
	}
	return ""
}
