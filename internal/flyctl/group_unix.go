//go:build unix

package flyctl

import (
	"errors"
	"os/exec"
	"syscall"
)

// ownGroup makes the child the leader of a new process group, so one signal
// reaches flyctl and everything it started (builders, helpers, shells).
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	onParentDeath(cmd.SysProcAttr)
}

// signalGroup sends sig to the process group led by pid. A group that is
// already gone is not an error.
func signalGroup(pid int, sig syscall.Signal) error {
	if pid <= 0 {
		return errors.New("no process group to signal")
	}
	if err := syscall.Kill(-pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}
