package lock

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary act as another jpops holding a lock.
func TestMain(m *testing.M) {
	if dir := os.Getenv("LOCK_TEST_HOLD"); dir != "" {
		l, err := Acquire(dir, "autonomath-api", Holder{Command: "jpops run -a autonomath-api", Incident: "I-child"})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("held", l.Path())
		time.Sleep(time.Minute) // until killed
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// holdInChild starts another process holding the lock and waits until it does.
func holdInChild(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LOCK_TEST_HOLD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "held ") {
		t.Fatalf("the holder did not take the lock: %q %v", line, err)
	}
	return cmd
}

func TestSecondHolderRefusedAndNamed(t *testing.T) {
	dir := t.TempDir()
	child := holdInChild(t, dir)
	_, err := Acquire(dir, "autonomath-api", Holder{Command: "jpops run", Incident: "I-second"})
	var held *HeldError
	if !errors.As(err, &held) {
		t.Fatalf("a second Acquire while another process holds the lock: %v, want *HeldError", err)
	}
	if held.Holder.PID != child.Process.Pid || held.Holder.Incident != "I-child" || !held.Alive {
		t.Errorf("the refusal names %+v (alive %v), want pid %d, incident I-child, alive", held.Holder, held.Alive, child.Process.Pid)
	}
	for _, want := range []string{fmt.Sprint(child.Process.Pid), "I-child", "jpops run -a autonomath-api", "jpops resume I-child"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal %q does not say %q", err, want)
		}
	}
	if h, ok := Read(dir, "autonomath-api"); !ok || h.PID != child.Process.Pid {
		t.Errorf("Read = %+v, %v; want the child", h, ok)
	}
	// Another app is not held.
	other, err := Acquire(dir, "other-app", Holder{})
	if err != nil {
		t.Fatalf("another app's lock: %v", err)
	}
	other.Release()
}

func TestCrashReleases(t *testing.T) {
	dir := t.TempDir()
	child := holdInChild(t, dir)
	if err := child.Process.Kill(); err != nil { // SIGKILL: no chance to clean up
		t.Fatal(err)
	}
	_ = child.Wait()
	l, err := Acquire(dir, "autonomath-api", Holder{Incident: "I-after"})
	if err != nil {
		t.Fatalf("the lock of a killed holder is still held: %v", err)
	}
	defer l.Release()
	if h, ok := Read(dir, "autonomath-api"); !ok || h.Incident != "I-after" || h.PID != os.Getpid() {
		t.Errorf("after the crash the lock names %+v, want this process and I-after", h)
	}
}

func TestReleaseLetsTheNextOneIn(t *testing.T) {
	dir := t.TempDir()
	first, err := Acquire(dir, "app", Holder{Incident: "one"})
	if err != nil {
		t.Fatal(err)
	}
	// flock is per open file: a second open in the same process is refused too.
	if _, err := Acquire(dir, "app", Holder{Incident: "two"}); err == nil {
		t.Fatal("a second Acquire in the same process succeeded while the first holds the lock")
	}
	first.Release()
	first.Release() // twice is fine
	if _, ok := Read(dir, "app"); ok {
		t.Error("Read says the lock is held after Release")
	}
	second, err := Acquire(dir, "app", Holder{Incident: "two"})
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	second.Release()
}

func TestHolderGoneButLockHeld(t *testing.T) {
	dir := t.TempDir()
	// A holder whose recorded pid no longer runs, while the lock is still
	// held (by a child it started, here by this process).
	l, err := Acquire(dir, "app", Holder{PID: 1 << 30, Command: "jpops run", Incident: "I"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	_, err = Acquire(dir, "app", Holder{})
	var held *HeldError
	if !errors.As(err, &held) || held.Alive {
		t.Fatalf("want a HeldError with a dead holder, got %v", err)
	}
	if !strings.Contains(err.Error(), "fuser -v "+l.Path()) {
		t.Errorf("the refusal does not say how to find what holds it: %v", err)
	}
}

func TestKeysAreSafeFileNames(t *testing.T) {
	for key, want := range map[string]string{
		"autonomath-api":   "autonomath-api",
		"../../etc/passwd": "_.._etc_passwd",
		"drill/2026-x":     "drill_2026-x",
		"":                 "_",
		"..":               "_",
	} {
		if got := fileName(key); got != want {
			t.Errorf("fileName(%q) = %q, want %q", key, got, want)
		}
	}
}
