package varith

// Op is an element-wise binary operation.
type Op int

// The operations.
const (
	Add Op = iota
	Sub
	Mul
	Div
)

// VV sets d[i] = a[i] op b[i] for i < len(d); a and b are at least as long
// as d and may be d itself.
func VV(op Op, d, a, b []float32) {
	a, b = a[:len(d)], b[:len(d)]
	done := vv(op, d, a, b)
	vvGo(op, d[done:], a[done:], b[done:])
}

// VS sets d[i] = a[i] op b for i < len(d); a is at least as long as d and
// may be d itself.
func VS(op Op, d, a []float32, b float32) {
	a = a[:len(d)]
	done := vs(op, d, a, b)
	vsGo(op, d[done:], a[done:], b)
}

// SV sets d[i] = a op b[i] for i < len(d); b is at least as long as d and
// may be d itself.
func SV(op Op, d []float32, a float32, b []float32) {
	b = b[:len(d)]
	done := sv(op, d, a, b)
	svGo(op, d[done:], a, b[done:])
}

// vvGo, vsGo and svGo are the Go definitions, one loop per operation.
func vvGo(op Op, d, a, b []float32) {
	a, b = a[:len(d)], b[:len(d)]
	switch op {
	case Add:
		for i := range d {
			d[i] = a[i] + b[i]
		}
	case Sub:
		for i := range d {
			d[i] = a[i] - b[i]
		}
	case Mul:
		for i := range d {
			d[i] = a[i] * b[i]
		}
	case Div:
		for i := range d {
			d[i] = a[i] / b[i]
		}
	}
}

func vsGo(op Op, d, a []float32, b float32) {
	a = a[:len(d)]
	switch op {
	case Add:
		for i := range d {
			d[i] = a[i] + b
		}
	case Sub:
		for i := range d {
			d[i] = a[i] - b
		}
	case Mul:
		for i := range d {
			d[i] = a[i] * b
		}
	case Div:
		for i := range d {
			d[i] = a[i] / b
		}
	}
}

func svGo(op Op, d []float32, a float32, b []float32) {
	b = b[:len(d)]
	switch op {
	case Add:
		for i := range d {
			d[i] = a + b[i]
		}
	case Sub:
		for i := range d {
			d[i] = a - b[i]
		}
	case Mul:
		for i := range d {
			d[i] = a * b[i]
		}
	case Div:
		for i := range d {
			d[i] = a / b[i]
		}
	}
}
