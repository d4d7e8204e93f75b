package apiserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/papdl/papdl/reconcilers/objects"
	"github.com/papdl/papdl/reconcilers/store"
)

// Client configuration files Start writes into the state directory.
const (
	AdminConfigFile    = "admin.papdlconfig"
	ReadOnlyConfigFile = "readonly.papdlconfig"
)

// Server timeouts: ordinary requests are small and quick; a watch extends
// its own write deadline.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	shutdownGrace     = 5 * time.Second
)

// Options configure Start.
type Options struct {
	// Listen is the address to serve on (host:port; port 0 picks one).
	Listen   string
	SpecsDir string
	Store    *store.Store
	Version  string
	Log      *zap.Logger
	// Gatherers are served at /metrics next to the API's own metrics.
	Gatherers []prometheus.Gatherer
	// Differ answers dry runs (POST .../NAME/diff).
	Differ Differ
	// Logs is the runtime workload logs are read from (GET .../NAME/logs).
	Logs objects.LogRuntime
	// ExtraNames are more names (IP addresses or DNS names) the server's
	// certificate covers: the addresses clients reach it by when it
	// listens on 0.0.0.0 behind another name (papdlctl install).
	ExtraNames []string
}

// Running is a started API server.
type Running struct {
	// URL is the server's base URL, as the configuration files name it.
	URL  string
	srv  *http.Server
	done chan error
}

// Start makes (at the first start) or loads the API's CA, server
// certificate and tokens in STATE/api, listens on opts.Listen, writes
// STATE/admin.papdlconfig and STATE/readonly.papdlconfig (mode 0600) for
// the address it listens on, and serves HTTPS in the background until ctx
// ends or Close is called.
func Start(ctx context.Context, opts Options) (*Running, error) {
	log := opts.Log
	if log == nil {
		log = zap.NewNop()
	}
	stateDir := opts.Store.Dir()
	apiDir := filepath.Join(stateDir, "api")
	host, _, err := net.SplitHostPort(opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("--api-listen %s: %w", opts.Listen, err)
	}
	hostname, _ := os.Hostname()
	hosts := []string{"127.0.0.1", "::1", "localhost"}
	if hostname != "" {
		hosts = append(hosts, hostname)
	}
	if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() && !ip.IsLoopback() {
		hosts = append(hosts, host)
	} else if ip == nil && host != "" && host != "localhost" && host != hostname {
		hosts = append(hosts, host)
	}
	hosts = append(hosts, opts.ExtraNames...)
	pki, err := EnsurePKI(apiDir, hosts, time.Now())
	if err != nil {
		return nil, err
	}
	tokens, err := EnsureTokens(apiDir)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	urlHost := host
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		urlHost = hostname
		if urlHost == "" {
			urlHost = "127.0.0.1"
		}
	}
	url := "https://" + net.JoinHostPort(urlHost, strconv.Itoa(port))
	for _, c := range []struct{ file, name, token string }{
		{AdminConfigFile, "admin", tokens.Admin},
		{ReadOnlyConfigFile, "readonly", tokens.ReadOnly},
	} {
		cfg := NewConfig(Context{Name: c.name + "@" + urlHost, Server: url, CertificateAuthorityData: pki.CAPEM, Token: c.token})
		if err := cfg.Save(filepath.Join(stateDir, c.file)); err != nil {
			ln.Close()
			return nil, err
		}
	}
	srv := &http.Server{
		Handler: NewServer(ServerConfig{SpecsDir: opts.SpecsDir, Store: opts.Store, Tokens: tokens,
			Version: opts.Version, Log: log, Gatherers: opts.Gatherers, Differ: opts.Differ, Logs: opts.Logs}).Handler(),
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pki.Server}},
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          zap.NewStdLog(log.Named("http")),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	r := &Running{URL: url, srv: srv, done: make(chan error, 1)}
	go func() {
		err := srv.ServeTLS(ln, "", "")
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		r.done <- err
	}()
	go func() {
		<-ctx.Done()
		_ = r.Close()
	}()
	log.Info("API serving", zap.String("url", url), zap.String("adminConfig", filepath.Join(stateDir, AdminConfigFile)))
	return r, nil
}

// Close stops the server, letting requests in flight finish for a few
// seconds (watches are cut: their context is the server's).
func (r *Running) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := r.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = r.srv.Close()
	}
	return err
}

// Wait returns when the server has stopped, with its error.
func (r *Running) Wait() error {
	err := <-r.done
	r.done <- err
	return err
}
