package slice

import (
	"context"
	"errors"
	"fmt"

	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/tensor"
)

// Stage is a compiled partition.
type Stage struct {
	Partition ManifestPartition
	Program   *engine.Program
}

// Step runs one partition on the tensors crossing the cut before it and
// returns the tensors crossing the cut after it: the partition's outputs
// plus the forwarded ones.
func (s Stage) Step(ctx context.Context, carried map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	feeds := make(map[string]*tensor.Tensor, len(s.Partition.Inputs))
	for _, v := range s.Partition.Inputs {
		t, ok := carried[v.Name]
		if !ok {
			return nil, fmt.Errorf("partition %d: missing tensor %q", s.Partition.Index, v.Name)
		}
		feeds[v.Name] = t
	}
	outs, err := s.Program.Run(ctx, feeds)
	if err != nil {
		return nil, fmt.Errorf("partition %d: %w", s.Partition.Index, err)
	}
	for _, v := range s.Partition.Forward {
		t, ok := carried[v.Name]
		if !ok {
			return nil, fmt.Errorf("partition %d: missing forwarded tensor %q", s.Partition.Index, v.Name)
		}
		outs[v.Name] = t
	}
	return outs, nil
}

// Chain runs partitions one after another in this process: the reference
// for what the distributed chain computes.
type Chain struct {
	Manifest *Manifest
	Stages   []Stage
}

// LoadChain reads a partition directory, verifies every file's sha256 and
// compiles the partitions.
func LoadChain(dir string) (*Chain, error) {
	man, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	c := &Chain{Manifest: man}
	for _, p := range man.Partitions {
		m, err := LoadPartitionFile(dir, p)
		if err != nil {
			return nil, err
		}
		prog, err := engine.Compile(m, engine.Options{})
		if err != nil {
			return nil, fmt.Errorf("partition %d (%s): %w", p.Index, p.File, err)
		}
		c.Stages = append(c.Stages, Stage{Partition: p, Program: prog})
	}
	if len(c.Stages) == 0 {
		return nil, errors.New("the manifest lists no partitions")
	}
	return c, nil
}

// Run feeds the model inputs through every stage and returns the model
// outputs.
func (c *Chain) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	carried := inputs
	for _, s := range c.Stages {
		next, err := s.Step(ctx, carried)
		if err != nil {
			return nil, err
		}
		carried = next
	}
	out := make(map[string]*tensor.Tensor, len(c.Manifest.Outputs))
	for _, v := range c.Manifest.Outputs {
		t, ok := carried[v.Name]
		if !ok {
			return nil, fmt.Errorf("model output %q missing after the last partition", v.Name)
		}
		out[v.Name] = t
	}
	return out, nil
}
