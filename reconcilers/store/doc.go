// Package store is the controller's state directory: content-addressed
// artifacts (partition sets keyed by model digest, input shape and cuts),
// cluster profiles (keyed by node set, node resources and model), and per
// model its status, plan and event log. Every write is atomic (temp file +
// rename), so a controller killed at any point restarts from a consistent
// directory and redoes nothing it had finished.
//
//	STATE/artifacts/<key>/manifest.json, part-NNN.onnx
//	STATE/profiles/<key>.json
//	STATE/models/<name>/status.json, plan.json, events.jsonl
package store
