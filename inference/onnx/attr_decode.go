package onnx

import (
	"fmt"
	"math"

	"github.com/papdl/papdl/inference/tensor"
)

// attrValues collects the value fields of one AttributeProto. The opaque
// kinds (sparse tensors, type protos) are gathered apart from s/strings and
// moved into S/Strings once the attribute's type is known.
type attrValues struct {
	attr          Attribute
	seen          [AttrTypeProtos + 1]bool // value fields present, by kind
	declaredType  AttrType
	s, sparse, tp []byte
	strs, sparses [][]byte
	tps           [][]byte
}

// decodeAttribute decodes an AttributeProto. A missing type (IR version 1
// files) is inferred from the value field that is set.
func decodeAttribute(r reader, depth int) (Attribute, error) {
	const msg = "AttributeProto"
	var av attrValues
	a := &av.attr
	var f field
	for {
		ok, err := r.next(&f)
		if err != nil {
			return Attribute{}, err
		}
		if !ok {
			break
		}
		var sub reader
		var b []byte
		switch f.num {
		case fAttrName:
			a.Name, err = f.str(msg, "name")
		case fAttrRefAttrName:
			a.RefAttrName, err = f.str(msg, "ref_attr_name")
		case fAttrType:
			var t int32
			t, err = f.int32(msg, "type")
			av.declaredType = AttrType(t)
		case fAttrF:
			a.F, err = f.float32(msg, "f")
			av.seen[AttrFloat] = true
		case fAttrI:
			a.I, err = f.int64(msg, "i")
			av.seen[AttrInt] = true
		case fAttrS:
			av.s, err = f.bytes(msg, "s")
			av.seen[AttrString] = true
		case fAttrT:
			if sub, err = f.msg(msg, "t"); err == nil {
				_, a.T, err = decodeTensor(sub)
			}
			av.seen[AttrTensor] = true
		case fAttrG:
			if sub, err = f.msg(msg, "g"); err == nil {
				a.G, err = decodeGraph(sub, depth+1)
			}
			av.seen[AttrGraph] = true
		case fAttrFloats:
			err = f.eachScalar(kindFixed32, msg, "floats", func(v uint64) {
				a.Floats = append(a.Floats, math.Float32frombits(uint32(v)))
			})
			av.seen[AttrFloats] = true
		case fAttrInts:
			err = f.eachScalar(kindVarint, msg, "ints", func(v uint64) { a.Ints = append(a.Ints, int64(v)) })
			av.seen[AttrInts] = true
		case fAttrStrings:
			if b, err = f.bytes(msg, "strings"); err == nil {
				av.strs = append(av.strs, b)
			}
			av.seen[AttrStrings] = true
		case fAttrTensors:
			if sub, err = f.msg(msg, "tensors"); err == nil {
				var t *tensor.Tensor
				if _, t, err = decodeTensor(sub); err != nil {
					err = fmt.Errorf("tensors[%d]: %w", len(a.Tensors), err)
				}
				a.Tensors = append(a.Tensors, t)
			}
			av.seen[AttrTensors] = true
		case fAttrGraphs:
			if sub, err = f.msg(msg, "graphs"); err == nil {
				var g *Graph
				if g, err = decodeGraph(sub, depth+1); err != nil {
					err = fmt.Errorf("graphs[%d]: %w", len(a.Graphs), err)
				}
				a.Graphs = append(a.Graphs, g)
			}
			av.seen[AttrGraphs] = true
		case fAttrSparseTensor:
			av.sparse, err = f.bytes(msg, "sparse_tensor")
			av.seen[AttrSparseTensor] = true
		case fAttrSparseTensors:
			if b, err = f.bytes(msg, "sparse_tensors"); err == nil {
				av.sparses = append(av.sparses, b)
			}
			av.seen[AttrSparseTensors] = true
		case fAttrTP:
			av.tp, err = f.bytes(msg, "tp")
			av.seen[AttrTypeProto] = true
		case fAttrTypeProtos:
			if b, err = f.bytes(msg, "type_protos"); err == nil {
				av.tps = append(av.tps, b)
			}
			av.seen[AttrTypeProtos] = true
		}
		if err != nil {
			return Attribute{}, err
		}
	}
	return av.finish()
}

// finish settles the attribute's type, places the byte-valued fields and
// checks that a TENSOR or GRAPH attribute carries its value.
func (av *attrValues) finish() (Attribute, error) {
	a := av.attr
	if av.declaredType != AttrUndefined {
		a.Type = av.declaredType
	} else {
		// IR version 1 had no type field (and UNDEFINED says as much):
		// the first value field set, in the order of the enum, decides.
		for k := AttrFloat; k <= AttrTypeProtos; k++ {
			if av.seen[k] {
				a.Type = k
				break
			}
		}
	}
	switch a.Type {
	case AttrSparseTensor:
		a.S = av.sparse
	case AttrTypeProto:
		a.S = av.tp
	default:
		a.S = av.s
	}
	switch a.Type {
	case AttrSparseTensors:
		a.Strings = av.sparses
	case AttrTypeProtos:
		a.Strings = av.tps
	default:
		a.Strings = av.strs
	}
	if a.RefAttrName == "" {
		if a.Type == AttrTensor && a.T == nil {
			return Attribute{}, fmt.Errorf("type is TENSOR but field t is missing")
		}
		if a.Type == AttrGraph && a.G == nil {
			return Attribute{}, fmt.Errorf("type is GRAPH but field g is missing")
		}
	}
	return a, nil
}
