package nn

import (
	"fmt"
	"runtime"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// gemmKernel is a compiled Gemm node: Y = alpha·op(A)·op(B) + beta·C.
type gemmKernel struct {
	transA, transB bool
	alpha, beta    float32
	// packedB is the constant B packed as a k×n right operand (nil when B
	// is a runtime input); packedShape is the shape it was packed from.
	packedB     []float32
	packedShape []int
	// epi, when non-nil, is fused into the output (see kernel.Fuser).
	epi *kernel.Epilogue
	// shared, when set, lends the packing buffers (kernel.ScratchUser).
	shared *kernel.Scratch
}

// UseScratch implements kernel.ScratchUser.
func (k *gemmKernel) UseScratch(s *kernel.Scratch) { k.shared = s }

// borrow returns a buffer of n floats with stale contents from s, or a new
// one when s is nil; giveBack returns it.
func borrow(s *kernel.Scratch, n int) []float32 {
	if s == nil {
		return make([]float32, n)
	}
	return s.Get(n)
}

func giveBack(s *kernel.Scratch, b []float32) {
	if s != nil {
		s.Put(b)
	}
}

// Fuse implements kernel.Fuser.
func (k *gemmKernel) Fuse(e kernel.Epilogue) (kernel.Kernel, bool) {
	if k.epi != nil {
		return nil, false
	}
	f := *k
	f.epi = &e
	return &f, true
}

// PackedInputs implements kernel.Packer: B when it was packed at build time.
func (k *gemmKernel) PackedInputs() []int {
	if k.packedB == nil {
		return nil
	}
	return []int{1}
}

// epilogueInput splits the fused residual off inputs.
func epilogueInput(epi *kernel.Epilogue, inputs []*tensor.Tensor) (*tensor.Tensor, []*tensor.Tensor, error) {
	if epi == nil || !epi.Residual {
		return nil, inputs, nil
	}
	i := epi.ResidualInput
	res := kernel.Input(inputs, i)
	if res == nil {
		return nil, nil, fmt.Errorf("missing the fused residual (input %d)", i)
	}
	return res, inputs[:i], nil
}

// checkEpilogue returns the residual's data, or ErrNotFused when the
// epilogue does not fit an output of this dtype and shape.
func checkEpilogue(epi *kernel.Epilogue, res *tensor.Tensor, dt tensor.DType, shape []int) ([]float32, error) {
	if epi == nil {
		return nil, nil
	}
	if dt != tensor.Float32 || len(shape) == 0 {
		return nil, kernel.ErrNotFused
	}
	if epi.Bias != nil && len(epi.Bias) != shape[len(shape)-1] {
		return nil, kernel.ErrNotFused
	}
	if res == nil {
		return nil, nil
	}
	if res.DType != tensor.Float32 || !tensor.SameShape(res.Shape, shape) {
		return nil, kernel.ErrNotFused
	}
	return res.Float32s(), nil
}

// rowPost returns the tilePost applying epi to a row-major C with leading
// dimension ldc (the output's last dimension), with res laid out like C.
func rowPost(epi *kernel.Epilogue, c, res []float32, ldc int) tilePost {
	if epi == nil {
		return nil
	}
	return func(i0, i1, j0, j1 int) {
		for i := i0; i < i1; i++ {
			var r []float32
			if res != nil {
				r = res[i*ldc+j0 : i*ldc+j1]
			}
			epi.Apply(c[i*ldc+j0:i*ldc+j1], r, j0)
		}
	}
}

func buildGemm(n *onnx.Node, opset int64, consts []*tensor.Tensor) (kernel.Kernel, error) {
	ta, err := n.AttrInt("transA", 0)
	if err != nil {
		return nil, err
	}
	tb, err := n.AttrInt("transB", 0)
	if err != nil {
		return nil, err
	}
	alpha, err := n.AttrFloat("alpha", 1)
	if err != nil {
		return nil, err
	}
	beta, err := n.AttrFloat("beta", 1)
	if err != nil {
		return nil, err
	}
	if bc, err := n.AttrInt("broadcast", 1); err != nil {
		return nil, err
	} else if bc == 0 && opset < 7 {
		return nil, fmt.Errorf("broadcast = 0 (opset < 7) is not supported")
	}
	k := &gemmKernel{transA: ta != 0, transB: tb != 0, alpha: alpha, beta: beta}
	if len(consts) > 1 && consts[1] != nil && consts[1].DType == tensor.Float32 && consts[1].Rank() == 2 {
		b := consts[1]
		kk, nn := b.Shape[0], b.Shape[1]
		if k.transB {
			kk, nn = nn, kk
		}
		k.packedB = make([]float32, packedSizeB(kk, nn))
		packB(k.packedB, kk, nn, b.Float32s(), b.Shape[1], k.transB)
		k.packedShape = append([]int{}, b.Shape...)
	}
	return k, nil
}

func (k *gemmKernel) Run(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	res, inputs, err := epilogueInput(k.epi, inputs)
	if err != nil {
		return nil, err
	}
	if err := kernel.NeedInputs(inputs, 2); err != nil {
		return nil, err
	}
	a, b, c := inputs[0], inputs[1], kernel.Input(inputs, 2)
	if a.Rank() != 2 || b.Rank() != 2 {
		return nil, fmt.Errorf("inputs A %v and B %v must be matrices", a.Shape, b.Shape)
	}
	if a.DType != b.DType {
		return nil, fmt.Errorf("input A has type %s and B %s", a.DType, b.DType)
	}
	m, ka := a.Shape[0], a.Shape[1]
	if k.transA {
		m, ka = ka, m
	}
	kb, n := b.Shape[0], b.Shape[1]
	if k.transB {
		kb, n = n, kb
	}
	if ka != kb {
		return nil, fmt.Errorf("op(A) is %dx%d but op(B) is %dx%d (transA=%v, transB=%v)", m, ka, kb, n, k.transA, k.transB)
	}
	resData, err := checkEpilogue(k.epi, res, a.DType, []int{m, n})
	if err != nil {
		return nil, err
	}
	y := tensor.New(a.DType, m, n)
	add := false
	if c != nil && k.beta != 0 {
		if c.DType != a.DType {
			return nil, fmt.Errorf("input C has type %s, want %s", c.DType, a.DType)
		}
		if err := broadcastBias(y, c, k.beta); err != nil {
			return nil, err
		}
		add = true
	}
	switch a.DType {
	case tensor.Float32:
	case tensor.Float64:
		naiveGemm64(k.transA, k.transB, m, n, ka, float64(k.alpha), a.Float64s(), a.Shape[1], b.Float64s(), b.Shape[1], y.Float64s(), add)
		return []*tensor.Tensor{y}, nil
	default:
		return nil, fmt.Errorf("input A has type %s, want float32 or float64", a.DType)
	}
	ad, bd, yd := a.Float32s(), b.Float32s(), y.Float32s()
	pb := k.packedB
	if pb != nil && !tensor.SameShape(k.packedShape, b.Shape) {
		pb = nil
	}
	if m == 1 {
		x := ad[:ka]
		if k.alpha != 1 {
			x = make([]float32, ka)
			for i, v := range ad[:ka] {
				x[i] = k.alpha * v
			}
		}
		// A runtime B is packed too, so that constant and runtime weights
		// give the same bits.
		if pb == nil {
			pb = borrow(k.shared, packedSizeB(ka, n))
			defer giveBack(k.shared, pb)
			packB(pb, ka, n, bd, b.Shape[1], k.transB)
		}
		sgemvPacked(n, ka, x, pb, yd, true)
		if k.epi != nil {
			k.epi.Apply(yd, resData, 0)
		}
		return []*tensor.Tensor{y}, nil
	}
	pa := borrow(k.shared, packedSizeA(m, ka))
	defer giveBack(k.shared, pa)
	packA(pa, m, ka, ad, a.Shape[1], k.transA, k.alpha)
	if pb == nil {
		pb = borrow(k.shared, packedSizeB(ka, n))
		defer giveBack(k.shared, pb)
		packB(pb, ka, n, bd, b.Shape[1], k.transB)
	}
	sgemmPackedPost(m, n, ka, pa, pb, yd, n, add, true, rowPost(k.epi, yd, resData, n))
	return []*tensor.Tensor{y}, nil
}

// broadcastBias sets y (m×n) to beta·c with c unidirectionally broadcast
// (scalar, [n], [1,n], [m,1], [m,n] ...).
func broadcastBias(y, c *tensor.Tensor, beta float32) error {
	m, n := y.Shape[0], y.Shape[1]
	if c.Rank() > 2 {
		return fmt.Errorf("input C has shape %v, not broadcastable to [%d %d]", c.Shape, m, n)
	}
	cm, cn := 1, 1
	switch c.Rank() {
	case 1:
		cn = c.Shape[0]
	case 2:
		cm, cn = c.Shape[0], c.Shape[1]
	}
	if (cm != 1 && cm != m) || (cn != 1 && cn != n) {
		return fmt.Errorf("input C has shape %v, not broadcastable to [%d %d]", c.Shape, m, n)
	}
	rs, cs := cn, 1
	if cm == 1 {
		rs = 0
	}
	if cn == 1 {
		cs = 0
	}
	switch c.DType {
	case tensor.Float32:
		fillBias(y.Float32s(), c.Float32s(), m, n, rs, cs, beta)
	case tensor.Float64:
		fillBias(y.Float64s(), c.Float64s(), m, n, rs, cs, float64(beta))
	default:
		return fmt.Errorf("input C has type %s, want float32 or float64", c.DType)
	}
	return nil
}

func fillBias[T float32 | float64](y, c []T, m, n, rs, cs int, beta T) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			v := c[i*rs+j*cs]
			if beta != 1 {
				v *= beta
			}
			y[i*n+j] = v
		}
	}
}

