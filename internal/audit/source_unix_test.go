//go:build unix

package audit

import (
	"syscall"
	"testing"
)

// TestSourceFIFO checks that a sourced name that is a FIFO is not opened:
// reading it would block the audit forever.
func TestSourceFIFO(t *testing.T) {
	t.Chdir(t.TempDir())
	writeTree(t, ".", map[string]string{"entrypoint.sh": ". ./pipe.sh\nsqlite3 \"$DB\" VACUUM\n"})
	if err := syscall.Mkfifo("pipe.sh", 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	got, err := Files([]string{"entrypoint.sh"})
	if err != nil || len(got) != 1 {
		t.Fatalf("Files = %+v, %v; want the one finding of entrypoint.sh", got, err)
	}
}
