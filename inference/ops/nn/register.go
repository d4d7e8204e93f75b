package nn

import "github.com/papdl/papdl/inference/ops/kernel"

// Register adds this package's operators.
func Register(add kernel.AddFunc) {
}
