//go:build unix

package journal

import (
	"os"
	"syscall"
)

// flockFile takes an exclusive advisory lock on f for one append and returns
// its release. The lock only keeps Seq in order across processes; the
// O_APPEND file keeps lines whole without it, so a filesystem that refuses
// locks (some network mounts) costs ordering, never data.
func flockFile(f *os.File) (unlock func(), locked bool) {
	fd := int(f.Fd())
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return func() {}, false
		}
		return func() { syscall.Flock(fd, syscall.LOCK_UN) }, true
	}
}
