package bench

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

var rounds = flag.Int("rounds", 3, "rounds of alternating papdl and onnx-go sub-benchmarks per benchmark")

// engineRun is one sub-benchmark of a round.
type engineRun struct {
	name string
	r    runner
}

// compare runs the engines alternately for -rounds rounds, then prints the
// median time per operation of each engine and the ratios to the first
// engine. flop, when positive, adds a GFLOP/s metric.
func compare(b *testing.B, engines []engineRun, flop float64) {
	times := map[string][]time.Duration{}
	for round := 0; round < *rounds; round++ {
		for _, e := range engines {
			b.Run(e.name, func(b *testing.B) {
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if err := e.r.run(); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				per := b.Elapsed() / time.Duration(b.N)
				if flop > 0 {
					b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				}
				// Go runs a sub-benchmark first with b.N = 1 to size it;
				// keep the last (largest) measurement of each round.
				ts := times[e.name]
				if len(ts) > round {
					ts[round] = per
				} else {
					ts = append(ts, per)
				}
				times[e.name] = ts
			})
		}
	}
	// The summary goes to stdout: a benchmark's b.Log shows only with -v.
	var sb strings.Builder
	fmt.Fprintf(&sb, "# %s: %d rounds, load average %s", b.Name(), *rounds, loadavg())
	base := median(times[engines[0].name])
	for i, e := range engines {
		m := median(times[e.name])
		fmt.Fprintf(&sb, "\n#   %-10s median %9.2f ms/op", e.name, float64(m)/1e6)
		if flop > 0 && m > 0 {
			fmt.Fprintf(&sb, " %7.1f GFLOP/s", flop/m.Seconds()/1e9)
		}
		if i > 0 && base > 0 {
			fmt.Fprintf(&sb, "  %5.2fx %s (median of per-round ratios %.2fx)",
				float64(m)/float64(base), engines[0].name, medianRatio(times[e.name], times[engines[0].name]))
		}
		fmt.Fprintf(&sb, "  rounds %v", roundTimes(times[e.name]))
	}
	fmt.Println(sb.String())
}

func median(ts []time.Duration) time.Duration {
	if len(ts) == 0 {
		return 0
	}
	s := slices.Clone(ts)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// medianRatio is the median over rounds of a[i]/b[i]: each ratio compares
// two measurements taken back to back, under the same load.
func medianRatio(a, b []time.Duration) float64 {
	var r []float64
	for i := range min(len(a), len(b)) {
		if b[i] > 0 {
			r = append(r, float64(a[i])/float64(b[i]))
		}
	}
	if len(r) == 0 {
		return 0
	}
	slices.Sort(r)
	if len(r)%2 == 1 {
		return r[len(r)/2]
	}
	return (r[len(r)/2-1] + r[len(r)/2]) / 2
}

func roundTimes(ts []time.Duration) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = fmt.Sprintf("%.1fms", float64(t)/1e6)
	}
	return strings.Join(parts, " ")
}

// loadavg is the first three fields of /proc/loadavg, or "unknown".
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// benchPair loads a model in both engines and compares them. Without
// onnx-go it times papdl alone and says why.
func benchPair(b *testing.B, name string, flop float64) {
	p, err := loadPair(name)
	if err != nil {
		b.Fatal(err)
	}
	engines := []engineRun{{"papdl", p.papdl}}
	if p.onnxgo != nil {
		engines = append(engines, engineRun{"onnxgo", p.onnxgo})
	} else {
		b.Logf("onnx-go cannot run %s: %v; timing papdl alone", name, p.onnxgoErr)
	}
	if p.papdlFull != nil {
		engines = append(engines, engineRun{"papdl_full", p.papdlFull})
	}
	compare(b, engines, flop)
}

// BenchmarkResNet18 is batch-1 latency of the zoo's ResNet18.
func BenchmarkResNet18(b *testing.B) { benchPair(b, "resnet18", 0) }

// BenchmarkVGG16 is batch-1 latency of the zoo's VGG16 without its identity
// AveragePool (both engines), and of papdl on the full graph (papdl_full).
func BenchmarkVGG16(b *testing.B) { benchPair(b, "vgg16", 0) }

// BenchmarkConv3x3_64x56 is a single 3x3 convolution, 64 -> 64 channels on
// a 56x56 map, batch 1, in GFLOP/s.
func BenchmarkConv3x3_64x56(b *testing.B) { benchPair(b, "conv3x3", convFLOP) }
