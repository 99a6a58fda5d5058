//go:build unix

package notify

import (
	"os/exec"
	"syscall"
)

// killGroup makes a timeout kill the whole command, not just sh: a hook
// that runs `curl` or `sleep` must not outlive its deadline.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
