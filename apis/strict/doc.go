// Package strict decodes YAML or JSON into Go API types strictly: unknown
// fields, mistyped values and duplicate keys are errors that name the field
// path, and every such problem in a document is reported at once. It also
// splits multi-document YAML streams.
package strict
