// Package signal implements ONNX's signal-processing operators (opset 17):
// the window generators HannWindow, HammingWindow and BlackmanWindow, DFT,
// STFT and MelWeightMatrix. Transforms are direct O(n²) sums in float64 in
// a fixed order, so results are the same bits on every run.
package signal

import (
	"fmt"
	"math"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// Register adds this package's operators.
func Register(add kernel.AddFunc) {
	add("HannWindow", buildWindow([3]float64{0.5, -0.5, 0}))
	add("HammingWindow", buildWindow([3]float64{25.0 / 46, -(1 - 25.0/46), 0}))
	add("BlackmanWindow", buildWindow([3]float64{0.42, -0.5, 0.08}))
	add("DFT", buildDFT)
	add("STFT", buildSTFT)
	add("MelWeightMatrix", buildMelWeightMatrix)
}

func scalar(t *tensor.Tensor, what string) (float64, error) {
	if t == nil {
		return 0, fmt.Errorf("input %s is missing", what)
	}
	v, err := kernel.Floats(t)
	if err != nil {
		return 0, fmt.Errorf("input %s: %w", what, err)
	}
	if len(v) != 1 {
		return 0, fmt.Errorf("input %s has %d elements, want 1", what, len(v))
	}
	return v[0], nil
}

func outputType(n *onnx.Node) (tensor.DType, error) {
	v, err := n.AttrInt("output_datatype", int64(tensor.Float32))
	if err != nil {
		return 0, err
	}
	dt := tensor.DType(v)
	if !dt.Valid() || dt == tensor.String || dt == tensor.Bool {
		return 0, fmt.Errorf("output_datatype = %d is not a numeric type", v)
	}
	return dt, nil
}

// buildWindow makes a generalized cosine window
// w[n] = a0 + a1·cos(2πn/N) + a2·cos(4πn/N), N = size (periodic) or size-1.
func buildWindow(a [3]float64) kernel.Builder {
	return func(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
		dt, err := outputType(n)
		if err != nil {
			return nil, err
		}
		periodic, err := n.AttrInt("periodic", 1)
		if err != nil {
			return nil, err
		}
		return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			s, err := scalar(kernel.Input(in, 0), "size")
			if err != nil {
				return nil, err
			}
			size := int(s)
			if size < 0 {
				return nil, fmt.Errorf("size = %d is negative", size)
			}
			den := float64(size)
			if periodic == 0 {
				den = float64(size - 1)
			}
			w := make([]float64, size)
			for i := range w {
				x := 2 * math.Pi * float64(i) / den
				w[i] = a[0] + a[1]*math.Cos(x) + a[2]*math.Cos(2*x)
			}
			out, err := kernel.FromFloats(dt, []int{size}, w)
			if err != nil {
				return nil, err
			}
			return []*tensor.Tensor{out}, nil
		}), nil
	}
}

// dft transforms the complex sequence (re, im) of length n (zero padded or
// truncated to length) and returns bins [0, nbins).
func dft(re, im []float64, length, nbins int, inverse bool) ([]float64, []float64) {
	or, oi := make([]float64, nbins), make([]float64, nbins)
	sign := -1.0
	if inverse {
		sign = 1
	}
	for k := 0; k < nbins; k++ {
		var sr, si float64
		for t := 0; t < min(len(re), length); t++ {
			ang := sign * 2 * math.Pi * float64((k*t)%length) / float64(length)
			c, s := math.Cos(ang), math.Sin(ang)
			sr += re[t]*c - im[t]*s
			si += re[t]*s + im[t]*c
		}
		if inverse {
			sr /= float64(length)
			si /= float64(length)
		}
		or[k], oi[k] = sr, si
	}
	return or, oi
}

func buildDFT(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	axis, err := n.AttrInt("axis", 1)
	if err != nil {
		return nil, err
	}
	inverse, err := n.AttrInt("inverse", 0)
	if err != nil {
		return nil, err
	}
	onesided, err := n.AttrInt("onesided", 0)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 1); err != nil {
			return nil, err
		}
		x := in[0]
		r := x.Rank()
		if r < 2 || (x.Shape[r-1] != 1 && x.Shape[r-1] != 2) || !kernel.IsFloat(x.DType) {
			return nil, fmt.Errorf("input is %s%v, want floats of shape (..., 1 or 2)", x.DType, x.Shape)
		}
		ax, err := kernel.NormalizeAxis(axis, r-1)
		if err != nil {
			return nil, err
		}
		n := x.Shape[ax]
		length := n
		if t := kernel.Input(in, 1); t != nil {
			v, err := scalar(t, "dft_length")
			if err != nil {
				return nil, err
			}
			length = int(v)
		}
		if length < 1 {
			return nil, fmt.Errorf("dft_length = %d, want >= 1", length)
		}
		nbins := length
		if onesided != 0 {
			nbins = length/2 + 1
		}
		xv, err := kernel.Floats(x)
		if err != nil {
			return nil, err
		}
		comps := x.Shape[r-1]
		outer := tensor.NumElements(x.Shape[:ax])
		inner := tensor.NumElements(x.Shape[ax+1 : r-1])
		shape := append([]int{}, x.Shape...)
		shape[ax], shape[r-1] = nbins, 2
		y := make([]float64, outer*nbins*inner*2)
		re, im := make([]float64, n), make([]float64, n)
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				for t := 0; t < n; t++ {
					p := ((o*n+t)*inner + i) * comps
					re[t] = xv[p]
					im[t] = 0
					if comps == 2 {
						im[t] = xv[p+1]
					}
				}
				fr, fi := dft(re, im, length, nbins, inverse != 0)
				for k := 0; k < nbins; k++ {
					q := ((o*nbins+k)*inner + i) * 2
					y[q], y[q+1] = fr[k], fi[k]
				}
			}
		}
		out, err := kernel.FromFloats(x.DType, shape, y)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{out}, nil
	}), nil
}

