// Package bench holds papdl's speed benchmarks, measured side by side with
// onnx-go v0.5.0 and its gorgonia backend (backend/x/gorgonnx) in the same
// process:
//
//   - BenchmarkResNet18: batch-1 latency of the zoo's ResNet18.
//   - BenchmarkVGG16: batch-1 latency of the zoo's VGG16. gorgonnx has no
//     AveragePool, so both engines run a variant without the kernel-1,
//     stride-1 AveragePool that torch exports for AdaptiveAvgPool2d((7,7))
//     on a 7x7 map (an identity); papdl_full is papdl on the unmodified
//     graph.
//   - BenchmarkConv3x3_64x56: a one-node Conv model (3x3, 64->64 channels,
//     56x56, pad 1, with bias), reported in GFLOP/s (2*MACs per run).
//
// Each benchmark runs its engines alternately for several rounds (flag
// -rounds, default 3) so that both see the same load on a shared machine;
// sub-benchmarks of later rounds carry Go's "#01", "#02" suffixes. At the
// end it prints the median time per engine and the ratio onnx-go/papdl.
// Models are compiled and run once before timing; the setup is cached and
// shared by the benchmarks and the tests.
//
// Run with:
//
//	go test -run '^$' -bench . -benchtime 5x ./inference/bench/
//
// The package has no non-test code: onnx-go is linked only into its test
// binary. The tests check that both engines agree on the first run, which
// guards the fairness of the comparison. gorgonnx's Gemm writes its result
// into the bias of a batch-1 model, so its outputs are wrong from the second
// run on; the timings still measure the same work.
package bench
