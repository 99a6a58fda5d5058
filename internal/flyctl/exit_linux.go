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

// onParentDeath asks the kernel to send SIGTERM to flyctl if jpops itself is
// killed (kill -9 gives jpops no chance to stop it), so no orphan deploy runs
// on with nobody watching or journaling it. flyctl stops as on Ctrl-C.
func onParentDeath(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGTERM }
