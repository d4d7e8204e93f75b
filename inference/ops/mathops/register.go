package mathops

import (
	"sort"

	"github.com/papdl/papdl/inference/ops/kernel"
)

// Register adds this package's operators.
func Register(add kernel.AddFunc) {
	add("Add", buildBinary(opAdd))
	add("Sub", buildBinary(opSub))
	add("Mul", buildBinary(opMul))
	add("Div", buildBinary(opDiv))
	add("Pow", buildPow)
	add("Mod", buildMod)
	add("Max", buildVariadic(opMax, false))
	add("Min", buildVariadic(opMin, false))
	add("Sum", buildVariadic(opAdd, false))
	add("Mean", buildVariadic(opAdd, true))
	add("PRelu", buildPRelu)

	add("Abs", buildUnaryNum(opAbs, false))
	add("Neg", buildUnaryNum(opNeg, true))
	add("Sign", buildUnaryNum(opSign, false))
	add("Relu", buildUnaryNum(opRelu, true))
	add("Clip", buildClip)
	for _, name := range sortedKeys(floatOps) {
		add(name, buildFloatUnary(floatOps[name], vecOps[name]))
	}

	add("Softmax", buildSoftmax(false))
	add("LogSoftmax", buildSoftmax(true))
	add("Hardmax", buildHardmax)
	add("ArgMax", buildArg(true))
	add("ArgMin", buildArg(false))
	add("CumSum", buildCumSum)
	for _, name := range sortedKeys(reduceOps) {
		add(name, buildReduce(name))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
