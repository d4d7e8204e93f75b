package slice

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/papdl/papdl/inference/wholefile"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

// ManifestFormat identifies the manifest schema.
const ManifestFormat = "papdl.io/partitions/v1"

// ManifestFile is the manifest's name inside a partition directory.
const ManifestFile = "manifest.json"

// Manifest describes a sliced model: its units, every possible cut and the
// partitions written next to it.
type Manifest struct {
	Format string `json:"format"`
	// Model is the graph name; ModelSHA256 the digest of the source file.
	Model       string         `json:"model"`
	ModelSHA256 string         `json:"modelSha256,omitempty"`
	Opset       int64          `json:"opset"`
	Inputs      []Value        `json:"inputs"`
	Outputs     []Value        `json:"outputs"`
	Units       []ManifestUnit `json:"units"`
	// Cuts[i] is the cut after unit i, for every i but the last unit.
	Cuts       []Cut               `json:"cuts"`
	Partitions []ManifestPartition `json:"partitions"`
	// SHA256 is the digest of the manifest file's bytes as read (not
	// stored in the file): the identity of the partition set a gateway
	// serves.
	SHA256 string `json:"-"`
}

// ManifestUnit is a unit's summary.
type ManifestUnit struct {
	Index       int      `json:"index"`
	Name        string   `json:"name"`
	Ops         []string `json:"ops"`
	WeightBytes int64    `json:"weightBytes"`
	OutputBytes int64    `json:"outputBytes"`
	// Tensors are the output tensor names of the unit's nodes, in node
	// order: a partition's executed node belongs to the unit naming one of
	// its outputs (node names may be empty or repeated, tensor names not).
	Tensors []string `json:"tensors,omitempty"`
}

// UnitOfTensor maps every tensor listed in the units' Tensors to its
// unit's index.
func (m *Manifest) UnitOfTensor() map[string]int {
	out := map[string]int{}
	for _, u := range m.Units {
		for _, t := range u.Tensors {
			out[t] = u.Index
		}
	}
	return out
}

// ManifestPartition is one written partition.
type ManifestPartition struct {
	Index int `json:"index"`
	// Start and End bound the units [Start, End).
	Start       int     `json:"start"`
	End         int     `json:"end"`
	File        string  `json:"file"`
	SHA256      string  `json:"sha256"`
	FileBytes   int64   `json:"fileBytes"`
	WeightBytes int64   `json:"weightBytes"`
	Inputs      []Value `json:"inputs"`
	Outputs     []Value `json:"outputs"`
	Forward     []Value `json:"forward,omitempty"`
}

// NewManifest describes a (without partitions).
func NewManifest(a *Analysis, modelSHA256 string) *Manifest {
	m := &Manifest{
		Format: ManifestFormat, Model: a.Model.Graph.Name, ModelSHA256: modelSHA256,
		Opset: a.Model.Opset(""), Inputs: a.Inputs, Outputs: a.Outputs, Cuts: a.Cuts(),
	}
	for _, u := range a.Units {
		mu := ManifestUnit{Index: u.Index, Name: u.Name, Ops: u.OpTypes(),
			WeightBytes: u.WeightBytes, OutputBytes: u.OutputBytes}
		for _, n := range u.Nodes {
			for _, o := range n.Outputs {
				if o != "" {
					mu.Tensors = append(mu.Tensors, o)
				}
			}
		}
		m.Units = append(m.Units, mu)
	}
	return m
}

// Write saves each partition as dir/part-NNN.onnx and the manifest as
// dir/manifest.json (written last, so a directory with a manifest is
// complete).
func Write(dir string, a *Analysis, parts []Part, modelSHA256 string) (*Manifest, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	man := NewManifest(a, modelSHA256)
	for _, p := range parts {
		data, err := onnx.Encode(p.Model)
		if err != nil {
			return nil, fmt.Errorf("encode partition %d: %w", p.Index, err)
		}
		name := fmt.Sprintf("part-%03d.onnx", p.Index)
		if err := wholefile.Write(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		man.Partitions = append(man.Partitions, ManifestPartition{
			Index: p.Index, Start: p.Start, End: p.End, File: name, SHA256: hex.EncodeToString(sum[:]),
			FileBytes: int64(len(data)), WeightBytes: p.WeightBytes,
			Inputs: p.Inputs, Outputs: p.Outputs, Forward: p.Forward,
		})
	}
	js, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := wholefile.Write(filepath.Join(dir, ManifestFile), append(js, '\n'), 0o600); err != nil {
		return nil, err
	}
	return man, nil
}

// ReadManifest loads dir/manifest.json and checks its format.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m.Format != ManifestFormat {
		return nil, fmt.Errorf("%s: format %q, want %q", path, m.Format, ManifestFormat)
	}
	m.SHA256 = SHA256Hex(b)
	for _, vs := range [][]Value{m.Inputs, m.Outputs} {
		if err := fillDTypes(vs); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	for i := range m.Partitions {
		p := &m.Partitions[i]
		for _, vs := range [][]Value{p.Inputs, p.Outputs, p.Forward} {
			if err := fillDTypes(vs); err != nil {
				return nil, fmt.Errorf("%s: partition %d: %w", path, p.Index, err)
			}
		}
	}
	return &m, nil
}

func fillDTypes(vs []Value) error {
	for i := range vs {
		dt, err := tensor.ParseDType(vs[i].Type)
		if err != nil {
			return fmt.Errorf("tensor %q: %w", vs[i].Name, err)
		}
		vs[i].DType = dt
	}
	return nil
}

// LoadPartitionFile reads a partition's file and checks its sha256.
func LoadPartitionFile(dir string, p ManifestPartition) (*onnx.Model, error) {
	path := filepath.Join(dir, p.File)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("partition %d: %w", p.Index, err)
	}
	return DecodeVerified(data, p.SHA256, path)
}

// VerifySHA256 checks that data has the given hex sha256 (any case); what
// names the bytes in the error, e.g. "manifest URL".
func VerifySHA256(data []byte, wantSHA256, what string) error {
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != strings.ToLower(wantSHA256) {
		return fmt.Errorf("%s: sha256 is %s, expected %s", what, got, wantSHA256)
	}
	return nil
}

// DecodeVerified decodes partition bytes after checking their sha256
// (what names the bytes in errors, e.g. a path or URL).
func DecodeVerified(data []byte, wantSHA256, what string) (*onnx.Model, error) {
	if err := VerifySHA256(data, wantSHA256, what); err != nil {
		return nil, err
	}
	m, err := onnx.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return m, nil
}

// SHA256Hex is the hex sha256 of b.
func SHA256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
