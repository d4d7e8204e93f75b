package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"go.uber.org/zap"

	"github.com/papdl/papdl/inference/chain"
)

func runGateway(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlagSet("gateway", stderr)
	manifest := fs.String("manifest", "", "partition manifest: path or http(s) URL (required)")
	manifestSHA := fs.String("manifest-sha256", "", "expected sha256 of the manifest (optional)")
	first := fs.String("first", "", "address of partition 0 (required)")
	listen := fs.String("listen", ":8765", "HTTP API address")
	retListen := fs.String("return-listen", ":7000", "address the last partition returns results to")
	name := fs.String("model-name", "", "model name in the inference protocol (default: the manifest's model)")
	timeout := fs.Duration("timeout", 30*time.Second, "per-request deadline")
	inFlight := fs.Int("max-in-flight", 8, "requests inside the chain at once; more wait")
	maxBody := fs.Int64("max-body-bytes", 256<<20, "largest HTTP request body")
	maxFrame := fs.Int64("max-frame-bytes", 1<<30, "largest tensor payload accepted from the chain")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *manifest == "" || *first == "" {
		fmt.Fprintln(stderr, "papdl-node gateway: --manifest and --first are required")
		fs.Usage()
		return errUsage
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	man, err := chain.FetchManifest(ctx, nil, *manifest, *manifestSHA)
	if err != nil {
		return err
	}
	if *name == "" {
		*name = man.Model
	}
	gw, err := chain.NewGateway(chain.GatewayConfig{ModelName: *name, ManifestSHA256: man.SHA256, Inputs: man.Inputs, Outputs: man.Outputs,
		First: *first, Stages: len(man.Partitions), Timeout: *timeout, MaxInFlight: *inFlight,
		MaxBodyBytes: *maxBody, Limits: chain.Limits{MaxPayload: *maxFrame}, Logger: log})
	if err != nil {
		return err
	}
	retLn, err := net.Listen("tcp", *retListen)
	if err != nil {
		return fmt.Errorf("gateway return listener: %w", err)
	}
	retDone := make(chan error, 1)
	go func() { retDone <- gw.ServeReturns(ctx, retLn) }()
	stopHTTP, err := serveHTTP(ctx, *listen, gw.Handler(), log)
	if err != nil {
		return err
	}
	log.Info("gateway up", zap.String("model", *name), zap.Int("partitions", len(man.Partitions)), zap.String("first", *first))
	<-ctx.Done()
	stopHTTP()
	return <-retDone
}
