// Package field describes problems found in a decoded object: each Error
// names the offending field by its path (spec.constraints.pins[0].node) so
// that validation can report every problem at once.
package field
