package flysim

import (
	"fmt"
	"slices"
)

// Grow adds machines until the app has n, each a copy of one of the
// scenario's own (alternating) under a new id and name, so clients can be
// measured against a large fleet. Call it before Start; n at or below the
// current count changes nothing.
func (s *Server) Grow(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	base := len(s.machines)
	for i := base; i < n; i++ {
		m := *s.machines[i%base]
		m.id = fmt.Sprintf("f1ee7%09x", i)
		m.name = fmt.Sprintf("fleet-machine-%d", i)
		m.idx = i
		m.privateIP = fmt.Sprintf("fdaa:9:4b1c:a7b:1c7:%s:%s:2", m.id[:4], m.id[4:8])
		m.boots = slices.Clone(m.boots)
		s.machines = append(s.machines, &m)
	}
}
