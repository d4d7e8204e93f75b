package nn

import "github.com/papdl/papdl/inference/ops/kernel"

// Register adds this package's operators.
func Register(add kernel.AddFunc) {
	add("Conv", withHalf(buildConv))
	add("ConvTranspose", withHalf(buildConvTranspose))
	add("MaxPool", withHalf(buildMaxPool))
	add("AveragePool", withHalf(buildAveragePool))
	add("GlobalAveragePool", withHalf(buildGlobalAveragePool))
	add("GlobalMaxPool", withHalf(buildGlobalMaxPool))
	add("BatchNormalization", withHalf(buildBatchNormalization))
	add("LRN", withHalf(buildLRN))
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
	add("Gemm", withHalf(buildGemm))
	add("MatMul", withHalf(buildMatMul))
}
