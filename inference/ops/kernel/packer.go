package kernel

// Packer is implemented by kernels that keep their own packed copy of some
// constant inputs (a Conv's or Gemm's weights) and read only those inputs'
// dtype and shape at run time. PackedInputs lists the input numbers. The
// engine may then hold such constants without their data (engine
// Options.PackedOnly), so that the weights are in memory once.
type Packer interface {
	PackedInputs() []int
}
