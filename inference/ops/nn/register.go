package nn

import "github.com/papdl/papdl/inference/ops/kernel"

// Register adds this package's operators.
func Register(add kernel.AddFunc) {
	add("Conv", buildConv)
	add("ConvTranspose", buildConvTranspose)
	add("MaxPool", buildMaxPool)
	add("AveragePool", buildAveragePool)
	add("GlobalAveragePool", buildGlobalAveragePool)
	add("GlobalMaxPool", buildGlobalMaxPool)
	add("BatchNormalization", buildBatchNormalization)
	add("LRN", buildLRN)
	add("QuantizeLinear", buildQuantizeLinear)
	add("DequantizeLinear", buildDequantizeLinear)
	add("DynamicQuantizeLinear", buildDynamicQuantizeLinear)
	add("MatMulInteger", buildMatMulInteger)
	add("ConvInteger", buildConvInteger)
	add("QLinearMatMul", buildQLinearMatMul)
	add("QLinearConv", buildQLinearConv)
	add("Resize", buildResize)
	add("Upsample", buildUpsample)
	add("LayerNormalization", buildLayerNormalization)
	add("GroupNormalization", buildGroupNormalization)
	add("InstanceNormalization", buildInstanceNormalization)
	add("MeanVarianceNormalization", buildMeanVarianceNormalization)
	add("Gemm", buildGemm)
	add("MatMul", buildMatMul)
}
