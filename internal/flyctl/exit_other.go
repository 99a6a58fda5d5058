//go:build !linux

package flyctl

import (
	"errors"
	"syscall"
)

// peekExit is Linux-only; elsewhere the child is reaped first and its group
// killed right after.
func peekExit(pid int) error { return errors.ErrUnsupported }

// onParentDeath needs Linux's PR_SET_PDEATHSIG; elsewhere a killed jpops
// leaves flyctl to finish on its own.
func onParentDeath(attr *syscall.SysProcAttr) {}
