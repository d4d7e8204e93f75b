package store

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Event is one line of a model's event log.
type Event struct {
	Time    time.Time `json:"time"`
	Type    string    `json:"type"` // Normal or Warning
	Reason  string    `json:"reason"`
	Message string    `json:"message"`
}

// maxEvents bounds a model's event log; older lines are dropped.
const maxEvents = 200

// maxEventLineBytes bounds one line of the event log: longer lines (written
// by hand or by an older version) are skipped when read.
const maxEventLineBytes = 64 << 10

// AppendEvent adds an event to a model's log.
func (s *Store) AppendEvent(name string, ev Event) error {
	if err := ValidName(name); err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	events, err := s.Events(name, 0)
	if err != nil {
		return err
	}
	events = append(events, ev)
	if len(events) > maxEvents {
		events = events[len(events)-maxEvents:]
	}
	var b strings.Builder
	for _, e := range events {
		line, err := json.Marshal(e)
		if err != nil {
			return err
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	path, err := s.ModelFile(name, EventsFile)
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, []byte(b.String()))
}

// Events returns the last limit events of a model (all when limit <= 0).
// Lines that do not decode or exceed the line bound are skipped: a damaged
// log loses those lines, never the rest.
func (s *Store) Events(name string, limit int) ([]Event, error) {
	path, err := s.ModelFile(name, EventsFile)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Event
	err = eachLine(bufio.NewReaderSize(f, maxEventLineBytes), func(line []byte) {
		var e Event
		if json.Unmarshal(line, &e) == nil {
			out = append(out, e)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

// eachLine calls fn with every non-empty line of br that fits br's buffer,
// skipping the longer ones.
func eachLine(br *bufio.Reader, fn func(line []byte)) error {
	skipping := false
	for {
		line, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			skipping = true
			continue
		case skipping:
			skipping = false
		case len(bytes.TrimSpace(line)) > 0:
			fn(line)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
