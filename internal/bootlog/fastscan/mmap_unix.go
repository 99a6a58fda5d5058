//go:build unix

package fastscan

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps size bytes of f read-only. The pages come from the page
// cache, so nothing is copied.
func mapFile(f *os.File, size int) ([]byte, error) {
	m, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	// Read-ahead on the page cache, and its pages dropped behind us.
	_ = unix.Madvise(m, unix.MADV_SEQUENTIAL)
	return m, nil
}

// release drops b's pages from the mapping, so the process's memory stays
// bounded; the file's pages stay in the page cache. b must start on a page.
func release(b []byte) {
	if len(b) > 0 {
		_ = unix.Madvise(b, unix.MADV_DONTNEED)
	}
}

func unmap(m []byte) error { return unix.Munmap(m) }

var pageSize = os.Getpagesize()
