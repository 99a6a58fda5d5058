// Package lock makes sure one jpops at a time holds an app's incident. The
// lock is flock(2) on a file in the state directory: the kernel drops it
// when its holder exits, however it exits, so a crash cannot leave it
// stuck. The file also says who holds it (pid, command, incident, since
// when), so a refusal can name the holder.
package lock

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Dir is the state directory's subdirectory of lock files.
const Dir = "locks"

// Holder is what the lock file says about the jpops that holds it.
type Holder struct {
	PID      int       `json:"pid"`
	Command  string    `json:"command"`  // e.g. "jpops run -a autonomath-api"
	Incident string    `json:"incident"` // the incident it works on
	Since    time.Time `json:"since"`
	Host     string    `json:"host,omitempty"`
}

// HeldError is returned when another jpops holds the lock.
type HeldError struct {
	Key    string
	Path   string // the lock file
	Holder Holder // zero when the holder had not written itself yet
	Alive  bool   // Holder.PID still runs on this host
}

func (e *HeldError) Error() string {
	h := e.Holder
	if h.PID == 0 {
		return fmt.Sprintf("another jpops holds %s's incident (it is starting up): wait for it to finish, then try again", e.Key)
	}
	who := fmt.Sprintf("jpops pid %d (`%s`, incident %s, since %s)", h.PID, h.Command, h.Incident, h.Since.UTC().Format("15:04:05 UTC"))
	if !e.Alive {
		// flock is released on exit, so something that pid started (and
		// that inherited the lock) still runs.
		return fmt.Sprintf("%s's incident is held by %s, which has exited but left a child holding the lock: find it with `fuser -v %s` and stop it", e.Key, who, e.Path)
	}
	return fmt.Sprintf("%s's incident is held by %s: one jpops per app; wait for it to finish, or stop it (kill -INT %d) and then `jpops resume %s`", e.Key, who, h.PID, h.Incident)
}

// Lock is a held lock. Release it when the work is done; exiting does too.
type Lock struct {
	path string
	once sync.Once
	f    *os.File
}

// Path is the lock file.
func (l *Lock) Path() string { return l.path }

// Acquire takes the lock named key under stateDir, without waiting: a
// second jpops is refused at once with a *HeldError naming the holder.
func Acquire(stateDir, key string, h Holder) (*Lock, error) {
	dir := filepath.Join(stateDir, Dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("lock: create %s: %w", dir, err)
	}
	path := filepath.Join(dir, fileName(key)+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock: open %s: %w", path, err)
	}
	taken, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock: %s: %w", path, err)
	}
	if !taken {
		held := &HeldError{Key: key, Path: path}
		held.Holder, _ = readHolder(f)
		held.Alive = held.Holder.PID > 0 && alive(held.Holder.PID)
		f.Close()
		return nil, held
	}
	if h.PID == 0 {
		h.PID = os.Getpid()
	}
	if h.Since.IsZero() {
		h.Since = time.Now().UTC()
	}
	if h.Host == "" {
		h.Host, _ = os.Hostname()
	}
	data, _ := json.Marshal(h)
	err = f.Truncate(0)
	if err == nil {
		_, err = f.WriteAt(append(data, '\n'), 0)
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		unlock(f)
		f.Close()
		return nil, fmt.Errorf("lock: write %s: %w", path, err)
	}
	return &Lock{path: path, f: f}, nil
}

// Release drops the lock; it is safe to call more than once and on nil.
func (l *Lock) Release() {
	if l == nil {
		return
	}
	l.once.Do(func() {
		_ = l.f.Truncate(0) // the next reader sees no stale holder
		unlock(l.f)
		l.f.Close()
	})
}

// Read says who holds key's lock now, if anyone, without taking it.
func Read(stateDir, key string) (Holder, bool) {
	path := filepath.Join(stateDir, Dir, fileName(key)+".lock")
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return Holder{}, false
	}
	defer f.Close()
	taken, err := tryLock(f)
	if err != nil {
		return Holder{}, false
	}
	if taken {
		unlock(f)
		return Holder{}, false
	}
	h, _ := readHolder(f)
	return h, true
}

func readHolder(f *os.File) (Holder, error) {
	var h Holder
	buf := make([]byte, 4096)
	n, err := f.ReadAt(buf, 0)
	if n == 0 {
		return h, err
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(string(buf[:n]))), &h); err != nil {
		return Holder{}, err
	}
	return h, nil
}

// fileName keeps a key safe as a file name.
func fileName(key string) string {
	var b strings.Builder
	for _, r := range key {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.TrimLeft(b.String(), ".")
	if s == "" {
		return "_"
	}
	return s
}
