// Package planner computes where each unit of a sliced model runs.
//
// Given a cluster profile (reconcilers/clusterprofile) it assigns every unit to a
// node; maximal runs of consecutive units on one node form the partitions.
// Two objectives are solved exactly:
//
//   - latency: minimise the time of one request that leaves the source node,
//     runs every unit in order and returns its output to the source node —
//     compute times plus, for every hop between different nodes, the one-way
//     latency (RTT/2) plus the bytes crossing that cut over the link's
//     bandwidth (the input's bytes on the first hop, the output's on the
//     last) plus a fixed per-hop overhead (framing, copies, hand-offs);
//   - throughput: maximise steady-state requests per second, i.e. minimise
//     the busiest stage, where a node's stage time is the compute of every
//     unit it hosts plus the per-hop overhead of every hop it sends or
//     receives, and a directed link's stage time is every transfer over it;
//     ties are broken by latency.
//
// Memory rule: a node may host several partitions; the memory of the units
// placed on a node (each unit's measured peak, weights plus activations)
// must sum to at most the node's free memory minus the headroom.
//
// The solver is a depth-first branch and bound over units in order whose
// bounds are exact dynamic programmes over (unit, node) that relax only the
// cross-partition sums (memory, and for throughput the load of a node or
// link used twice). When the relaxation's optimum is feasible — the common
// case — the first descent reaches it and the search stops after O(U·N²)
// work; otherwise the bounds prune the search, which remains exact. A budget
// on expanded states keeps pathological instances bounded; a plan found
// under an exhausted budget says so (Plan.Optimal is false).
package planner
