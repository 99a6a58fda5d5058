//go:build !unix

package watch

import "context"

// lockFile is a no-op where flock(2) does not exist.
func lockFile(context.Context, string) (func(), error) { return func() {}, nil }
