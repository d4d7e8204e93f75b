// Package labels parses and evaluates label selectors as kubectl's -l
// takes them: equality-based (key=value, key==value, key!=value) and
// set-based (key in (a,b), key notin (a,b), key, !key) requirements,
// comma-separated, all of which must hold.
//
// It is the subset of k8s.io/apimachinery/pkg/labels papdl uses, without
// the dependency; the syntax and the meaning are the same (a != or notin
// requirement also matches objects without the key).
package labels
