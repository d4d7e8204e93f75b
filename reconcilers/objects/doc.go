// Package objects is the DistributedModel as its users handle it, over the
// controller's two directories: specs decoded, validated and written
// atomically into the specs directory (Apply) or removed from it (Delete),
// and the controller's records, plans and events read back from the state
// directory (LoadRecords, Observe). papdlctl's local verbs and the API
// server (reconcilers/apiserver) both go through it, so a spec applied
// either way is checked by the same code and lands in the same file.
//
// It does not reconcile anything: the controller watches the specs
// directory and does that.
package objects
