package zoo

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/papdl/papdl/inference/onnx"
)

// The structural dump that hack/zoo-compare.py reads in place of an .onnx
// file: everything of the model but the initializers' values.

type dumpModel struct {
	IRVersion       int64       `json:"ir_version"`
	ProducerName    string      `json:"producer_name"`
	ProducerVersion string      `json:"producer_version"`
	Domain          string      `json:"domain"`
	ModelVersion    int64       `json:"model_version"`
	DocString       string      `json:"doc_string"`
	Opsets          [][2]any    `json:"opsets"`
	GraphName       string      `json:"graph_name"`
	Inputs          []dumpValue `json:"inputs"`
	Outputs         []dumpValue `json:"outputs"`
	ValueInfo       []dumpValue `json:"value_info"`
	Nodes           []dumpNode  `json:"nodes"`
	Initializers    []dumpValue `json:"initializers"`
}

type dumpValue struct {
	Name     string `json:"name"`
	ElemType int32  `json:"elem_type"`
	Shape    []int  `json:"shape"`
}

type dumpNode struct {
	Name    string     `json:"name"`
	OpType  string     `json:"op_type"`
	Domain  string     `json:"domain"`
	Inputs  []string   `json:"inputs"`
	Outputs []string   `json:"outputs"`
	Attrs   []dumpAttr `json:"attrs"`
}

// dumpAttr is an attribute's name, AttributeProto type name and value.
type dumpAttr struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// dumpTensorAttr is a TENSOR attribute's type, shape and values.
type dumpTensorAttr struct {
	ElemType int32 `json:"elem_type"`
	Shape    []int `json:"shape"`
	Values   any   `json:"values"`
}

func dump(m *onnx.Model) (*dumpModel, error) {
	g := m.Graph
	d := &dumpModel{
		IRVersion: m.IRVersion, ProducerName: m.ProducerName, ProducerVersion: m.ProducerVersion,
		Domain: m.Domain, ModelVersion: m.ModelVersion, DocString: m.DocString,
		GraphName: g.Name, ValueInfo: []dumpValue{},
	}
	for _, o := range m.OpsetImports {
		d.Opsets = append(d.Opsets, [2]any{o.Domain, o.Version})
	}
	values := func(vis []onnx.ValueInfo) []dumpValue {
		var out []dumpValue
		for _, v := range vis {
			s, _ := v.FixedShape()
			out = append(out, dumpValue{v.Name, int32(v.ElemType), s})
		}
		return out
	}
	d.Inputs, d.Outputs = values(g.Inputs), values(g.Outputs)
	d.ValueInfo = append(d.ValueInfo, values(g.ValueInfo)...)
	for _, n := range g.Nodes {
		dn := dumpNode{Name: n.Name, OpType: n.OpType, Domain: n.Domain, Inputs: n.Inputs, Outputs: n.Outputs, Attrs: []dumpAttr{}}
		if dn.Inputs == nil {
			dn.Inputs = []string{}
		}
		for _, a := range n.Attrs {
			switch a.Type {
			case onnx.AttrInt:
				dn.Attrs = append(dn.Attrs, dumpAttr{a.Name, "INT", a.I})
			case onnx.AttrFloat:
				dn.Attrs = append(dn.Attrs, dumpAttr{a.Name, "FLOAT", a.F})
			case onnx.AttrInts:
				dn.Attrs = append(dn.Attrs, dumpAttr{a.Name, "INTS", a.Ints})
			case onnx.AttrTensor:
				dn.Attrs = append(dn.Attrs, dumpAttr{a.Name, "TENSOR", dumpTensorAttr{int32(a.T.DType), a.T.Shape, a.T.Data}})
			default:
				return nil, fmt.Errorf("node %s: attribute %s of type %d not dumped", n.Name, a.Name, a.Type)
			}
		}
		d.Nodes = append(d.Nodes, dn)
	}
	for _, in := range g.Initializers {
		d.Initializers = append(d.Initializers, dumpValue{in.Name, int32(in.Tensor.DType), in.Tensor.Shape})
	}
	return d, nil
}

// TestDump writes ARCH.json for every architecture to $ZOO_DUMP_DIR, for
// hack/zoo-compare.py; without the variable it only checks that the dump
// works on the small model.
func TestDump(t *testing.T) {
	dir := os.Getenv("ZOO_DUMP_DIR")
	for _, arch := range Archs() {
		t.Run(arch, func(t *testing.T) {
			if dir == "" && arch != "mnist" {
				t.Skip("ZOO_DUMP_DIR not set")
			}
			m, err := Generate(arch, Options{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			d, err := dump(m)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.MarshalIndent(d, "", " ")
			if err != nil {
				t.Fatal(err)
			}
			if dir == "" {
				var back dumpModel
				if err := json.Unmarshal(b, &back); err != nil || len(back.Nodes) != len(m.Graph.Nodes) {
					t.Fatalf("dump does not read back: %v", err)
				}
				return
			}
			if err := os.WriteFile(filepath.Join(dir, arch+".json"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
}
