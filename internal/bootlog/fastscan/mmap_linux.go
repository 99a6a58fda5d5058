package fastscan

import "golang.org/x/sys/unix"

// adviseHuge asks for b to be backed by huge pages, which Linux gives a
// mapping that asks when transparent huge pages are set to madvise.
func adviseHuge(b []byte) { _ = unix.Madvise(b, unix.MADV_HUGEPAGE) }
