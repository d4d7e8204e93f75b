package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/papdl/papdl/inference/chain"
	"github.com/papdl/papdl/inference/slice"
)

func runGateway(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlagSet("gateway", stderr)
	manifest := fs.String("manifest", "", "partition manifest: path or http(s) URL (with --first: the route to start with; without both, the gateway waits for a signed route on PUT /papdl/route)")
	manifestSHA := fs.String("manifest-sha256", "", "expected sha256 of the manifest (optional)")
	first := fs.String("first", "", "address of partition 0 (with --manifest)")
	listen := fs.String("listen", "127.0.0.1:8765", "HTTP API address")
	retListen := fs.String("return-listen", "127.0.0.1:7000", "address the last partition returns results to")
	name := fs.String("model-name", "", "model name in the inference protocol (default: the manifest's model)")
	timeout := fs.Duration("timeout", 30*time.Second, "per-request deadline")
	inFlight := fs.Int("max-in-flight", 8, "requests inside the chain at once; more wait")
	maxBody := fs.Int64("max-body-bytes", 0, "largest HTTP request body (default: what the model's inputs need as JSON, plus 1 MiB)")
	maxFrame := fs.Int64("max-frame-bytes", 1<<30, "largest tensor payload accepted from the chain (also bounded by the model's outputs)")
	maxConns := fs.Int("max-conns", 256, "most HTTP connections served at once; more wait")
	readTimeout := fs.Duration("read-timeout", time.Minute, "longest time to receive a whole HTTP request, body included")
	idle := fs.Duration("idle-timeout", time.Minute, "close idle HTTP keep-alive connections after this long")
	tokenFile := fs.String("token-file", "", "file holding the bearer token that /input and /v2/.../infer require (optional; health and metadata stay open)")
	tlsCert := fs.String("tls-cert", "", "serve the HTTP API over TLS with this certificate (PEM; with --tls-key)")
	tlsKey := fs.String("tls-key", "", "the private key of --tls-cert (PEM)")
	creds := fs.String("credentials", "", "the model's chain credentials (PEM file from the controller): every hop is mutual TLS (optional)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := parse(fs, args); err != nil {
		return err
	}
	if (*manifest == "") != (*first == "") {
		fmt.Fprintln(stderr, "papdl-node gateway: --manifest and --first go together (without both, routes come from the controller)")
		fs.Usage()
		return errUsage
	}
	if *manifest == "" && (*name == "" || *creds == "") {
		fmt.Fprintln(stderr, "papdl-node gateway: without --manifest, --model-name and --credentials are required (routes are signed for the model)")
		return errUsage
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	man := &slice.Manifest{}
	if *manifest != "" {
		if man, err = chain.FetchManifest(ctx, nil, *manifest, *manifestSHA); err != nil {
			return err
		}
	}
	if *name == "" {
		*name = man.Model
	}
	auth, err := loadCredentials(*creds, log)
	if err != nil {
		return err
	}
	token, err := readToken(*tokenFile)
	if err != nil {
		return err
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		fmt.Fprintln(stderr, "papdl-node gateway: --tls-cert and --tls-key go together")
		return errUsage
	}
	gw, err := chain.NewGateway(chain.GatewayConfig{ModelName: *name, ManifestSHA256: man.SHA256, Inputs: man.Inputs, Outputs: man.Outputs,
		First: *first, Stages: len(man.Partitions), Timeout: *timeout, MaxInFlight: *inFlight,
		MaxBodyBytes: *maxBody, Limits: chain.Limits{MaxPayload: *maxFrame}, Auth: auth, Token: token, Logger: log,
		HTTP: chain.HTTPLimits{ReadTimeout: *readTimeout, IdleTimeout: *idle, MaxConns: *maxConns}})
	if err != nil {
		return err
	}
	retLn, err := net.Listen("tcp", *retListen)
	if err != nil {
		return fmt.Errorf("gateway return listener: %w", err)
	}
	retDone := make(chan error, 1)
	go func() { retDone <- gw.ServeReturns(ctx, retLn) }()
	var certKey []string
	if *tlsCert != "" {
		certKey = []string{*tlsCert, *tlsKey}
	}
	stopHTTP, err := serveHTTP(ctx, *listen, gw.HTTPServer(ctx), gw.HTTPLimits().MaxConns, log, certKey...)
	if err != nil {
		return err
	}
	log.Info("gateway up", zap.String("model", *name), zap.Int("partitions", len(man.Partitions)), zap.String("first", *first))
	<-ctx.Done()
	stopHTTP()
	return <-retDone
}

// readToken reads a bearer token file ("" means no token); surrounding
// white space is dropped, an empty token refused.
func readToken(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--token-file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
		return "", fmt.Errorf("--token-file %s: want one non-empty token without white space", path)
	}
	return tok, nil
}
