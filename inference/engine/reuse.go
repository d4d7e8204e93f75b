package engine

import (
	"reflect"
	"slices"

	"github.com/papdl/papdl/inference/ops/kernel"
	"github.com/papdl/papdl/inference/tensor"
)

// freshOps are the operators whose kernels allocate their outputs anew on
// every run (never a kernel's cached tensor): a tensor they produce is
// owned by its slot unless it shares an input's memory or another step
// aliases it later (a read-only table). TestFreshOpsAllocateEveryRun
// audits each entry's kernel; an entry needs a case there.
var freshOps = map[string]bool{
	"Add": true, "Sub": true, "Mul": true, "Div": true, "Pow": true, "Clip": true, "Relu": true,
	"Erf": true, "Sqrt": true, "Exp": true, "Tanh": true, "Sigmoid": true, "Softmax": true,
	"MatMul": true, "Gemm": true, "Conv": true, "Transpose": true,
}

// markFresh records, per step, whether its outputs are memory of their own
// (freshOps, fused steps, kernel.Reuser kernels), and for a kernel.Reuser
// the inputs it reads last (step.reusable; known at compile time, so that
// a run only checks which of them own their memory).
func (p *Program) markFresh() {
	for i := range p.steps {
		st := &p.steps[i]
		_, reuser := st.kernel.(kernel.Reuser)
		st.fresh = freshOps[st.node.OpType] || st.unfused != nil || reuser
		if _, ok := st.kernel.(contextKernel); ok {
			st.fresh = false
		}
		if !reuser {
			continue
		}
		for j, s := range st.in {
			if s >= 0 && slices.Contains(st.release, s) {
				st.reusable = append(st.reusable, j)
			}
		}
	}
}

// buffers tracks, during one run, which slots hold memory that no other
// live tensor shares, so that a kernel.Reuser may write its output into an
// input it reads last.
type buffers struct {
	own []bool // by slot
}

// spare marks the inputs of st whose memory its kernel may reuse: tensors
// of this run that st reads last (step.reusable) and that no other tensor
// shares. It returns nil when there are none or the kernel is no
// kernel.Reuser.
func (b *buffers) spare(st *step) []bool {
	var spare []bool
	for _, j := range st.reusable {
		if b.own[st.in[j]] {
			if spare == nil {
				spare = make([]bool, len(st.in))
			}
			spare[j] = true
		}
	}
	return spare
}

// produced records st's outputs: owned when st is fresh and an output
// shares no input's memory but a spare one's (which st read last). An
// output that shares an input's memory otherwise makes both shared.
func (b *buffers) produced(st *step, args, outs []*tensor.Tensor, spare []bool) {
	for k, s := range st.out {
		if s < 0 || outs[k] == nil {
			continue
		}
		b.own[s] = st.fresh
		for j, in := range args {
			if in == nil || st.in[j] < 0 || (j < len(spare) && spare[j]) || !overlap(in, outs[k]) {
				continue
			}
			b.own[st.in[j]] = false
			b.own[s] = false
		}
	}
}

// overlap reports whether two tensors' data may share memory.
func overlap(a, b *tensor.Tensor) bool {
	alo, ahi, aok := memory(a)
	blo, bhi, bok := memory(b)
	if !aok || !bok {
		return true // not slices: assume shared
	}
	return alo < bhi && blo < ahi
}

// memory returns the address range of a tensor's slice data.
func memory(t *tensor.Tensor) (lo, hi uintptr, ok bool) {
	v := reflect.ValueOf(t.Data)
	if v.Kind() != reflect.Slice {
		return 0, 0, false
	}
	lo = v.Pointer()
	return lo, lo + uintptr(v.Cap())*v.Type().Elem().Size(), true
}
