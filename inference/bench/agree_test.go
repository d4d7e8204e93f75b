package bench

import (
	"testing"
)

// checkAgree compares the first run of papdl and onnx-go on a model. The
// tolerance is loose (relative to the largest output): the engines sum in
// different orders through up to 16 convolutions.
func checkAgree(t *testing.T, name string, tol float64) {
	p, err := loadPair(name)
	if err != nil {
		t.Fatal(err)
	}
	if p.onnxgo == nil {
		t.Skipf("onnx-go cannot run %s: %v", name, p.onnxgoErr)
	}
	a, g := p.papdl.first(), p.onnxgo.first()
	if len(a) != len(g) {
		t.Fatalf("%s: papdl gives %d values, onnx-go %d", name, len(a), len(g))
	}
	diff, scale := maxAbsDiff(a, g)
	t.Logf("%s: max |papdl - onnxgo| = %.3g, max |papdl| = %.3g", name, diff, scale)
	if diff > tol*max(1, scale) {
		t.Errorf("%s: engines disagree: max abs difference %.3g > %.3g", name, diff, tol*max(1, scale))
	}
}

// TestAgreeResNet18 guards the fairness of BenchmarkResNet18: both engines
// compute the same function (on the first run; gorgonnx's Gemm corrupts
// its bias afterwards).
func TestAgreeResNet18(t *testing.T) { checkAgree(t, "resnet18", 1e-3) }

// TestAgreeConv guards BenchmarkConv3x3_64x56.
func TestAgreeConv(t *testing.T) { checkAgree(t, "conv3x3", 1e-4) }

// TestAgreeVGG16 guards BenchmarkVGG16; loading VGG16 in onnx-go takes
// gigabytes, so -short skips it.
func TestAgreeVGG16(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: VGG16 in onnx-go needs ~3 GiB")
	}
	checkAgree(t, "vgg16", 1e-3)
}

// TestWithoutAveragePool checks that dropping VGG16's identity AveragePool
// does not change papdl's output.
func TestWithoutAveragePool(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs VGG16 twice")
	}
	p, err := loadPair("vgg16")
	if err != nil {
		t.Fatal(err)
	}
	if p.papdlFull == nil {
		t.Fatal("VGG16 has no identity AveragePool to remove")
	}
	diff, _ := maxAbsDiff(p.papdlFull.first(), p.papdl.first())
	if diff != 0 {
		t.Errorf("removing the identity AveragePool changed the output by %.3g", diff)
	}
}