// naiveGemm64 computes y (m×n) (+)= alpha·op(A)·op(B) in float64.
func naiveGemm64(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, y []float64, add bool) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float64
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			if add {
				y[i*n+j] += alpha * s
			} else {
				y[i*n+j] = alpha * s
			}
		}
	}
}

// matMulKernel is a compiled MatMul node (numpy.matmul semantics).
type matMulKernel struct {
	// packedB is a constant 2-D (or 1-D) B packed as a k×n right operand.
	packedB     []float32
	packedShape []int
	// epi, when non-nil, is fused into the output (see kernel.Fuser).
	epi *kernel.Epilogue
	// shared, when set, lends the packing buffers (kernel.ScratchUser).
	shared *kernel.Scratch
}

// UseScratch implements kernel.ScratchUser.
func (k *matMulKernel) UseScratch(s *kernel.Scratch) { k.shared = s }

// Fuse implements kernel.Fuser.
func (k *matMulKernel) Fuse(e kernel.Epilogue) (kernel.Kernel, bool) {
	if k.epi != nil {
		return nil, false
	}
	f := *k
	f.epi = &e
	return &f, true
}

// PackedInputs implements kernel.Packer: B when it was packed at build time.
func (k *matMulKernel) PackedInputs() []int {
	if k.packedB == nil {
		return nil
	}
	return []int{1}
}

