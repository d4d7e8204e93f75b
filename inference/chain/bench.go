package chain

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"time"

	"go.uber.org/zap"

	"github.com/papdl/papdl/inference/profile"
	"github.com/papdl/papdl/inference/slice"
)

// NodeBenchmarkFormat identifies the JSON schema of a NodeBenchmark.
const NodeBenchmarkFormat = "papdl.io/node-benchmark/v1"

// NodeBenchmark is what one node measured: its compute time and memory per
// unit, and its links to peers. Times are in seconds, sizes in bytes,
// bandwidths in bytes per second.
type NodeBenchmark struct {
	Format string `json:"format"`
	// Node is the name the node was given (default: its host name).
	Node  string `json:"node"`
	Host  string `json:"host"`
	CPUs  int    `json:"cpus"`
	Model string `json:"model,omitempty"`
	// MemoryBytes is the node's total memory (0 if unknown).
	MemoryBytes int64 `json:"memoryBytes"`
	// Units are the profiled units (only those asked for).
	Units []profile.Unit `json:"units,omitempty"`
	// ModelSeconds is the time of a whole run of the model on this node.
	ModelSeconds *profile.Stats  `json:"modelSeconds,omitempty"`
	Links        []LinkBenchmark `json:"links,omitempty"`
}

// LinkBenchmark is the link from this node to a peer, fitted as
// seconds(bytes) = RTTSeconds + bytes / BandwidthBytesPerSecond.
type LinkBenchmark struct {
	Peer                    string       `json:"peer"`
	RTTSeconds              float64      `json:"rttSeconds"`
	BandwidthBytesPerSecond float64      `json:"bandwidthBytesPerSecond"`
	Samples                 []LinkSample `json:"samples"`
	// Error is set when the peer could not be measured.
	Error string `json:"error,omitempty"`
}

// LinkSample is the time to send Bytes to the peer and get its one-frame
// acknowledgement back.
type LinkSample struct {
	Bytes   int64         `json:"bytes"`
	Seconds profile.Stats `json:"seconds"`
}

// ServeProbe answers link probes on ln until ctx ends: every Echo frame is
// acknowledged with an empty EchoReply frame of the same id.
func ServeProbe(ctx context.Context, ln net.Listener, lim Limits, log *zap.Logger) error {
	if log == nil {
		log = zap.NewNop()
	}
	lim = lim.withDefaults()
	err := serveConns(ctx, ln, acceptOptions{maxConns: lim.MaxConns}, func(c net.Conn) {
		r := bufio.NewReaderSize(c, 64<<10)
		for {
			_ = c.SetReadDeadline(time.Now().Add(lim.IdleTimeout))
			f, _, err := ReadFrame(r, lim)
			if err != nil {
				if !errors.Is(err, io.EOF) && ctx.Err() == nil {
					log.Info("probe connection closed", zap.String("peer", c.RemoteAddr().String()), zap.Error(err))
				}
				return
			}
			if f.Kind != KindEcho {
				log.Warn("probe: unexpected frame", zap.Stringer("kind", f.Kind))
				return
			}
			if _, err := WriteFrame(c, &Frame{Kind: KindEchoReply, ID: f.ID, ErrStage: -1}); err != nil {
				return
			}
		}
	})
	if err != nil {
		return fmt.Errorf("probe: accept on %s: %w", ln.Addr(), err)
	}
	return nil
}

// MeasureLink probes the peer's ServeProbe with each payload size, repeats
// times after one warm-up, and fits the link model to the medians.
func MeasureLink(ctx context.Context, peer string, sizes []int64, repeats int) (LinkBenchmark, error) {
	lb := LinkBenchmark{Peer: peer}
	if repeats <= 0 {
		repeats = 5
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", peer)
	if err != nil {
		return lb, fmt.Errorf("probe %s: %w", peer, err)
	}
	defer c.Close()
	unhook := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer unhook()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	r := bufio.NewReader(c)
	var seq uint64
	sizes = append([]int64(nil), sizes...)
	sort.Slice(sizes, func(i, j int) bool { return sizes[i] < sizes[j] })
	for _, size := range sizes {
		if size < 0 {
			return lb, fmt.Errorf("probe %s: negative payload size %d", peer, size)
		}
		blob := make([]byte, size)
		var samples []float64
		for i := 0; i <= repeats; i++ {
			seq++
			var id RequestID
			id[15] = byte(seq)
			id[14] = byte(seq >> 8)
			start := time.Now()
			if _, err := WriteFrame(c, &Frame{Kind: KindEcho, ID: id, ErrStage: -1, Blob: blob}); err != nil {
				return lb, fmt.Errorf("probe %s with %d bytes: %w", peer, size, err)
			}
			f, _, err := ReadFrame(r, Limits{})
			if err != nil {
				return lb, fmt.Errorf("probe %s with %d bytes: %w", peer, size, err)
			}
			if f.Kind != KindEchoReply || f.ID != id {
				return lb, fmt.Errorf("probe %s: answer %s %s to %s", peer, f.Kind, f.ID, id)
			}
			if i > 0 { // the first round trip warms the connection up
				samples = append(samples, time.Since(start).Seconds())
			}
		}
		lb.Samples = append(lb.Samples, LinkSample{Bytes: size, Seconds: profile.Summarize(samples)})
	}
	lb.RTTSeconds, lb.BandwidthBytesPerSecond = FitLink(lb.Samples)
	return lb, nil
}

// FitLink fits seconds = rtt + bytes/bandwidth to the samples' medians by
// least squares. With fewer than two sizes, or no growth of time with size,
// bandwidth is 0 (unknown) and rtt the mean time.
func FitLink(samples []LinkSample) (rttSeconds, bandwidth float64) {
	n := float64(len(samples))
	if n == 0 {
		return 0, 0
	}
	var sx, sy, sxx, sxy float64
	for _, s := range samples {
		x, y := float64(s.Bytes), s.Seconds.Median
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	den := n*sxx - sx*sx
	if n < 2 || den == 0 {
		return sy / n, 0
	}
	slope := (n*sxy - sx*sy) / den
	if slope <= 0 {
		return sy / n, 0
	}
	rtt := (sy - slope*sx) / n
	return max(rtt, 0), 1 / slope
}

// CutSizes lists the distinct byte sizes of the cuts after the given units
// (all cuts when units is empty), smallest first: the payloads the link
// probes should use.
func CutSizes(a *slice.Analysis, units []int) []int64 {
	cuts := a.Cuts()
	seen := map[int64]bool{}
	var out []int64
	keep := func(i int) bool {
		if len(units) == 0 {
			return true
		}
		for _, u := range units {
			if u == i {
				return true
			}
		}
		return false
	}
	for _, c := range cuts {
		if keep(c.After) && !seen[c.Bytes] {
			seen[c.Bytes] = true
			out = append(out, c.Bytes)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
