//go:build !unix

package fastscan

import (
	"errors"
	"os"
)

// mapFile is not supported here: Scan reads the file instead.
func mapFile(*os.File, int) ([]byte, error) {
	return nil, errors.New("mapping files is not supported on this system")
}

func release([]byte) {}

func unmap([]byte) error { return nil }

var pageSize = os.Getpagesize()

// bufferArena is not supported here: buffers come from the heap.
func bufferArena(int) ([]byte, func()) { return nil, func() {} }
