//go:build !linux

package flyctl

import "errors"

// peekExit is Linux-only; elsewhere the child is reaped first and its group
// killed right after.
func peekExit(pid int) error { return errors.ErrUnsupported }
