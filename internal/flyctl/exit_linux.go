package flyctl

import (
	"syscall"
	"unsafe"
)

// peekExit blocks until the child pid has exited without reaping it. While
// the child is an unreaped zombie its pid, and so its process-group ID,
// cannot be reused, which makes the final SIGKILL to the group safe.
func peekExit(pid int) error {
	const pPID = 1
	var info [128]byte // siginfo_t
	for {
		_, _, e := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid),
			uintptr(unsafe.Pointer(&info)), syscall.WEXITED|syscall.WNOWAIT, 0, 0)
		switch e {
		case 0:
			return nil
		case syscall.EINTR:
			continue
		default:
			return e
		}
	}
}
