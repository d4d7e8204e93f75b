package ops

// registerNN adds the neural-network operators: convolutions, pooling,
// normalisation, Gemm and MatMul.
func registerNN(r *Registry) {
}
