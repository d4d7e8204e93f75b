package kernel

import (
	"fmt"
	"math"
	"testing"

	"github.com/papdl/papdl/inference/tensor"
)

func TestBroadcast(t *testing.T) {
	tests := []struct {
		in, out []int
		want    string
	}{
		{[]int{3}, []int{2, 3}, "[0 1 2 0 1 2]"},
		{[]int{2, 1}, []int{2, 3}, "[0 0 0 1 1 1]"},
		{[]int{}, []int{2}, "[0 0]"},
		{[]int{2, 3}, []int{2, 3}, "[0 1 2 3 4 5]"},
	}
	for _, tc := range tests {
		if got := fmt.Sprint(BroadcastIndex(tc.in, tc.out)); got != tc.want {
			t.Errorf("BroadcastIndex(%v, %v) = %s, want %s", tc.in, tc.out, got, tc.want)
		}
	}
	if s, err := BroadcastShape([]int{2, 1}, []int{3}, []int{1, 1, 1}); err != nil || fmt.Sprint(s) != "[1 2 3]" {
		t.Errorf("BroadcastShape = %v, %v, want [1 2 3]", s, err)
	}
	if _, err := BroadcastShape([]int{2}, []int{3}); err == nil {
		t.Error("shapes [2] and [3] broadcast")
	}
}

func TestFloatsRoundTrip(t *testing.T) {
	v := []float64{-1.5, 0, 2.75, 65504}
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16} {
		x, err := FromFloats(dt, []int{4}, v)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Floats(x)
		if err != nil {
			t.Fatal(err)
		}
		for i := range v {
			tol := 0.0
			if dt == tensor.BFloat16 {
				tol = 256 // 65504 is not a bfloat16
			}
			if math.Abs(back[i]-v[i]) > tol {
				t.Errorf("%s: element %d round-trips to %g, want %g", dt, i, back[i], v[i])
			}
		}
	}
	x, _ := FromFloats(tensor.Int32, []int{3}, []float64{-2.7, 0.5, 3})
	if got := fmt.Sprint(x.Int32s()); got != "[-2 0 3]" {
		t.Errorf("int32 from floats = %s, want [-2 0 3] (truncation)", got)
	}
}

func TestTakePut(t *testing.T) {
	src := tensor.MustFromSlice([]string{"a", "b", "c"}, 3)
	got, err := Take(src, []int{2, 2}, []int{2, -1, 0, 1})
	if err != nil || fmt.Sprint(got.Data) != "[c  a b]" {
		t.Fatalf("Take = %v, %v", got, err)
	}
	dst := tensor.New(tensor.Int64, 3)
	if err := Put(dst, tensor.MustFromSlice([]int64{7, 8}, 2), []int{2, 2}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(dst.Int64s()) != "[0 0 8]" {
		t.Errorf("Put = %v, want [0 0 8] (later writes win)", dst.Int64s())
	}
	if err := Put(dst, tensor.MustFromSlice([]int32{1}, 1), []int{0}); err == nil {
		t.Error("Put of int32 into int64 succeeded")
	}
}
