package flyctl

// Budget decides which output lines of a deploy are journaled, so a chatty
// or hostile flyctl cannot flood the journal: the first Head lines in full,
// the last Tail lines in full (held back until the end), the lines that
// name the image or its digest (resume reads them) up to Marks of them, and
// only a count of the rest. Every journaled line is fsynced and the child
// waits for it, so an unbounded journal would also stall the deploy.
type Budget struct {
	Head, Tail, Marks int

	head, marks int
	ring        []Line // the last Tail lines not journaled yet
	next        int    // where the ring writes next once full
	omitted     int
}

// DefaultBudget is the deploy's output budget (docs/reliability.md).
func DefaultBudget() *Budget { return &Budget{Head: 1000, Tail: 200, Marks: 100} }

// Take reports whether l is journaled now. A line not journaled now is held
// for the tail or counted.
func (b *Budget) Take(l Line) bool {
	if b.head < b.Head {
		b.head++
		return true
	}
	if b.marks < b.Marks && b.marked(l.Text) {
		b.marks++
		return true
	}
	if b.Tail <= 0 {
		b.omitted++
		return false
	}
	if len(b.ring) < b.Tail {
		b.ring = append(b.ring, l)
		return false
	}
	b.ring[b.next] = l
	b.next = (b.next + 1) % b.Tail
	b.omitted++
	return false
}

func (b *Budget) marked(text string) bool {
	if _, ok := ParseImage(text); ok {
		return true
	}
	_, rank := parseDigest(text)
	return rank > 0
}

// Finish returns the tail held back, oldest first, and how many lines
// between the head and the tail were only counted.
func (b *Budget) Finish() (tail []Line, omitted int) {
	tail = append(append(tail, b.ring[b.next:]...), b.ring[:b.next]...)
	return tail, b.omitted
}
