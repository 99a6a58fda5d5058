//go:build !windows

package state

import (
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
)

// ReplaceFile writes data to path through a temporary file beside it (not
// under $TMPDIR, which may be another file system), synced, then renamed
// over path with mode perm whatever the umask or the old file's mode. A
// reader sees the old file or the new one, never half of one.
func ReplaceFile(path string, data []byte, perm os.FileMode) error {
	f, err := renameio.NewPendingFile(path, renameio.WithTempDir(filepath.Dir(path)), renameio.WithStaticPermissions(perm))
	if err != nil {
		return err
	}
	defer f.Cleanup()
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.CloseAtomicallyReplace()
}
