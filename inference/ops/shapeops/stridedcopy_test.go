package shapeops

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"

	"github.com/papdl/papdl/inference/tensor"
)

// TestTransposePlans checks the planned transpose against the index-table
// one on the permutations torch exports (batch 1 and more), random shapes
// and permutations up to rank 5, and every element type with a fast path.
func TestTransposePlans(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	type tc struct {
		shape, perm []int
	}
	cases := []tc{
		{[]int{1, 96, 56, 56}, []int{0, 2, 3, 1}},
		{[]int{1, 56, 56, 96}, []int{0, 3, 1, 2}},
		{[]int{1, 64, 4, 64}, []int{0, 2, 1, 3}},
		{[]int{1, 4, 64, 64}, []int{0, 2, 3, 1}},
		{[]int{2, 64, 4, 64}, []int{0, 2, 3, 1}},
		{[]int{197, 1, 768}, []int{1, 0, 2}},
		{[]int{197, 12, 64}, []int{1, 0, 2}},
		{[]int{12, 197, 64}, []int{1, 2, 0}},
		{[]int{1, 768, 196}, []int{0, 2, 1}},
		{[]int{3, 1, 1}, []int{2, 1, 0}},
		{[]int{5, 0, 3}, []int{2, 0, 1}},
		{[]int{}, []int{}},
		{[]int{33, 65}, []int{1, 0}},
	}
	for i := 0; i < 200; i++ {
		rank := 1 + r.Intn(5)
		shape := make([]int, rank)
		for j := range shape {
			shape[j] = 1 + r.Intn(9)
			if r.Intn(4) == 0 {
				shape[j] = 1
			}
			if r.Intn(8) == 0 {
				shape[j] = 30 + r.Intn(40)
			}
		}
		cases = append(cases, tc{shape, r.Perm(rank)})
	}
	fill := func(x *tensor.Tensor) {
		v := reflect.ValueOf(x.Data)
		for i := 0; i < v.Len(); i++ {
			v.Index(i).Set(reflect.ValueOf(i * 7919).Convert(v.Type().Elem()))
		}
	}
	dtypes := []tensor.DType{tensor.Float32, tensor.Float64, tensor.Int64, tensor.Int32, tensor.Uint32, tensor.Float16, tensor.Uint8}
	for k, c := range cases {
		dt := dtypes[k%len(dtypes)]
		if k < 13 {
			dt = tensor.Float32
		}
		t.Run(fmt.Sprint(dt, c.shape, c.perm), func(t *testing.T) {
			x := tensor.New(dt, c.shape...)
			fill(x)
			got, err := transpose(x, c.perm)
			if err != nil {
				t.Fatal(err)
			}
			want, err := transposeGather(x, got.Shape, c.perm)
			if err != nil {
				t.Fatal(err)
			}
			if !tensor.SameShape(got.Shape, want.Shape) || !reflect.DeepEqual(got.Data, want.Data) {
				t.Fatalf("got %v %v, want %v %v", got.Shape, got.Data, want.Shape, want.Data)
			}
		})
	}
}

func BenchmarkTranspose(b *testing.B) {
	for _, c := range []struct{ shape, perm []int }{
		{[]int{1, 96, 56, 56}, []int{0, 2, 3, 1}},
		{[]int{1, 56, 56, 96}, []int{0, 3, 1, 2}},
		{[]int{1, 64, 4, 64}, []int{0, 2, 1, 3}},
		{[]int{12, 197, 64}, []int{1, 2, 0}},
		{[]int{197, 12, 64}, []int{1, 0, 2}},
	} {
		x := tensor.New(tensor.Float32, c.shape...)
		shape := make([]int, len(c.perm))
		for i, a := range c.perm {
			shape[i] = c.shape[a]
		}
		for name, f := range map[string]func() (*tensor.Tensor, error){
			"planned":     func() (*tensor.Tensor, error) { return transpose(x, c.perm) },
			"index-table": func() (*tensor.Tensor, error) { return transposeGather(x, shape, c.perm) },
		} {
			b.Run(fmt.Sprint(c.shape, c.perm, name), func(b *testing.B) {
				b.SetBytes(int64(4 * x.Len()))
				for b.Loop() {
					if _, err := f(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestSliceStrided checks Slice's strided copy (float32) against its
// index-table path (strings, which have no fast path) on random slices:
// negative and out-of-range starts and ends, steps of ±1, ±2 and -3, empty
// results, and ViT's qkv split.
func TestSliceStrided(t *testing.T) {
	r := rand.New(rand.NewSource(13))
	type tc struct {
		shape                     []int
		starts, ends, axes, steps []int64
	}
	cases := []tc{
		{[]int{197, 1, 2304}, []int64{768}, []int64{1536}, []int64{-1}, []int64{1}},
		{[]int{1, 197, 768}, []int64{0}, []int64{1}, []int64{1}, []int64{1}},
		{[]int{4, 5}, []int64{0, 3}, []int64{4, 3}, []int64{0, 1}, []int64{1, 1}},
	}
	for i := 0; i < 300; i++ {
		rank := 1 + r.Intn(4)
		c := tc{shape: make([]int, rank)}
		for j := range c.shape {
			c.shape[j] = 1 + r.Intn(7)
			if r.Intn(6) == 0 {
				c.shape[j] = 40 + r.Intn(30)
			}
		}
		for _, a := range r.Perm(rank)[:1+r.Intn(rank)] {
			d := int64(c.shape[a])
			c.axes = append(c.axes, int64(a))
			c.starts = append(c.starts, r.Int63n(2*d+3)-d-1)
			c.ends = append(c.ends, r.Int63n(2*d+3)-d-1)
			c.steps = append(c.steps, []int64{1, 1, 1, -1, 2, -2, -3}[r.Intn(7)])
		}
		cases = append(cases, c)
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.shape, c.starts, c.ends, c.axes, c.steps), func(t *testing.T) {
			f := tensor.New(tensor.Float32, c.shape...)
			s := tensor.New(tensor.String, c.shape...)
			for i := range f.Float32s() {
				f.Float32s()[i] = float32(i)
				s.Data.([]string)[i] = fmt.Sprint(float32(i))
			}
			got, err := slice(f, c.starts, c.ends, c.axes, c.steps)
			if err != nil {
				t.Fatal(err)
			}
			want, err := slice(s, c.starts, c.ends, c.axes, c.steps)
			if err != nil {
				t.Fatal(err)
			}
			if !tensor.SameShape(got.Shape, want.Shape) {
				t.Fatalf("shape %v, want %v", got.Shape, want.Shape)
			}
			for i, w := range want.Data.([]string) {
				if g := fmt.Sprint(got.Float32s()[i]); g != w {
					t.Fatalf("element %d = %s, want %s", i, g, w)
				}
			}
		})
	}
}

// TestSliceRejectsMalformed: a tensor whose data does not match its shape
// is an error before any copy (the copy runs in goroutines, where a panic
// would take the process down).
func TestSliceRejectsMalformed(t *testing.T) {
	x := &tensor.Tensor{DType: tensor.Float32, Shape: []int{2, 3}, Data: make([]float32, 4)}
	if _, err := slice(x, []int64{0}, []int64{2}, nil, nil); err == nil {
		t.Fatal("Slice of a [2 3] tensor holding 4 values: no error")
	}
}
