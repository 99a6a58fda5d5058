package fastscan

import "bytes"

// jsonStructural marks the bytes the splitter acts on inside a value.
var jsonStructural = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true}

// SplitJSONValues splits what c reads into top-level JSON values by
// tracking brackets and strings, so a bad value is skipped and the next one
// read; top-level arrays are looked through, each element a value. It
// appends each value's bytes to *buf and calls done once the value is
// whole; done may cut *buf back or replace it. A value longer than MaxLine
// (however the input was cut into chunks), or one the chunker cut into, is
// dropped (counted overlong) and *buf cut back to where the value began.
// It counts lines, stray bytes and a
// truncated last value (malformed), and stops at done's first error.
func SplitJSONValues(c *Chunker, st *Counts, buf *[]byte, done func() error) error {
	return splitValues(c, st, buf, done)
}

// lineSource hands out runs of whole lines, by the Chunker's rules; the
// lines it skips as overlong are counted in the Counts given to it.
type lineSource interface {
	Next() ([]byte, bool)
}

// splitValues is SplitJSONValues on any lineSource counting into st.
func splitValues(c lineSource, st *Counts, buf *[]byte, done func() error) error {
	var (
		mark      = len(*buf) // where the current value begins in *buf
		depth     int
		inStr     bool
		esc       bool
		discard   bool // the current value is longer than MaxLine
		inGarbage bool
	)
	for {
		overlong := st.Overlong
		chunk, ok := c.Next()
		if st.Overlong != overlong && depth > 0 {
			// The chunker dropped part of the current value: start afresh.
			depth, discard, *buf = 0, false, (*buf)[:mark]
		}
		if !ok {
			break
		}
		st.Lines += bytes.Count(chunk, []byte{'\n'})
		if chunk[len(chunk)-1] != '\n' {
			st.Lines++
		}
		from := 0 // start of the current value's bytes in chunk
		for i := 0; i < len(chunk); i++ {
			ch := chunk[i]
			if depth == 0 {
				switch ch {
				case ' ', '\t', '\r', '\n', ',', '[', ']':
					continue
				case '{':
					depth, inStr, esc, inGarbage, from = 1, false, false, false, i
				default:
					if !inGarbage {
						st.Malformed++
						inGarbage = true
					}
				}
				continue
			}
			if inStr {
				if esc {
					esc = false
					continue
				}
				// Jump to the string's next quote or backslash.
				j := i
				for j < len(chunk) && chunk[j] != '"' && chunk[j] != '\\' {
					j++
				}
				if j == len(chunk) {
					break
				}
				i = j
				if chunk[j] == '\\' {
					esc = true
				} else {
					inStr = false
				}
				continue
			}
			if !jsonStructural[ch] {
				// Skip to the next quote or bracket: in pretty-printed
				// objects most bytes are indentation, keys and values.
				i++
				for i < len(chunk) && !jsonStructural[chunk[i]] {
					i++
				}
				if i == len(chunk) {
					break
				}
				ch = chunk[i]
			}
			switch ch {
			case '"':
				inStr = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth > 0 {
					continue
				}
				if discard || len(*buf)-mark+i+1-from > MaxLine {
					st.Overlong++
					discard, *buf = false, (*buf)[:mark]
					continue
				}
				*buf = append(*buf, chunk[from:i+1]...)
				if err := done(); err != nil {
					return err
				}
				mark = len(*buf)
			}
		}
		if depth > 0 && !discard {
			*buf = append(*buf, chunk[from:]...)
			if len(*buf)-mark > MaxLine {
				discard, *buf = true, (*buf)[:mark]
			}
		}
	}
	if depth > 0 { // a truncated last value
		st.Malformed++
	}
	return nil
}
