package runtime

import "errors"

// ErrNotFound marks a workload the runtime does not run (Logs).
var ErrNotFound = errors.New("workload not found")

// LogOptions select what Logs writes of a workload's output.
type LogOptions struct {
	// Tail is how many of the last lines to write; 0 writes all the
	// runtime keeps (a local runtime bounds that to MaxLogBytes).
	Tail int `json:"tail,omitempty"`
	// Follow keeps writing new output until ctx ends.
	Follow bool `json:"follow,omitempty"`
}

// MaxLogBytes bounds the end of a log file read at once.
const MaxLogBytes = 4 << 20
