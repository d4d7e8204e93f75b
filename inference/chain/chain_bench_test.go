package chain

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/zoo"
)

func zooSliced(b *testing.B, name string, parts int) *sliced {
	b.Helper()
	m, err := zoo.Generate(name, zoo.Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	s := sliceModel(b, m, nil)
	cuts := residualCuts(s.a, parts-1)
	if len(cuts) != parts-1 {
		if cuts, err = s.a.EvenCuts(parts); err != nil {
			b.Fatal(err)
		}
	}
	return sliceModel(b, m, cuts)
}

// hopBytes is what crosses the network for one request: the input, every
// cut and the output.
func (s *sliced) hopBytes() int64 {
	var n int64
	for _, v := range s.a.Inputs {
		n += v.Bytes
	}
	for _, st := range s.stages {
		for _, vs := range [][]slice.Value{st.Partition.Outputs, st.Partition.Forward} {
			for _, v := range vs {
				n += v.Bytes
			}
		}
	}
	return n
}

// BenchmarkChainLatency runs the monolithic model and the chain of three
// partitions on loopback alternately and reports both, the transport
// overhead per hop and the goal (0.5 ms per hop plus the bytes at 1 GB/s).
func BenchmarkChainLatency(b *testing.B) {
	for _, name := range []string{"resnet18", "vgg16"} {
		b.Run(name, func(b *testing.B) {
			s := zooSliced(b, name, 3)
			tc := startChain(b, s, chainOptions{timeout: 5 * time.Minute})
			in := s.sample(1)
			ctx := context.Background()
			if _, err := tc.gw.Infer(ctx, in); err != nil { // connect and warm up
				b.Fatal(err)
			}
			var mono, chain, compute time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if _, err := s.mono.Run(ctx, in); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				_, timings, err := tc.gw.infer(ctx, in)
				if err != nil {
					b.Fatal(err)
				}
				mono += t1.Sub(t0)
				chain += time.Since(t1)
				for _, tm := range timings {
					compute += tm.Compute
				}
			}
			hops := float64(len(s.stages) + 1)
			ms := func(d time.Duration) float64 { return d.Seconds() * 1e3 / float64(b.N) }
			goal := 0.5*hops + float64(s.hopBytes())/1e9*1e3
			b.ReportMetric(ms(mono), "mono-ms")
			b.ReportMetric(ms(chain), "chain-ms")
			b.ReportMetric(ms(chain)/ms(mono), "chain/mono")
			// The transport overhead is the chain's time minus the
			// partitions' compute; the machine is shared, so the
			// difference to the monolithic run is noisier.
			b.ReportMetric(ms(compute), "stages-compute-ms")
			b.ReportMetric((ms(chain)-ms(compute))/hops, "overhead-ms/hop")
			b.ReportMetric(goal/hops, "goal-ms/hop")
			b.ReportMetric(float64(s.hopBytes())/1e6, "MB-moved")
		})
	}
}

// BenchmarkChainPipelining compares requests one at a time with several in
// flight on ResNet18 in two partitions.
func BenchmarkChainPipelining(b *testing.B) {
	s := zooSliced(b, "resnet18", 2)
	tc := startChain(b, s, chainOptions{timeout: 5 * time.Minute, maxInFlight: 4, queueDepth: 2})
	in := s.sample(1)
	ctx := context.Background()
	if _, err := tc.gw.Infer(ctx, in); err != nil {
		b.Fatal(err)
	}
	const requests = 8
	run := func(inFlight int) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		next := make(chan struct{}, requests)
		for i := 0; i < requests; i++ {
			next <- struct{}{}
		}
		close(next)
		for w := 0; w < inFlight; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range next {
					if _, err := tc.gw.Infer(ctx, in); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	var serial, piped time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		serial += run(1)
		piped += run(4)
	}
	rate := func(d time.Duration) float64 { return float64(requests*b.N) / d.Seconds() }
	b.ReportMetric(rate(serial), "serial-req/s")
	b.ReportMetric(rate(piped), "pipelined-req/s")
	b.ReportMetric(rate(piped)/rate(serial), "speedup")
}
