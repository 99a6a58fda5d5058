package flysim

import (
	"encoding/hex"
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// crockford is the ULID alphabet.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ids hands out deterministic identifiers: the same scenario yields the same
// instance ids, tags and digests on every run, so tests and drills repeat.
type ids struct{ rng *rand.Rand }

func newIDs(seed string) *ids {
	h := fnv.New64a()
	h.Write([]byte(seed))
	return &ids{rng: rand.New(rand.NewPCG(h.Sum64(), 0x9e3779b97f4a7c15))}
}

// ulid returns a ULID-shaped id whose time part encodes t, as Fly's
// deployment tags and instance ids do.
func (g *ids) ulid(t time.Time) string {
	var b [26]byte
	ms := uint64(t.UnixMilli())
	for i := 9; i >= 0; i-- {
		b[i] = crockford[ms&31]
		ms >>= 5
	}
	for i := 10; i < 26; i++ {
		b[i] = crockford[g.rng.IntN(32)]
	}
	return string(b[:])
}

// digest returns a sha256-shaped image digest.
func (g *ids) digest() string {
	var b [32]byte
	for i := range b {
		b[i] = byte(g.rng.IntN(256))
	}
	return "sha256:" + hex.EncodeToString(b[:])
}

// hex returns n lowercase hex digits.
func (g *ids) hex(n int) string {
	b := make([]byte, (n+1)/2)
	for i := range b {
		b[i] = byte(g.rng.IntN(256))
	}
	return hex.EncodeToString(b)[:n]
}
