// Package profile measures every unit of a sliced model on this machine:
// the median and spread of its time over repeated runs after warm-up, its
// weight and output bytes and its peak working memory. The JSON it writes
// (format papdl.io/unit-profile/v1) is what a node's benchmark reports and
// what the planner's cluster profile is assembled from.
package profile
