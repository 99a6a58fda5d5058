//go:build unix

package fastscan

import (
	"os"
	"unsafe"

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

// bufferArena is at least n bytes of fresh memory, backed by huge pages
// where the kernel has them, and the function that returns it. Touching
// fresh memory a 4 KiB page at a time can cost more than what is then
// read into it: on a virtual machine a page fault took about 17 µs, so the
// 1.5 MB of a text scan's buffers cost 7 ms, and one 2 MiB page 0.3 ms.
// It is nil where it cannot be mapped.
func bufferArena(n int) ([]byte, func()) {
	size := (n + hugePage - 1) &^ (hugePage - 1)
	m, err := unix.Mmap(-1, 0, size+hugePage, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return nil, func() {}
	}
	// A huge page backs only an aligned 2 MiB of the mapping.
	skip := int(-uintptr(unsafe.Pointer(&m[0])) & (hugePage - 1))
	arena := m[skip : skip+size : skip+size]
	adviseHuge(arena)
	return arena, func() { _ = unix.Munmap(m) }
}
