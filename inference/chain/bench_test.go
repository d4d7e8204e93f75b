package chain

import (
	"context"
	"encoding/json"
	"math"
	"net"
	"testing"

	"github.com/papdl/papdl/inference/profile"
)

func TestFitLink(t *testing.T) {
	line := func(rtt, bw float64, sizes ...int64) []LinkSample {
		var out []LinkSample
		for _, s := range sizes {
			out = append(out, LinkSample{Bytes: s, Seconds: profile.Stats{Median: rtt + float64(s)/bw}})
		}
		return out
	}
	cases := []struct {
		name    string
		samples []LinkSample
		rtt, bw float64
	}{
		{"exact line", line(0.001, 1e9, 1<<10, 1<<20, 16<<20), 0.001, 1e9},
		{"two points", line(0.0002, 1.25e8, 0, 1<<20), 0.0002, 1.25e8},
		{"one point", line(0.003, 1e9, 0), 0.003, 0},
		{"no samples", nil, 0, 0},
		{"time falls with size", []LinkSample{{Bytes: 1, Seconds: profile.Stats{Median: 2}}, {Bytes: 2, Seconds: profile.Stats{Median: 1}}}, 1.5, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rtt, bw := FitLink(c.samples)
			if math.Abs(rtt-c.rtt) > 1e-9 || math.Abs(bw-c.bw) > c.bw*1e-6 {
				t.Errorf("FitLink = %g s, %g B/s; want %g s, %g B/s", rtt, bw, c.rtt, c.bw)
			}
		})
	}
}

func TestNodeBenchmark(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ServeProbe(ctx, ln, Limits{}, nil) }()
	s := tinySliced(t, 2)
	nb, err := RunNodeBenchmark(ctx, NodeBenchOptions{Node: "n1", Analysis: s.a, Units: []int{0, 1},
		Profile: profile.Options{Warmup: 1, Repeats: 3}, Peers: []string{ln.Addr().String(), "127.0.0.1:1"},
		Sizes: []int64{1 << 10, 4 << 20}, Repeats: 3, PeerWait: 1})
	if err != nil {
		t.Fatal(err)
	}
	if nb.Format != NodeBenchmarkFormat || nb.Node != "n1" || nb.CPUs < 1 {
		t.Errorf("header %+v", nb)
	}
	if len(nb.Units) != 2 || nb.Units[0].Index != 0 || nb.Units[1].Index != 1 || nb.Units[0].Seconds.Median <= 0 {
		t.Errorf("units %+v", nb.Units)
	}
	if len(nb.Links) != 2 {
		t.Fatalf("links %+v", nb.Links)
	}
	l := nb.Links[0]
	if l.Error != "" || len(l.Samples) != 2 || l.Samples[1].Bytes != 4<<20 || l.Samples[0].Seconds.Median <= 0 || l.BandwidthBytesPerSecond <= 0 {
		t.Errorf("link to the probe server: %+v", l)
	}
	if nb.Links[1].Error == "" {
		t.Errorf("link to a closed port has no error: %+v", nb.Links[1])
	}
	if _, err := json.Marshal(nb); err != nil {
		t.Errorf("JSON: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("probe server: %v", err)
	}
}