func buildMatMul(n *onnx.Node, opset int64, consts []*tensor.Tensor) (kernel.Kernel, error) {
	k := &matMulKernel{}
	if len(consts) > 1 && consts[1] != nil && consts[1].DType == tensor.Float32 && consts[1].Rank() <= 2 && consts[1].Rank() >= 1 {
		b := consts[1]
		kk, nn := b.Shape[0], 1
		if b.Rank() == 2 {
			nn = b.Shape[1]
		}
		k.packedB = make([]float32, packedSizeB(kk, nn))
		packB(k.packedB, kk, nn, b.Float32s(), nn, false)
		k.packedShape = append([]int{}, b.Shape...)
	}
	return k, nil
}

// matMulShape describes a broadcast batched product.
type matMulShape struct {
	m, k, n int
	out     []int
	// aOff and bOff are the matrix offsets (in elements) of every output
	// batch entry.
	aOff, bOff []int
}

func planMatMul(as, bs []int) (*matMulShape, error) {
	if len(as) == 0 || len(bs) == 0 {
		return nil, fmt.Errorf("inputs A %v and B %v: MatMul needs rank >= 1", as, bs)
	}
	a, b := append([]int{}, as...), append([]int{}, bs...)
	dropM, dropN := false, false
	if len(a) == 1 {
		a = []int{1, a[0]}
		dropM = true
	}
	if len(b) == 1 {
		b = []int{b[0], 1}
		dropN = true
	}
	p := &matMulShape{m: a[len(a)-2], k: a[len(a)-1], n: b[len(b)-1]}
	if b[len(b)-2] != p.k {
		return nil, fmt.Errorf("inputs A %v and B %v: inner dimensions %d and %d differ", as, bs, p.k, b[len(b)-2])
	}
	ab, bb := a[:len(a)-2], b[:len(b)-2]
	rank := max(len(ab), len(bb))
	batch := make([]int, rank)
	for i := 0; i < rank; i++ {
		da, db := 1, 1
		if j := i - (rank - len(ab)); j >= 0 {
			da = ab[j]
		}
		if j := i - (rank - len(bb)); j >= 0 {
			db = bb[j]
		}
		switch {
		case da == db, db == 1:
			batch[i] = da
		case da == 1:
			batch[i] = db
		default:
			return nil, fmt.Errorf("inputs A %v and B %v: batch dimensions %d and %d do not broadcast", as, bs, da, db)
		}
	}
	nb := tensor.NumElements(batch)
	p.aOff = make([]int, nb)
	p.bOff = make([]int, nb)
	idx := make([]int, rank)
	for t := 0; t < nb; t++ {
		ao, bo := 0, 0
		for i := 0; i < rank; i++ {
			if j := i - (rank - len(ab)); j >= 0 {
				ao = ao*ab[j] + min(idx[i], ab[j]-1)
			}
			if j := i - (rank - len(bb)); j >= 0 {
				bo = bo*bb[j] + min(idx[i], bb[j]-1)
			}
		}
		p.aOff[t], p.bOff[t] = ao*p.m*p.k, bo*p.k*p.n
		for i := rank - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < batch[i] {
				break
			}
			idx[i] = 0
		}
	}
	p.out = batch
	if !dropM {
		p.out = append(p.out, p.m)
	}
	if !dropN {
		p.out = append(p.out, p.n)
	}
	return p, nil
}

