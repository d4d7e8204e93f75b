package planner

import (
	"math/rand/v2"
	"testing"

	"github.com/papdl/papdl/apis/v1alpha1"
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
