package chain

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync/atomic"
)

// IDGenerator hands out request ids: a random 64-bit prefix drawn once,
// then a counter. Safe for concurrent use.
type IDGenerator struct {
	prefix [8]byte
	next   atomic.Uint64
}

// NewIDGenerator draws the random prefix.
func NewIDGenerator() (*IDGenerator, error) {
	g := &IDGenerator{}
	if _, err := rand.Read(g.prefix[:]); err != nil {
		return nil, fmt.Errorf("draw request id prefix: %w", err)
	}
	return g, nil
}

// Next returns a fresh id.
func (g *IDGenerator) Next() RequestID {
	var id RequestID
	copy(id[:8], g.prefix[:])
	binary.BigEndian.PutUint64(id[8:], g.next.Add(1))
	return id
}
