package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/papdl/papdl/inference/chain"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/profile"
	"github.com/papdl/papdl/inference/slice"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stderr)
	model := fs.String("model", "", "ONNX model to profile whole: path or http(s) URL (optional)")
	sum := fs.String("sha256", "", "expected sha256 of the model (optional; a mismatch is refused)")
	manifest := fs.String("manifest", "", "benchmark partition set to profile one partition at a time, bounding memory: manifest path or http(s) URL (optional; instead of --model)")
	manifestSum := fs.String("manifest-sha256", "", "expected sha256 of the manifest (optional; a mismatch is refused)")
	units := fs.String("units", "", "units to report, e.g. 0:5,9 (default: all)")
	listen := fs.String("listen", "", "serve link probes for the peers on this address (optional)")
	peers := fs.String("peers", "", "comma-separated probe addresses of other nodes")
	sizes := fs.String("sizes", "", "probe payload sizes, e.g. 1K,1M,12M (default: the model's cut sizes)")
	repeats := fs.Int("repeats", 5, "round trips per payload size")
	warmup := fs.Int("warmup", 2, "discarded model runs")
	runs := fs.Int("profile-repeats", 10, "measured model runs")
	node := fs.String("node", "", "node name in the output (default: host name)")
	out := fs.String("out", "", "also write the JSON to this file")
	peerWait := fs.Duration("peer-wait", 60*time.Second, "keep retrying a peer that is not up yet for this long")
	linger := fs.Duration("linger", 0, "keep serving probes this long after measuring, for slower peers")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	var inputShapes shapeFlags
	fs.Var(&inputShapes, "input-shape", "NAME=D1xD2x... for inputs with symbolic dimensions (repeatable)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *model != "" && *manifest != "" {
		fmt.Fprintln(stderr, "papdl-node bench: give --model or --manifest, not both")
		return errUsage
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	if limit, ok := setMemoryLimit(); ok {
		log.Info("memory limit from the cgroup", zap.Int64("goMemLimitBytes", limit))
	}
	opts := chain.NodeBenchOptions{Node: *node, Peers: splitList(*peers), Repeats: *repeats, PeerWait: *peerWait,
		Profile: profile.Options{Warmup: *warmup, Repeats: *runs}}
	if opts.Units, err = parseUnits(*units); err != nil {
		return err
	}
	if opts.Sizes, err = parseSizes(*sizes); err != nil {
		return err
	}
	probeDone := make(chan error, 1)
	pctx, stopProbe := context.WithCancel(ctx)
	defer stopProbe()
	if *listen != "" {
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			return fmt.Errorf("probe listener: %w", err)
		}
		log.Info("serving link probes", zap.String("addr", ln.Addr().String()))
		go func() { probeDone <- chain.ServeProbe(pctx, ln, chain.Limits{}, log) }()
	} else {
		probeDone <- nil
	}
	if *model != "" {
		if opts.Analysis, err = analyze(ctx, *model, *sum, inputShapes.m); err != nil {
			return err
		}
	}
	if *manifest != "" {
		if len(inputShapes.m) > 0 {
			log.Info("--input-shape ignored: the partition set fixes the input shapes")
		}
		opts.Partitions = &chain.PartitionSet{Manifest: *manifest, ManifestSHA256: *manifestSum,
			Loaded: func(p slice.ManifestPartition) {
				log.Debug("partition measured", zap.Int("partition", p.Index), zap.Int("start", p.Start),
					zap.Int("end", p.End), zap.Int64("weightBytes", p.WeightBytes), zap.Int64("peakRSSBytes", peakRSS()))
			}}
	}
	nb, err := chain.RunNodeBenchmark(ctx, opts)
	if err != nil {
		return err
	}
	log.Info("benchmark done", zap.Int("units", len(nb.Units)), zap.Int("links", len(nb.Links)),
		zap.Int64("peakRSSBytes", peakRSS()))
	js, err := json.MarshalIndent(nb, "", "  ")
	if err != nil {
		return fmt.Errorf("encode benchmark: %w", err)
	}
	js = append(js, '\n')
	if _, err := stdout.Write(js); err != nil {
		return fmt.Errorf("write benchmark: %w", err)
	}
	if *out != "" {
		if err := os.WriteFile(*out, js, 0o644); err != nil {
			return fmt.Errorf("write benchmark: %w", err)
		}
	}
	if *linger > 0 && *listen != "" {
		select {
		case <-time.After(*linger):
		case <-ctx.Done():
		}
	}
	stopProbe()
	return <-probeDone
}

func analyze(ctx context.Context, loc, want string, shapes map[string][]int) (*slice.Analysis, error) {
	b, err := chain.Fetch(ctx, nil, loc, 0)
	if err != nil {
		return nil, err
	}
	if want != "" {
		if err := slice.VerifySHA256(b, want, "model "+loc); err != nil {
			return nil, err
		}
	}
	m, err := onnx.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", loc, err)
	}
	a, err := slice.Analyze(ctx, m, shapes)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", loc, err)
	}
	return a, nil
}

func runProbe(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlagSet("probe", stderr)
	listen := fs.String("listen", "127.0.0.1:7100", "address to serve link probes on")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := parse(fs, args); err != nil {
		return err
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("probe listener: %w", err)
	}
	log.Info("serving link probes", zap.String("addr", ln.Addr().String()))
	return chain.ServeProbe(ctx, ln, chain.Limits{}, log)
}
