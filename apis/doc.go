// Package apis is the root of papdl's declarative API. The versioned types
// live in sub-packages (v1alpha1); field holds path-aware validation errors
// and strict holds the strict YAML/JSON decoder shared by every papdl file
// format.
package apis
