// Package clusterprofile defines the cluster profile: the versioned file the
// benchmark writes and the planner reads. It records the model's units (name,
// weight bytes, bytes crossing a cut after each unit), every node's resources
// and labels, the measured time and memory of every unit on every node, and
// the measured round-trip time and bandwidth of every ordered node pair, and
// optionally the fixed overhead of one hop between nodes (hopOverheadSeconds).
//
// All quantities use SI base units spelled out in the field names: seconds,
// bytes and bytes per second. The file also declares its units in a "units"
// block that Load checks, so a writer that switched to milliseconds fails
// loudly instead of planning with numbers off by 1000.
package clusterprofile
