package shapeops

import "github.com/papdl/papdl/inference/ops/kernel"

// Register adds this package's operators.
func Register(add kernel.AddFunc) {
	add("Concat", buildConcat)
	add("Split", buildSplit)
	add("Slice", buildSlice)
	add("Flatten", buildFlatten)
	add("Reshape", buildReshape)
	add("Shape", buildShape)
	add("Gather", buildGather)
	add("GatherElements", buildGatherElements)
	add("GatherND", buildGatherND)
	add("Squeeze", buildSqueeze)
	add("Unsqueeze", buildUnsqueeze)
	add("Transpose", buildTranspose)
	add("Pad", buildPad)
	add("Identity", buildIdentity)
	add("Dropout", buildDropout)
	add("Constant", buildConstant)
	add("ConstantOfShape", buildConstantOfShape)
	add("Cast", buildCast)
	add("CastLike", buildCastLike)
	add("Expand", buildExpand)
	add("Tile", buildTile)
	add("Where", buildWhere)
	add("Range", buildRange)
	add("Equal", comparison("Equal", cmpEq))
	add("Less", comparison("Less", cmpLt))
	add("Greater", comparison("Greater", cmpGt))
	add("LessOrEqual", comparison("LessOrEqual", cmpLe))
	add("GreaterOrEqual", comparison("GreaterOrEqual", cmpGe))
}