func buildSTFT(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	onesided, err := n.AttrInt("onesided", 1)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := kernel.NeedInputs(in, 2); err != nil {
			return nil, err
		}
		x := in[0]
		if x.Rank() != 3 || (x.Shape[2] != 1 && x.Shape[2] != 2) || !kernel.IsFloat(x.DType) {
			return nil, fmt.Errorf("signal is %s%v, want floats of shape (batch, length, 1 or 2)", x.DType, x.Shape)
		}
		st, err := scalar(in[1], "frame_step")
		if err != nil {
			return nil, err
		}
		step := int(st)
		var window []float64
		if w := kernel.Input(in, 2); w != nil {
			if window, err = kernel.Floats(w); err != nil {
				return nil, fmt.Errorf("window: %w", err)
			}
		}
		frameLen := len(window)
		if t := kernel.Input(in, 3); t != nil {
			v, err := scalar(t, "frame_length")
			if err != nil {
				return nil, err
			}
			frameLen = int(v)
		}
		if window != nil && len(window) != frameLen {
			return nil, fmt.Errorf("window has %d values, frame_length is %d", len(window), frameLen)
		}
		nb, sl, comps := x.Shape[0], x.Shape[1], x.Shape[2]
		if step < 1 || frameLen < 1 || frameLen > sl {
			return nil, fmt.Errorf("frame_step %d and frame_length %d do not fit a signal of %d", step, frameLen, sl)
		}
		frames := (sl-frameLen)/step + 1
		nbins := frameLen
		if onesided != 0 {
			nbins = frameLen/2 + 1
		}
		xv, err := kernel.Floats(x)
		if err != nil {
			return nil, err
		}
		y := make([]float64, nb*frames*nbins*2)
		re, im := make([]float64, frameLen), make([]float64, frameLen)
		for b := 0; b < nb; b++ {
			for f := 0; f < frames; f++ {
				for t := 0; t < frameLen; t++ {
					p := (b*sl + f*step + t) * comps
					w := 1.0
					if window != nil {
						w = window[t]
					}
					re[t], im[t] = xv[p]*w, 0
					if comps == 2 {
						im[t] = xv[p+1] * w
					}
				}
				fr, fi := dft(re, im, frameLen, nbins, false)
				for k := 0; k < nbins; k++ {
					q := ((b*frames+f)*nbins + k) * 2
					y[q], y[q+1] = fr[k], fi[k]
				}
			}
		}
		out, err := kernel.FromFloats(x.DType, []int{nb, frames, nbins, 2}, y)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{out}, nil
	}), nil
}

// buildMelWeightMatrix follows the ONNX definition: num_mel_bins+2 points
// evenly spaced on the mel scale mel(f) = 2595·log10(1 + f/700) between
// the edges (step (high-low)/(num_mel_bins+2)), mapped to spectrogram bins
// floor((dft_length+1)·f / sample_rate), and triangles between neighbours.
func buildMelWeightMatrix(n *onnx.Node, _ int64, _ []*tensor.Tensor) (kernel.Kernel, error) {
	dt, err := outputType(n)
	if err != nil {
		return nil, err
	}
	return kernel.Func(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		var v [5]float64
		for i, name := range []string{"num_mel_bins", "dft_length", "sample_rate", "lower_edge_hertz", "upper_edge_hertz"} {
			x, err := scalar(kernel.Input(in, i), name)
			if err != nil {
				return nil, err
			}
			v[i] = x
		}
		mels, dftLen, rate := int(v[0]), int(v[1]), v[2]
		if mels < 1 || dftLen < 1 || rate <= 0 {
			return nil, fmt.Errorf("num_mel_bins %d, dft_length %d and sample_rate %g must be positive", mels, dftLen, rate)
		}
		spec := dftLen/2 + 1
		mel := func(f float64) float64 { return 2595 * math.Log10(1+f/700) }
		lo, hi := mel(float64(float32(v[3]))), mel(float64(float32(v[4])))
		step := (hi - lo) / float64(mels+2)
		bins := make([]int, mels+2)
		for i := range bins {
			f := 700 * (math.Pow(10, (float64(i)*step+lo)/2595) - 1)
			bins[i] = int(math.Floor(float64(dftLen+1) * f / rate))
		}
		w := make([]float64, spec*mels)
		set := func(j, i int, x float64) error {
			if j < 0 || j >= spec {
				return fmt.Errorf("mel band %d reaches bin %d of %d", i, j, spec)
			}
			w[j*mels+i] = x
			return nil
		}
		for i := 0; i < mels; i++ {
			l, c, r := bins[i], bins[i+1], bins[i+2]
			if c == l {
				if err := set(c, i, 1); err != nil {
					return nil, err
				}
			} else {
				for j := l; j <= c; j++ {
					if err := set(j, i, float64(j-l)/float64(c-l)); err != nil {
						return nil, err
					}
				}
			}
			for j := c; j < r; j++ {
				if err := set(j, i, float64(r-j)/float64(r-c)); err != nil {
					return nil, err
				}
			}
		}
		out, err := kernel.FromFloats(dt, []int{spec, mels}, w)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{out}, nil
	}), nil
}
