// Package store is the controller's state directory: content-addressed
// artifacts (partition sets keyed by model digest, input shape and cuts),
// cluster profiles (keyed by node set, node resources and model), and per
// model its status, plan and event log. Every write is atomic (temp file +
// rename), so a controller killed at any point restarts from a consistent
// directory and redoes nothing it had finished.
//
//	STATE/.lock                      flock(2) of the one controller (Lock)
//	STATE/artifacts/<key>/manifest.json, part-NNN.onnx
//	STATE/profiles/<key>.json
//	STATE/models/<name>/status.json, plan.json, events.jsonl
//
// Names and keys never become paths unchecked: model names must be DNS-1123
// labels (ValidName), keys 16 hex digits (ValidKey); every path builder
// returns ErrInvalidName otherwise. The state is a cache: a file that does
// not decode is reported as ErrCorrupt (never an I/O error), so callers can
// rebuild it from what the runtime observes, after MoveAside keeps the
// damaged copy as <file>.corrupt. The event log folds repeated events
// (count, first and last seen), bounds messages and the number of events,
// and skips lines it cannot read.
package store
