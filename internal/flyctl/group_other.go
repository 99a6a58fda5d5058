//go:build !unix

package flyctl

import (
	"os"
	"os/exec"
	"syscall"
)

// Without process groups only the child itself can be reached, and an
// interrupt cannot be delivered: every stop is a kill.
func ownGroup(cmd *exec.Cmd) {}

func signalGroup(pid int, sig syscall.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return nil
	}
	return p.Kill()
}
