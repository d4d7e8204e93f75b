package ops

// registerTensorOps adds the element-wise, activation, reduction and
// shape-manipulating operators.
func registerTensorOps(r *Registry) {
}
