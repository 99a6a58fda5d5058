// Package boundedfile reads the small files jpops depends on (fly.toml,
// ~/.fly/config.yml, watch state, drill history) with a size bound, so a
// file that is a device or endless (a symlink to /dev/zero, a FIFO fed
// forever) ends in an error that names it, promptly, in bounded memory.
package boundedfile

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// TooLargeError is a file past its bound.
type TooLargeError struct {
	Path  string
	What  string // what the file should be, e.g. "fly.toml"
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %s, too large for %s (a device or an endless file?): check it, or point jpops at the right file",
		e.Path, size(e.Limit), e.What)
}

// ReadFile reads path whole, or fails with a *TooLargeError past limit
// bytes. Reading stops at limit+1 bytes, whatever the file is. Other errors
// are the os package's, which name the path.
func ReadFile(path string, limit int64, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > limit {
		return nil, &TooLargeError{Path: path, What: what, Limit: limit}
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &os.PathError{Op: "read", Path: path, Err: errors.Unwrap(err)}
	}
	if int64(len(b)) > limit {
		return nil, &TooLargeError{Path: path, What: what, Limit: limit}
	}
	return b, nil
}

func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
