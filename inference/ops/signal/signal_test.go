package signal

import (
	"math"
	"testing"

	kt "github.com/papdl/papdl/inference/ops/kernel/kerneltest"
)

func TestWindows(t *testing.T) {
	size := kt.I64(nil, 4)
	out := kt.Run(t, buildWindow([3]float64{0.5, -0.5, 0}), kt.Node("HannWindow", 1, 1), 17, size)
	kt.Close(t, "periodic hann", out[0], []int{4}, []float64{0, 0.5, 1, 0.5}, 1e-7)
	out = kt.Run(t, buildWindow([3]float64{0.5, -0.5, 0}), kt.Node("HannWindow", 1, 1, kt.Int("periodic", 0)), 17, size)
	kt.Close(t, "symmetric hann", out[0], []int{4}, []float64{0, 0.75, 0.75, 0}, 1e-7)
}

func TestDFT(t *testing.T) {
	// The DFT of an impulse is flat; of a constant, an impulse.
	impulse := kt.F32([]int{1, 4, 1}, 1, 0, 0, 0)
	out := kt.Run(t, buildDFT, kt.Node("DFT", 1, 1), 17, impulse)
	kt.Close(t, "impulse", out[0], []int{1, 4, 2}, []float64{1, 0, 1, 0, 1, 0, 1, 0}, 1e-9)
	flat := kt.F32([]int{1, 4, 1}, 1, 1, 1, 1)
	out = kt.Run(t, buildDFT, kt.Node("DFT", 1, 1, kt.Int("onesided", 1)), 17, flat)
	kt.Close(t, "onesided", out[0], []int{1, 3, 2}, []float64{4, 0, 0, 0, 0, 0}, 1e-9)
	// Inverse of the forward transform gives the signal back.
	sig := kt.F32([]int{1, 3, 1}, 1, 2, 3)
	fw := kt.Run(t, buildDFT, kt.Node("DFT", 1, 1), 17, sig)
	back := kt.Run(t, buildDFT, kt.Node("DFT", 1, 1, kt.Int("inverse", 1)), 17, fw[0])
	kt.Close(t, "round trip", back[0], []int{1, 3, 2}, []float64{1, 0, 2, 0, 3, 0}, 1e-6)
}

func TestSTFT(t *testing.T) {
	// Frames of 2 with step 2 over (1, 2, 3, 4): DC bins 3 and 7, Nyquist -1.
	x := kt.F32([]int{1, 4, 1}, 1, 2, 3, 4)
	out := kt.Run(t, buildSTFT, kt.Node("STFT", 4, 1), 17, x, kt.I64(nil, 2), nil, kt.I64(nil, 2))
	kt.Close(t, "stft", out[0], []int{1, 2, 2, 2}, []float64{3, 0, -1, 0, 7, 0, -1, 0}, 1e-9)
}

func TestMelWeightMatrix(t *testing.T) {
	out := kt.Run(t, buildMelWeightMatrix, kt.Node("MelWeightMatrix", 5, 1), 17,
		kt.I64(nil, 8), kt.I64(nil, 16), kt.I64(nil, 8192), kt.F32(nil, 0), kt.F32(nil, 4096))
	if len(out[0].Shape) != 2 || out[0].Shape[0] != 9 || out[0].Shape[1] != 8 {
		t.Fatalf("shape %v, want [9 8]", out[0].Shape)
	}
	// Every band peaks at 1.
	for m := 0; m < 8; m++ {
		peak := 0.0
		for j := 0; j < 9; j++ {
			peak = math.Max(peak, float64(out[0].Float32s()[j*8+m]))
		}
		if peak != 1 {
			t.Errorf("band %d peaks at %g, want 1", m, peak)
		}
	}
}
