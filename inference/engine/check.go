package engine

import (
	"fmt"
	"strings"

	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

// checkInput verifies a runtime input against its declared type and shape;
// symbolic or unknown dimensions accept any size.
func checkInput(vi onnx.ValueInfo, t *tensor.Tensor) error {
	if err := t.Check(); err != nil {
		return fmt.Errorf("input %q: %w", vi.Name, err)
	}
	if vi.ElemType != tensor.Undefined && t.DType != vi.ElemType {
		return fmt.Errorf("input %q has dtype %s, the model expects %s", vi.Name, t.DType, vi.ElemType)
	}
	if !vi.HasShape {
		return nil
	}
	bad := len(vi.Shape) != len(t.Shape)
	for i := 0; !bad && i < len(vi.Shape); i++ {
		d := vi.Shape[i]
		if d.Known && d.Param == "" && int64(t.Shape[i]) != d.Value {
			bad = true
		}
	}
	if bad {
		return fmt.Errorf("input %q has shape %v, the model expects %s", vi.Name, t.Shape, describeValueInfo(vi))
	}
	return nil
}

// describeValueInfo renders "float32[N 3 224 224]".
func describeValueInfo(vi onnx.ValueInfo) string {
	if !vi.HasShape {
		return vi.ElemType.String() + "[?]"
	}
	parts := make([]string, len(vi.Shape))
	for i, d := range vi.Shape {
		switch {
		case d.Param != "":
			parts[i] = d.Param
		case d.Known:
			parts[i] = fmt.Sprint(d.Value)
		default:
			parts[i] = "?"
		}
	}
	return fmt.Sprintf("%s[%s]", vi.ElemType, strings.Join(parts, " "))
}

// DescribeValueInfo is the rendering used in error messages.
func DescribeValueInfo(vi onnx.ValueInfo) string { return describeValueInfo(vi) }