func (k *matMulKernel) Run(inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	res, inputs, err := epilogueInput(k.epi, inputs)
	if err != nil {
		return nil, err
	}
	if err := kernel.NeedInputs(inputs, 2); err != nil {
		return nil, err
	}
	a, b := inputs[0], inputs[1]
	if a.DType != b.DType {
		return nil, fmt.Errorf("input A has type %s and B %s", a.DType, b.DType)
	}
	p, err := planMatMul(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	resData, err := checkEpilogue(k.epi, res, a.DType, p.out)
	if err != nil {
		return nil, err
	}
	y := tensor.New(a.DType, p.out...)
	switch a.DType {
	case tensor.Float32:
		k.runFloat32(p, a, b, y, resData)
	case tensor.Float64:
		naiveMatMul(p, a.Float64s(), b.Float64s(), y.Float64s())
	case tensor.Int32:
		naiveMatMul(p, a.Int32s(), b.Int32s(), y.Int32s())
	case tensor.Int64:
		naiveMatMul(p, a.Int64s(), b.Int64s(), y.Int64s())
	case tensor.Uint32:
		naiveMatMul(p, a.Data.([]uint32), b.Data.([]uint32), y.Data.([]uint32))
	case tensor.Uint64:
		naiveMatMul(p, a.Data.([]uint64), b.Data.([]uint64), y.Data.([]uint64))
	default:
		return nil, fmt.Errorf("input A has type %s, want a float or 32/64-bit integer type", a.DType)
	}
	return []*tensor.Tensor{y}, nil
}

func (k *matMulKernel) runFloat32(p *matMulShape, a, b, y *tensor.Tensor, res []float32) {
	ad, bd, yd := a.Float32s(), b.Float32s(), y.Float32s()
	nb := len(p.aOff)
	if nb == 0 || p.m == 0 || p.n == 0 {
		return
	}
	if k.epi != nil && len(p.out) > 0 && p.out[len(p.out)-1] != p.n {
		// A 1-D B drops the column axis: the output's last axis is m.
		defer k.epi.Apply(yd, res, 0)
		k.runProducts(p, ad, bd, yd, b, nil, nil)
		return
	}
	k.runProducts(p, ad, bd, yd, b, k.epi, res)
}

// runProducts computes the batched product into yd, applying epi (when
// non-nil) to each finished block.
func (k *matMulKernel) runProducts(p *matMulShape, ad, bd, yd []float32, b *tensor.Tensor, epi *kernel.Epilogue, res []float32) {
	nb := len(p.aOff)
	// B shared by every batch entry: fold A's batch into rows.
	if b.Rank() <= 2 {
		rows := nb * p.m
		pb := k.packedB
		if pb == nil || !tensor.SameShape(k.packedShape, b.Shape) {
			pb = borrow(k.shared, packedSizeB(p.k, p.n))
			defer giveBack(k.shared, pb)
			packB(pb, p.k, p.n, bd, p.n, false)
		}
		if rows == 1 {
			sgemvPacked(p.n, p.k, ad, pb, yd, true)
			if epi != nil {
				epi.Apply(yd, res, 0)
			}
			return
		}
		pa := borrow(k.shared, packedSizeA(rows, p.k))
		defer giveBack(k.shared, pa)
		packA(pa, rows, p.k, ad, p.k, false, 1)
		sgemmPackedPost(rows, p.n, p.k, pa, pb, yd, p.n, false, true, rowPost(epi, yd, res, p.n))
		return
	}
	one := func(t int, parallel bool) {
		pa := borrow(k.shared, packedSizeA(p.m, p.k))
		defer giveBack(k.shared, pa)
		packA(pa, p.m, p.k, ad[p.aOff[t]:], p.k, false, 1)
		pb := borrow(k.shared, packedSizeB(p.k, p.n))
		defer giveBack(k.shared, pb)
		packB(pb, p.k, p.n, bd[p.bOff[t]:], p.n, false)
		ys := yd[t*p.m*p.n : (t+1)*p.m*p.n]
		var rs []float32
		if res != nil {
			rs = res[t*p.m*p.n : (t+1)*p.m*p.n]
		}
		sgemmPackedPost(p.m, p.n, p.k, pa, pb, ys, p.n, false, parallel, rowPost(epi, ys, rs, p.n))
	}
	if nb >= runtime.GOMAXPROCS(0) {
		parallelFor(workers(2*nb*p.m*p.n*p.k, nb), nb, func(t int) { one(t, false) })
		return
	}
	for t := 0; t < nb; t++ {
		one(t, true)
	}
}

// naiveMatMul is the batched product for the non-float32 types.
//
// Naive reference: y[t,i,j] = sum_p a[t,i,p]·b[t,p,j] with broadcast t.
func naiveMatMul[T float64 | int32 | int64 | uint32 | uint64](p *matMulShape, a, b, y []T) {
	for t := range p.aOff {
		as, bs, ys := a[p.aOff[t]:], b[p.bOff[t]:], y[t*p.m*p.n:]
		for i := 0; i < p.m; i++ {
			for j := 0; j < p.n; j++ {
				var s T
				for q := 0; q < p.k; q++ {
					s += as[i*p.k+q] * bs[q*p.n+j]
				}
				ys[i*p.n+j] = s
			}
		}
	}
}
