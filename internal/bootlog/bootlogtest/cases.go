package bootlogtest

import (
	"bytes"
	"fmt"
	"strings"
)

// EdgeCase is a text log around the scan's limits, with what a scan of it
// must count and whether a scan of it as a file maps it.
type EdgeCase struct {
	Name     string
	Data     []byte
	Off      int64 // where the scan starts reading
	Overlong int   // lines of maxLine bytes or more
	Mapped   bool  // at least mapMin bytes: a scan of the file maps it
}

// EdgeCases are text logs around a line of maxLine bytes and a file of
// mapMin bytes, built from GenLog's logs: 2,000 lines, and 60,000 (about
// 9 MiB, which must be more than 2*mapMin). last is a final line the
// "no final newline" case ends with. Bootlog's and fastscan's tests read
// the same cases, each at its own layer.
func EdgeCases(last string, maxLine, mapMin int) ([]EdgeCase, error) {
	var big bytes.Buffer
	GenLog(&big, 60_000)
	if big.Len() < 2*mapMin {
		return nil, fmt.Errorf("generated log is %d bytes, want more than %d", big.Len(), 2*mapMin)
	}
	var small bytes.Buffer
	GenLog(&small, 2_000)
	log := small.String()
	half := len(log) / 2
	half += strings.IndexByte(log[half:], '\n') + 1
	long := func(n int) string { return strings.Repeat("x", n) }
	cut := func(n int) []byte { return big.Bytes()[:n] }
	return []EdgeCase{
		{Name: "one line, no final newline", Data: []byte("running integrity_check on /d.db")},
		{Name: "no final newline", Data: []byte(log + last)},
		{Name: "2 MiB line in the middle", Data: []byte(log[:half] + long(2<<20) + "\n" + log[half:]), Overlong: 1},
		{Name: "2 MiB line at the end", Data: []byte(log + long(2<<20) + "\n"), Overlong: 1},
		{Name: "2 MiB last line without newline", Data: []byte(log + long(2<<20)), Overlong: 1},
		{Name: "line of MaxLine-1 bytes", Data: []byte(log[:half] + long(maxLine-1) + "\n" + log[half:])},
		{Name: "line of MaxLine bytes", Data: []byte(log[:half] + long(maxLine) + "\n" + log[half:]), Overlong: 1},
		{Name: "line of MaxLine+1 bytes", Data: []byte(log[:half] + long(maxLine+1) + "\n" + log[half:]), Overlong: 1},
		{Name: "last line of MaxLine-1 bytes without newline", Data: []byte(log + long(maxLine-1))},
		{Name: "last line of MaxLine bytes without newline", Data: []byte(log + long(maxLine)), Overlong: 1},
		{Name: "CRLF", Data: []byte(strings.ReplaceAll(log, "\n", "\r\n"))},
		{Name: "byte order mark", Data: []byte("\xef\xbb\xbf" + log)},
		{Name: "many chunks", Data: big.Bytes(), Mapped: true},
		{Name: "many chunks, read from the middle", Data: big.Bytes(), Off: int64(big.Len() / 3), Mapped: true},
		{Name: "2 MiB line between many chunks", Data: append(append(bytes.Clone(big.Bytes()), long(2<<20)+"\n"...), log...), Overlong: 1, Mapped: true},
		{Name: "just below the threshold", Data: cut(mapMin - 1)},
		{Name: "at the threshold", Data: cut(mapMin), Mapped: true},
		{Name: "just above the threshold", Data: cut(mapMin + 1), Mapped: true},
	}, nil
}
