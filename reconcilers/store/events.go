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
	"unicode/utf8"
)

// Event is one line of a model's event log. Consecutive identical events
// (same type, reason and message) are folded into one line, as kubectl
// shows them: Count occurrences between FirstSeen and Time. Lines are only
// ever appended or updated in place at the end, so the lines after a
// reader's earlier length are exactly the events recorded since.
type Event struct {
	// Time is when the event was last seen (see LastSeen).
	Time    time.Time `json:"time"`
	Type    string    `json:"type"` // Normal or Warning
	Reason  string    `json:"reason"`
	Message string    `json:"message"`
	// Count is how many times the event was seen; 0 in logs written
	// before folding existed means once (see Occurrences).
	Count int `json:"count,omitempty"`
	// FirstSeen is when it was first seen; zero means Time.
	FirstSeen time.Time `json:"firstSeen,omitzero"`
}

// LastSeen is when the event was last seen.
func (e Event) LastSeen() time.Time { return e.Time }

// Occurrences is how many times the event was seen (at least 1).
func (e Event) Occurrences() int { return max(e.Count, 1) }

// Since is when the event was first seen.
func (e Event) Since() time.Time {
	if e.FirstSeen.IsZero() {
		return e.Time
	}
	return e.FirstSeen
}

// Bounds of a model's event log.
const (
	// maxEvents bounds the events kept per model; the oldest are dropped.
	maxEvents = 200
	// MaxEventMessageBytes bounds a message; longer ones are cut.
	MaxEventMessageBytes = 1024
	// maxEventReasonBytes bounds a reason or type.
	maxEventReasonBytes = 128
)

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
	events = fold(events, bounded(ev))
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

// bounded cuts an event's strings to their bounds.
func bounded(ev Event) Event {
	ev.Type = cut(ev.Type, maxEventReasonBytes)
	ev.Reason = cut(ev.Reason, maxEventReasonBytes)
	ev.Message = cut(ev.Message, MaxEventMessageBytes)
	return ev
}

// cut shortens s to at most n bytes on a UTF-8 boundary, marking the cut.
func cut(s string, n int) string {
	const mark = "... (truncated)"
	if len(s) <= n {
		return s
	}
	i := n - len(mark)
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + mark
}

// fold appends ev to events, or, when the last event is identical (type,
// reason, message), counts one more occurrence of it, last seen at ev's
// time.
func fold(events []Event, ev Event) []Event {
	n := len(events)
	if n == 0 {
		return append(events, ev)
	}
	e := events[n-1]
	if e.Type != ev.Type || e.Reason != ev.Reason || e.Message != ev.Message {
		return append(events, ev)
	}
	ev.Count = e.Occurrences() + ev.Occurrences()
	ev.FirstSeen = e.Since()
	if t := ev.Since(); t.Before(ev.FirstSeen) {
		ev.FirstSeen = t
	}
	if ev.Time.Before(e.Time) {
		ev.Time = e.Time
	}
	events[n-1] = ev
	return events
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
