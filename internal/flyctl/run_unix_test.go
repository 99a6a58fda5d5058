//go:build unix

package flyctl

// Process-group tests: they kill by PID and read /proc, which only unix has.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// gone reports whether pid has disappeared (or is a zombie nobody will
// run again), polling briefly.
func gone(pid int) bool {
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			return true
		}
		if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			if i := strings.LastIndexByte(string(stat), ')'); i > 0 && strings.HasPrefix(string(stat[i+1:]), " Z") {
				return true
			}
		}
	}
	return false
}

func TestNoOrphans(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, tt := range []struct {
		name, script string
		cancel       bool
		panics       bool
	}{
		{"child exits 0", `sleep 60 & echo "grandchild $!"; exit 0`, false, false},
		{"child exits 3", `sleep 60 & echo "grandchild $!"; exit 3`, false, false},
		{"interrupted", `sleep 60 & echo "grandchild $!"; wait`, true, false},
		{"onLine panics", `sleep 60 & echo "grandchild $!"; wait`, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			grandchild := 0
			start := time.Now()
			func() {
				defer func() {
					if r := recover(); (r != nil) != tt.panics {
						t.Errorf("recover() = %v", r)
					}
				}()
				_, _ = Run(ctx, Spec{Argv: []string{sh, "-c", tt.script}, KillGrace: time.Second}, func(l Line) {
					if _, err := fmt.Sscanf(l.Text, "grandchild %d", &grandchild); err == nil {
						if tt.cancel {
							cancel()
						}
						if tt.panics {
							panic("onLine failed")
						}
					}
				})
			}()
			if grandchild == 0 {
				t.Fatal("no grandchild pid seen")
			}
			if !gone(grandchild) {
				syscall.Kill(grandchild, syscall.SIGKILL)
				t.Fatalf("grandchild %d survived Run", grandchild)
			}
			if d := time.Since(start); d > drainGrace {
				t.Errorf("Run took %s: it waited on the grandchild's pipes", d)
			}
		})
	}
}

// A process that left the group keeps the pipes open: Run still returns.
func TestEscapedProcessDoesNotHang(t *testing.T) {
	sh, err1 := exec.LookPath("sh")
	_, err2 := exec.LookPath("setsid")
	if err1 != nil || err2 != nil {
		t.Skip("needs sh and setsid")
	}
	old := drainGrace
	drainGrace = 300 * time.Millisecond
	defer func() { drainGrace = old }()
	escaped := 0
	t.Cleanup(func() {
		if escaped > 0 {
			syscall.Kill(escaped, syscall.SIGKILL)
		}
	})
	start := time.Now()
	_, err := Run(context.Background(), Spec{Argv: []string{sh, "-c", `setsid sleep 30 & echo "escaped $!"`}}, func(l Line) {
		fmt.Sscanf(l.Text, "escaped %d", &escaped)
	})
	if err != nil {
		t.Fatal(err)
	}
	if escaped == 0 {
		t.Fatal("no pid seen")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Run took %s with an escaped process holding its pipes", d)
	}
}
