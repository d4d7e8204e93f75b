package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/papdl/papdl/inference/chain"
	"github.com/papdl/papdl/inference/chain/chainauth"
)

func runPartition(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlagSet("partition", stderr)
	var src chain.StageSource
	fs.StringVar(&src.Manifest, "manifest", "", "partition manifest: path or http(s) URL (required)")
	fs.StringVar(&src.ManifestSHA256, "manifest-sha256", "", "expected sha256 of the manifest (optional)")
	fs.IntVar(&src.Index, "index", -1, "index of the partition to serve (required)")
	fs.StringVar(&src.Partition, "partition", "", "partition file: path or URL (default: the manifest's file next to it)")
	fs.StringVar(&src.SHA256, "sha256", "", "expected sha256 of the partition file (default: the manifest's); a mismatch is refused")
	listen := fs.String("listen", "127.0.0.1:7001", "address to accept the upstream hop on")
	next := fs.String("next", "", "downstream address: the next partition, or the gateway's return listener (required)")
	ret := fs.String("return", "", "gateway return listener, for fast failure reports (optional)")
	queue := fs.Int("queue", 2, "depth of the receive->compute and compute->send queues")
	workers := fs.Int("workers", 1, "compute goroutines")
	metricsAddr := fs.String("metrics", "", "serve /metrics over HTTP on this address (optional)")
	maxFrame := fs.Int64("max-frame-bytes", 1<<30, "largest tensor payload accepted on a hop (also bounded by the manifest's tensors)")
	maxConns := fs.Int("max-conns", 32, "most upstream connections served at once")
	idle := fs.Duration("idle-timeout", 2*time.Minute, "close an upstream connection that sends no complete frame for this long")
	creds := fs.String("credentials", "", "the model's chain credentials (PEM file from the controller): every hop is mutual TLS (optional; without it hops are unauthenticated)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	cacheDir := fs.String("cache-dir", "", "keep fetched partition files here by sha256 and load them from here when they verify (optional; the Swarm runtime mounts a named volume)")
	cacheBytes := fs.Int64("cache-max-bytes", chain.DefaultCacheBytes, "bound of --cache-dir; the least recently used files go first")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *cacheDir != "" {
		src.Cache = &chain.ArtifactCache{Dir: *cacheDir, MaxBytes: *cacheBytes}
	}
	if src.Manifest == "" || src.Index < 0 || *next == "" {
		fmt.Fprintln(stderr, "papdl-node partition: --manifest, --index and --next are required")
		fs.Usage()
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
	start := time.Now()
	stage, _, err := chain.LoadStage(ctx, src)
	if err != nil {
		return err
	}
	log.Info("partition loaded", zap.Int("partition", stage.Partition.Index), zap.String("sha256", stage.Partition.SHA256),
		zap.Duration("took", time.Since(start)), zap.Int64("peakRSSBytes", peakRSS()))
	scratch, limit, err := warmUp(ctx, stage)
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		log.Warn("no warm-up on sample inputs: serving with the memory limit as given", zap.Error(err))
	case limit > 0:
		log.Info("memory limit raised by the kernels' scratch", zap.Int64("scratchBytes", scratch), zap.Int64("goMemLimitBytes", limit))
	}
	if percent := tightenGC(); percent > 0 {
		log.Info("GC target lowered for the loaded weights", zap.Int("gcPercent", percent))
	}
	auth, err := loadCredentials(*creds, log)
	if err != nil {
		return err
	}
	srv, err := chain.NewServer(chain.ServerConfig{Stage: stage, Next: *next, Return: *ret, QueueDepth: *queue,
		Workers: *workers, Limits: chain.Limits{MaxPayload: *maxFrame, MaxConns: *maxConns, IdleTimeout: *idle},
		Auth: auth, Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("partition %d: %w", stage.Partition.Index, err)
	}
	if *metricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", srv.MetricsHandler())
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
		stopHTTP, err := serveHTTP(ctx, *metricsAddr, chain.NewHTTPServer(ctx, mux, chain.HTTPLimits{}), 16, log)
		if err != nil {
			return err
		}
		defer stopHTTP()
	}
	return srv.Serve(ctx, ln)
}

// loadCredentials reads the chain credentials at path ("" means none: the
// hops are unauthenticated, which is logged).
func loadCredentials(path string, log *zap.Logger) (*chainauth.Credentials, error) {
	if path == "" {
		log.Warn("no --credentials: chain hops are not authenticated")
		return nil, nil
	}
	c, err := chainauth.Load(path)
	if err != nil {
		return nil, err
	}
	log.Info("chain hops authenticated", zap.String("authority", c.Fingerprint()))
	return c, nil
}

// serveHTTP serves hs on addr, at most maxConns connections at once, until
// ctx ends (or the returned stop is called). With certFile and keyFile
// it serves HTTPS.
func serveHTTP(ctx context.Context, addr string, hs *http.Server, maxConns int, log *zap.Logger, certKey ...string) (func(), error) {
	raw, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http listener: %w", err)
	}
	ln := chain.LimitListener(raw, maxConns)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var err error
		if len(certKey) == 2 {
			err = hs.ServeTLS(ln, certKey[0], certKey[1])
		} else {
			err = hs.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server stopped", zap.String("addr", addr), zap.Error(err))
		}
	}()
	log.Info("http listening", zap.String("addr", ln.Addr().String()))
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
		<-done
	}
	return stop, nil
}
