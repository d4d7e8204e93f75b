package planner

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/papdl/papdl/apis/v1alpha1"
	"github.com/papdl/papdl/reconcilers/clusterprofile"
)

func benchmarkSolve(b *testing.B, obj v1alpha1.Objective, tight bool) {
	rng := rand.New(rand.NewPCG(7, 7))
	prof, req := randomInstance(rng, instanceOptions{nodes: 16, units: 200, memoryTight: tight})
	req.Objective = obj
	var plan *Plan
	for b.Loop() {
		var err error
		if plan, err = Solve(prof, req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(plan.Partitions)), "partitions")
	b.ReportMetric(float64(plan.Expansions), "expansions")
	if !plan.Optimal {
		value := plan.Totals.LatencySeconds
		if obj == v1alpha1.ObjectiveThroughput {
			value = plan.Totals.BottleneckSeconds
		}
		b.ReportMetric(100*(value-plan.LowerBound)/value, "gap%")
	}
}

// The goal is under 50 ms per plan for 200 units x 16 nodes, latency objective.
func BenchmarkSolveLatency200x16(b *testing.B) { benchmarkSolve(b, v1alpha1.ObjectiveLatency, false) }

func BenchmarkSolveLatency200x16TightMemory(b *testing.B) {
	benchmarkSolve(b, v1alpha1.ObjectiveLatency, true)
}

func BenchmarkSolveThroughput200x16(b *testing.B) {
	benchmarkSolve(b, v1alpha1.ObjectiveThroughput, false)
}

func BenchmarkSolveThroughput200x16TightMemory(b *testing.B) {
	benchmarkSolve(b, v1alpha1.ObjectiveThroughput, true)
}

// BenchmarkLarge solves a suite of 200 x 16 instances (seeds 0…k-1 of
// randomInstance, or of proportionalInstance for the proportional
// family) per objective, memory and tolerance, and reports per instance:
// the time, the share proven (optimal: true), the proven gap of the
// optimum ((optimum − lower bound)/optimum: mean and worst) and the mean
// number of partitions. Run with -benchtime=1x: one pass is the
// measurement.
func BenchmarkLarge(b *testing.B) {
	for _, c := range []struct {
		obj          v1alpha1.Objective
		proportional bool
		tight        bool
		tolerance    float64
		instances    int
	}{
		{v1alpha1.ObjectiveLatency, false, false, 0, 20},
		{v1alpha1.ObjectiveLatency, false, true, 0, 40},
		{v1alpha1.ObjectiveLatency, false, true, 0.05, 40},
		{v1alpha1.ObjectiveThroughput, false, false, 0, 5},
		{v1alpha1.ObjectiveThroughput, false, true, 0, 5},
		{v1alpha1.ObjectiveThroughput, false, false, 0.05, 5},
		{v1alpha1.ObjectiveThroughput, true, false, 0, 10},
		{v1alpha1.ObjectiveThroughput, true, false, 0.05, 10},
	} {
		family, memory := "random", "free"
		if c.proportional {
			family = "proportional"
		}
		if c.tight {
			memory = "tight"
		}
		b.Run(fmt.Sprintf("%s/%s/%s/tolerance=%g", c.obj, family, memory, c.tolerance), func(b *testing.B) {
			var proven, solved, parts int
			var gaps []float64
			for b.Loop() {
				proven, solved, parts, gaps = 0, 0, 0, gaps[:0]
				for seed := range c.instances {
					var prof *clusterprofile.ClusterProfile
					var req Request
					if c.proportional {
						prof, req = proportionalInstance(uint64(seed), 16, 200)
					} else {
						prof, req = randomInstance(newRand(uint64(seed)), instanceOptions{nodes: 16, units: 200, memoryTight: c.tight})
					}
					req.Objective, req.Tolerance = c.obj, c.tolerance
					plan, err := Solve(prof, req)
					if err != nil {
						continue // memory too tight for this draw
					}
					solved++
					parts += len(plan.Partitions)
					if plan.Optimal {
						proven++
					}
					gaps = append(gaps, 100*(plan.Optimum-plan.LowerBound)/plan.Optimum)
				}
			}
			if solved == 0 {
				b.Fatal("no instance solved")
			}
			var sum float64
			for _, g := range gaps {
				sum += g
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*solved), "ms/instance")
			b.ReportMetric(float64(proven)/float64(solved), "proven")
			b.ReportMetric(sum/float64(len(gaps)), "meangap%")
			b.ReportMetric(slices.Max(gaps), "maxgap%")
			b.ReportMetric(float64(parts)/float64(solved), "partitions")
		})
	}
}
