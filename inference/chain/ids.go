package chain

import (
	"crypto/rand"
	"fmt"
)

// IDGenerator hands out request ids: 128 random bits each, so an id seen
// (or guessed) tells nothing about the next ones. Safe for concurrent use.
type IDGenerator struct{}

// NewIDGenerator checks that the system's random source works.
func NewIDGenerator() (*IDGenerator, error) {
	var probe [16]byte
	if _, err := rand.Read(probe[:]); err != nil {
		return nil, fmt.Errorf("request ids: random source: %w", err)
	}
	return &IDGenerator{}, nil
}

// Next returns a fresh random id, never BrokenChainID.
func (g *IDGenerator) Next() RequestID {
	var id RequestID
	for id == BrokenChainID {
		_, _ = rand.Read(id[:]) // crypto/rand.Read does not fail (Go 1.24+)
	}
	return id
}
