package engine

import (
	"fmt"

	"github.com/papdl/papdl/inference/onnx"
)

// topoSort orders g's nodes so that every node comes after the producers of
// its inputs, keeping the file order among independent nodes. known holds
// the names defined before any node runs (initializers). It fails on an
// input nobody defines, a tensor defined twice, or a cycle.
func topoSort(g *onnx.Graph, known map[string]int) ([]*onnx.Node, error) {
	defined := map[string]bool{}
	for name := range known {
		defined[name] = true
	}
	for _, in := range g.Inputs {
		defined[in.Name] = true
	}
	producer := map[string]int{}
	for i, n := range g.Nodes {
		for _, out := range n.Outputs {
			if out == "" {
				continue
			}
			if j, dup := producer[out]; dup {
				return nil, fmt.Errorf("tensor %q is produced by both node %s and node %s", out, g.Nodes[j].Label(), n.Label())
			}
			if defined[out] {
				return nil, fmt.Errorf("node %s overwrites %q, which is a graph input or initializer", n.Label(), out)
			}
			producer[out] = i
		}
	}
	// Kahn's algorithm, always taking the lowest-index ready node.
	indeg := make([]int, len(g.Nodes))
	users := make([][]int, len(g.Nodes))
	for i, n := range g.Nodes {
		seen := map[int]bool{}
		for _, in := range NodeInputs(n) {
			if in == "" || defined[in] {
				continue
			}
			j, ok := producer[in]
			if !ok {
				return nil, fmt.Errorf("node %s (%s) reads %q, which no node, initializer or graph input defines", n.Label(), n.OpType, in)
			}
			if !seen[j] {
				seen[j] = true
				indeg[i]++
				users[j] = append(users[j], i)
			}
		}
	}
	order := make([]*onnx.Node, 0, len(g.Nodes))
	ready := &minHeap{}
	for i := range g.Nodes {
		if indeg[i] == 0 {
			ready.push(i)
		}
	}
	for ready.len() > 0 {
		i := ready.pop()
		order = append(order, g.Nodes[i])
		for _, u := range users[i] {
			indeg[u]--
			if indeg[u] == 0 {
				ready.push(u)
			}
		}
	}
	if len(order) != len(g.Nodes) {
		for i, d := range indeg {
			if d > 0 {
				return nil, fmt.Errorf("the graph has a cycle through node %s", g.Nodes[i].Label())
			}
		}
	}
	return order, nil
}

// minHeap is a small binary heap of node indices.
type minHeap struct{ a []int }

func (h *minHeap) len() int { return len(h.a) }

func (h *minHeap) push(x int) {
	h.a = append(h.a, x)
	i := len(h.a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h.a[p] <= h.a[i] {
			break
		}
		h.a[p], h.a[i] = h.a[i], h.a[p]
		i = p
	}
}

func (h *minHeap) pop() int {
	top := h.a[0]
	last := len(h.a) - 1
	h.a[0] = h.a[last]
	h.a = h.a[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h.a) && h.a[l] < h.a[m] {
			m = l
		}
		if r < len(h.a) && h.a[r] < h.a[m] {
			m = r
		}
		if m == i {
			return top
		}
		h.a[i], h.a[m] = h.a[m], h.a[i]
		i = m
	}
}
