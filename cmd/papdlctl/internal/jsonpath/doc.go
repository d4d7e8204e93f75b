// Package jsonpath evaluates kubectl's -o jsonpath templates over a JSON
// document: literal text with {EXPR} blocks, where EXPR is a path
// (.a.b, [N], [*], [?(@.k=="v")], [?(@.k!="v")]), a string literal
// ({"\n"}), or {range EXPR}...{end} to repeat its body for each value.
//
// It covers what papdl's users write against its objects
// (`{.items[*].metadata.name}`,
// `{.status.conditions[?(@.type=="Ready")].status}`); recursive descent,
// unions, slices and arithmetic filters are not supported.
package jsonpath
