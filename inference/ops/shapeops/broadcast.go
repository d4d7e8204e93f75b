package shapeops

import "fmt"

// broadcastShape returns the multidirectional (numpy) broadcast of shapes:
// shapes are right-aligned, and each dimension must equal the others or be 1.
func broadcastShape(shapes ...[]int) ([]int, error) {
	rank := 0
	for _, s := range shapes {
		if len(s) > rank {
			rank = len(s)
		}
	}
	out := make([]int, rank)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			o := out[off+i]
			switch {
			case d == o || d == 1:
			case o == 1:
				out[off+i] = d
			default:
				return nil, fmt.Errorf("shapes %v are not broadcast-compatible (dimension %d vs %d)", shapes, o, d)
			}
		}
	}
	return out, nil
}

// broadcastIndex returns, for every element of a tensor of shape out (in C
// order), the flat index of the element of a tensor of shape in that
// broadcasts to it. in must broadcast to out.
func broadcastIndex(in, out []int) []int {
	n := prod(out)
	idx := make([]int, n)
	if n == 0 {
		return idx
	}
	rank := len(out)
	// Source strides aligned to out, 0 on broadcast dimensions.
	st := make([]int, rank)
	inSt := strides(in)
	off := rank - len(in)
	for i := range in {
		if in[i] != 1 {
			st[off+i] = inSt[i]
		}
	}
	if rank == 0 {
		return idx
	}
	last := rank - 1
	inner := out[last]
	innerSt := st[last]
	coord := make([]int, rank)
	base := 0
	for p := 0; p < n; p += inner {
		for j := 0; j < inner; j++ {
			idx[p+j] = base + j*innerSt
		}
		// Advance the odometer over the outer dimensions.
		for a := last - 1; a >= 0; a-- {
			coord[a]++
			base += st[a]
			if coord[a] < out[a] {
				break
			}
			base -= st[a] * coord[a]
			coord[a] = 0
		}
	}
	return idx
}

// tableIndex returns, for every element of a tensor of shape out (C order),
// the sum over axes a of tab[a][coord[a]]: the flat index of the source
// element when tab[a][i] is the source offset contributed by coordinate i of
// output axis a. A negative table entry marks a position with no source (it
// yields -1, which take fills with a constant).
func tableIndex(out []int, tab [][]int) []int {
	n := prod(out)
	idx := make([]int, n)
	if n == 0 {
		return idx
	}
	rank := len(out)
	if rank == 0 {
		return idx
	}
	last := rank - 1
	inner := out[last]
	coord := make([]int, rank)
	for p := 0; p < n; p += inner {
		base := 0
		for a := 0; a < last; a++ {
			v := tab[a][coord[a]]
			if v < 0 {
				base = -1
				break
			}
			base += v
		}
		row := idx[p : p+inner]
		if base < 0 {
			for j := range row {
				row[j] = -1
			}
		} else {
			for j, v := range tab[last] {
				if v < 0 {
					row[j] = -1
				} else {
					row[j] = base + v
				}
			}
		}
		for a := last - 1; a >= 0; a-- {
			coord[a]++
			if coord[a] < out[a] {
				break
			}
			coord[a] = 0
		}
	}
	return idx
}
