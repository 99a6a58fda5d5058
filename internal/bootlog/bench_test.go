package bootlog

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"

	"github.com/jpops-dev/jpops/internal/bootlog/bootlogtest"
	"github.com/jpops-dev/jpops/runbook"
)

// genLog is the text log every bootlog test and benchmark reads.
var genLog = bootlogtest.GenLog

func benchLog(b *testing.B, n int) []byte {
	var buf bytes.Buffer
	genLog(&buf, n)
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	return buf.Bytes()
}

// BenchmarkRead parses every line into an Entry.
func BenchmarkRead(b *testing.B) {
	data := benchLog(b, 100_000)
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data), func(Entry) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEngine is `jpops scan`'s path: prefilter, parse candidates, match.
func BenchmarkEngine(b *testing.B) {
	data := benchLog(b, 100_000)
	rb := runbook.Default()
	for b.Loop() {
		e := New(rb)
		if _, err := e.Scan(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadFeed is Read with Feed on every entry (the slow, general path).
func BenchmarkReadFeed(b *testing.B) {
	data := benchLog(b, 100_000)
	rb := runbook.Default()
	for b.Loop() {
		e := New(rb)
		if _, err := Read(bytes.NewReader(data), func(en Entry) error { e.Feed(en); return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// TestScanFile times Scan over a real file named by BOOTLOG_SCAN_FILE
// (for example one written by bench/scan/gen); skipped without it.
func TestScanFile(t *testing.T) {
	path := os.Getenv("BOOTLOG_SCAN_FILE")
	if path == "" {
		t.Skip("set BOOTLOG_SCAN_FILE to a log file to time Scan on it")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e := New(runbook.Default())
	start := time.Now()
	st, err := e.Scan(f)
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	fs := e.Findings(time.Time{})
	t.Logf("%+v in %v; %d findings, verdict %s", st, el, len(fs), Verdict(fs))
	for _, f := range fs {
		if f.Status != Completed {
			t.Logf("%+v", f)
		}
	}
}

// BenchmarkScanFile is Scan on a file in the page cache: mapped, as Scan
// does for a large regular file, and read, as for any other reader.
func BenchmarkScanFile(b *testing.B) {
	var buf bytes.Buffer
	genLog(&buf, 200_000)
	path := b.TempDir() + "/app.log"
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	rb := runbook.Default()
	for _, mapped := range []bool{true, false} {
		name := map[bool]string{true: "mapped", false: "read"}[mapped]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(buf.Len()))
			for b.Loop() {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				var r io.Reader = f
				if !mapped {
					r = struct{ io.Reader }{f} // not an *os.File: read
				}
				if _, err := New(rb).Scan(r); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
	}
}
