// Command fakenode is a tiny stand-in for papdl-node used by the swarm
// runtime's integration tests: it is built static and run FROM scratch on
// the real test bed. Modes:
//
//	fakenode serve --listen :P --name N [--fetch URL --sha256 HEX] [--exit-after D]
//	fakenode probe --listen :7100
//	fakenode bench --node N [--peers H:P,...] [--fail] [other papdl-node bench flags, ignored]
//
// serve answers GET / with {"name","hostname"}; with --fetch it downloads
// URL first and exits 3 when its sha256 differs. probe reads a connection
// to its end and answers "ok". bench prints one "PAPDL-BENCHMARK {json}"
// line with a fake unit and a measured link per peer.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: fakenode serve|probe|bench [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "probe":
		err = probe(os.Args[2:])
	case "bench":
		err = bench(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fakenode:", err)
		os.Exit(1)
	}
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	listen := fs.String("listen", ":8080", "address")
	name := fs.String("name", "", "name to report")
	fetch := fs.String("fetch", "", "URL to download first")
	want := fs.String("sha256", "", "expected sha256 of --fetch")
	exitAfter := fs.Duration("exit-after", 0, "exit 0 after this long")
	tokenFile := fs.String("token-file", "", "a mounted token file to report")
	_ = fs.Parse(args)
	if *fetch != "" {
		resp, err := http.Get(*fetch)
		if err != nil {
			return fmt.Errorf("fetch: %w", err)
		}
		h := sha256.New()
		_, err = io.Copy(h, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return fmt.Errorf("fetch %s: status %d: %v", *fetch, resp.StatusCode, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != *want {
			fmt.Fprintf(os.Stderr, "fakenode: sha256 %s, want %s\n", got, *want)
			os.Exit(3)
		}
		fmt.Println("fetched", *fetch)
	}
	if *exitAfter > 0 {
		go func() {
			time.Sleep(*exitAfter)
			os.Exit(0)
		}()
	}
	host, _ := os.Hostname()
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		out := map[string]string{"name": *name, "hostname": host}
		// Report the mounted secrets (a test fake: the real node never
		// echoes them).
		if *tokenFile != "" {
			b, err := os.ReadFile(*tokenFile)
			out["token"] = string(b)
			if err != nil {
				out["token"] = "error: " + err.Error()
			}
		}
		if st, err := os.Stat("/run/secrets/papdl-chain.pem"); err == nil {
			out["credentialsMode"] = st.Mode().Perm().String()
		}
		_ = json.NewEncoder(w).Encode(out)
	})
	return http.ListenAndServe(*listen, nil)
}

func probe(args []string) error {
	fs := flag.NewFlagSet("probe", flag.ExitOnError)
	listen := fs.String("listen", ":7100", "address")
	_ = fs.Parse(args)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			_, _ = io.Copy(io.Discard, c)
			_, _ = c.Write([]byte("ok"))
		}()
	}
}

type link struct {
	Peer                    string  `json:"peer"`
	RTTSeconds              float64 `json:"rttSeconds"`
	BandwidthBytesPerSecond float64 `json:"bandwidthBytesPerSecond"`
	Error                   string  `json:"error,omitempty"`
}

func bench(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	node := fs.String("node", "", "node name")
	peers := fs.String("peers", "", "probe addresses")
	fail := fs.Bool("fail", false, "exit 1 without a result")
	fs.String("model", "", "ignored")
	fs.String("sha256", "", "ignored")
	fs.String("sizes", "", "ignored")
	fs.Duration("peer-wait", 0, "ignored")
	fs.Int("warmup", 0, "ignored")
	fs.Int("profile-repeats", 0, "ignored")
	_ = fs.Parse(args)
	if *fail {
		return fmt.Errorf("asked to fail")
	}
	var links []link
	for _, p := range strings.Split(*peers, ",") {
		if p == "" {
			continue
		}
		links = append(links, measure(p))
	}
	out := map[string]any{
		"format": "papdl.io/node-benchmark/v1", "node": *node, "cpus": 1,
		"units": []map[string]any{{"index": 0, "name": "u0", "seconds": map[string]float64{"median": 0.001},
			"weightBytes": 1000, "peakWorkingBytes": 24}},
		"links": links,
	}
	js, err := json.Marshal(out)
	if err != nil {
		return err
	}
	fmt.Println("some log line first")
	fmt.Printf("PAPDL-BENCHMARK %s\n", js)
	return nil
}

// measure times a connection (RTT) and a 1 MiB transfer (bandwidth).
func measure(peer string) link {
	l := link{Peer: peer}
	var c net.Conn
	var err error
	start := time.Now()
	for deadline := time.Now().Add(20 * time.Second); ; {
		start = time.Now()
		if c, err = net.DialTimeout("tcp", peer, 2*time.Second); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		l.Error = err.Error()
		return l
	}
	l.RTTSeconds = time.Since(start).Seconds()
	defer c.Close()
	payload := make([]byte, 1<<20)
	start = time.Now()
	if _, err := c.Write(payload); err != nil {
		l.Error = err.Error()
		return l
	}
	_ = c.(*net.TCPConn).CloseWrite()
	if _, err := io.ReadAll(c); err != nil {
		l.Error = err.Error()
		return l
	}
	l.BandwidthBytesPerSecond = float64(len(payload)) / time.Since(start).Seconds()
	return l
}
