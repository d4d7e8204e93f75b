package chain

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/papdl/papdl/inference/chain/chainauth"
	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/slice"
	"github.com/papdl/papdl/inference/tensor"
)

// tinyResNet is a small residual CNN: conv-relu, a residual block
// (conv-relu-conv + skip, relu), global pooling and a linear layer.
func tinyResNet(seed uint64) *onnx.Model {
	rng := rand.New(rand.NewPCG(seed, 7))
	randT := func(scale float64, shape ...int) *tensor.Tensor {
		t := tensor.New(tensor.Float32, shape...)
		for i := range t.Float32s() {
			t.Float32s()[i] = float32(rng.NormFloat64() * scale)
		}
		return t
	}
	ints := func(name string, vs ...int64) onnx.Attribute {
		return onnx.Attribute{Name: name, Type: onnx.AttrInts, Ints: vs}
	}
	conv := func(name, in, w, b string) *onnx.Node {
		return &onnx.Node{Name: name, OpType: "Conv", Inputs: []string{in, w, b}, Outputs: []string{name + "_out"},
			Attrs: []onnx.Attribute{ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1)}}
	}
	relu := func(name, in string) *onnx.Node {
		return &onnx.Node{Name: name, OpType: "Relu", Inputs: []string{in}, Outputs: []string{name + "_out"}}
	}
	const c = 8
	inits := []*onnx.Initializer{
		{Name: "w0", Tensor: randT(0.3, c, 3, 3, 3)}, {Name: "b0", Tensor: randT(0.1, c)},
		{Name: "w1", Tensor: randT(0.15, c, c, 3, 3)}, {Name: "b1", Tensor: randT(0.1, c)},
		{Name: "w2", Tensor: randT(0.15, c, c, 3, 3)}, {Name: "b2", Tensor: randT(0.1, c)},
		{Name: "fw", Tensor: randT(0.3, 10, c)}, {Name: "fb", Tensor: randT(0.1, 10)},
	}
	nodes := []*onnx.Node{
		conv("conv0", "input", "w0", "b0"), relu("relu0", "conv0_out"),
		conv("conv1", "relu0_out", "w1", "b1"), relu("relu1", "conv1_out"),
		conv("conv2", "relu1_out", "w2", "b2"),
		{Name: "add", OpType: "Add", Inputs: []string{"conv2_out", "relu0_out"}, Outputs: []string{"add_out"}},
		relu("relu2", "add_out"),
		{Name: "pool", OpType: "GlobalAveragePool", Inputs: []string{"relu2_out"}, Outputs: []string{"pool_out"}},
		{Name: "flat", OpType: "Flatten", Inputs: []string{"pool_out"}, Outputs: []string{"flat_out"}},
		{Name: "fc", OpType: "Gemm", Inputs: []string{"flat_out", "fw", "fb"}, Outputs: []string{"output"},
			Attrs: []onnx.Attribute{{Name: "transB", Type: onnx.AttrInt, I: 1}}},
	}
	return &onnx.Model{IRVersion: 8, OpsetImports: []onnx.OpsetID{{Version: 13}}, Graph: &onnx.Graph{
		Name: "tiny", Nodes: nodes, Initializers: inits,
		Inputs:  []onnx.ValueInfo{onnx.TensorValueInfo("input", tensor.Float32, []int{1, 3, 16, 16})},
		Outputs: []onnx.ValueInfo{onnx.TensorValueInfo("output", tensor.Float32, []int{1, 10})},
	}}
}

// sliced is a model cut into compiled stages plus its monolithic program.
type sliced struct {
	a      *slice.Analysis
	stages []slice.Stage
	mono   *engine.Program
}

func sliceModel(t testing.TB, m *onnx.Model, cuts []int) *sliced {
	t.Helper()
	ctx := context.Background()
	a, err := slice.Analyze(ctx, m, nil)
	if err != nil {
		t.Fatalf("analyze: %v", err)
	}
	parts, err := a.Partition(cuts)
	if err != nil {
		t.Fatalf("partition %v: %v", cuts, err)
	}
	s := &sliced{a: a}
	for _, p := range parts {
		prog, err := engine.Compile(p.Model, engine.Options{})
		if err != nil {
			t.Fatalf("compile partition %d: %v", p.Index, err)
		}
		s.stages = append(s.stages, slice.Stage{Program: prog, Partition: slice.ManifestPartition{
			Index: p.Index, Start: p.Start, End: p.End, Inputs: p.Inputs, Outputs: p.Outputs, Forward: p.Forward}})
	}
	if s.mono, err = engine.Compile(a.Model, engine.Options{}); err != nil {
		t.Fatalf("compile whole model: %v", err)
	}
	return s
}

// residualCuts picks up to n cuts where more than one tensor crosses
// (inside a residual block), spread over the model.
func residualCuts(a *slice.Analysis, n int) []int {
	var inside []int
	for i := 0; i+1 < len(a.Units); i++ {
		if len(a.CutAfter(i).Tensors) > 1 {
			inside = append(inside, i)
		}
	}
	var cuts []int
	for k := 1; k <= n && len(inside) > 0; k++ {
		c := inside[k*len(inside)/(n+1)]
		if len(cuts) == 0 || c > cuts[len(cuts)-1] {
			cuts = append(cuts, c)
		}
	}
	return cuts
}

// testChain is a gateway and partition servers on loopback.
type testChain struct {
	t       testing.TB
	gw      *Gateway
	http    *httptest.Server
	addrs   []string
	ret     string // the gateway's return listener
	servers []*runningServer
	cfgs    []ServerConfig
	ctx     context.Context
}

type runningServer struct {
	cancel context.CancelFunc
	done   chan error
}

type chainOptions struct {
	timeout     time.Duration
	maxInFlight int
	queueDepth  int
	report      bool // give partitions the gateway's return address
	limits      Limits
	auth        *chainauth.Credentials
	// wrapListener, when set, replaces partition i's listener.
	wrapListener func(i int, ln net.Listener) net.Listener
}

func listen(t testing.TB, addr string) net.Listener {
	t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // a restarted server may race the old socket's release
		if ln, err = net.Listen("tcp", addr); err == nil {
			return ln
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("listen %s: %v", addr, err)
	return nil
}

func startChain(t testing.TB, s *sliced, o chainOptions) *testChain {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := zap.NewNop()
	if os.Getenv("CHAIN_DEBUG") != "" {
		log = zap.NewExample()
	}
	retLn := listen(t, "127.0.0.1:0")
	lns := make([]net.Listener, len(s.stages))
	tc := &testChain{t: t, ctx: ctx}
	for i := range lns {
		lns[i] = listen(t, "127.0.0.1:0")
		tc.addrs = append(tc.addrs, lns[i].Addr().String())
	}
	ret := retLn.Addr().String()
	tc.ret = ret
	gw, err := NewGateway(GatewayConfig{ModelName: "m", Inputs: s.a.Inputs, Outputs: s.a.Outputs, First: tc.addrs[0],
		Stages: len(s.stages), Timeout: o.timeout, MaxInFlight: o.maxInFlight, Logger: log.Named("gateway"),
		Limits: o.limits, Auth: o.auth,
		Link: LinkOptions{RedialInterval: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	tc.gw = gw
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = gw.ServeReturns(ctx, retLn) }()
	for i, st := range s.stages {
		next := ret
		if i+1 < len(s.stages) {
			next = tc.addrs[i+1]
		}
		cfg := ServerConfig{Stage: st, Next: next, QueueDepth: o.queueDepth, Logger: log.Named("partition"),
			Limits: o.limits, Auth: o.auth,
			Link: LinkOptions{RedialInterval: 20 * time.Millisecond}}
		if o.report {
			cfg.Return = ret
		}
		tc.cfgs = append(tc.cfgs, cfg)
		ln := lns[i]
		if o.wrapListener != nil {
			ln = o.wrapListener(i, ln)
		}
		tc.servers = append(tc.servers, tc.run(cfg, ln))
	}
	tc.http = httptest.NewServer(gw.Handler())
	t.Cleanup(func() {
		tc.http.Close()
		cancel()
		for _, rs := range tc.servers {
			if rs != nil {
				<-rs.done
			}
		}
		wg.Wait()
	})
	return tc
}

func (tc *testChain) run(cfg ServerConfig, ln net.Listener) *runningServer {
	srv, err := NewServer(cfg)
	if err != nil {
		tc.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(tc.ctx)
	rs := &runningServer{cancel: cancel, done: make(chan error, 1)}
	go func() { rs.done <- srv.Serve(ctx, ln) }()
	return rs
}

// kill stops partition i (its connections close, in-flight work is lost).
func (tc *testChain) kill(i int) {
	rs := tc.servers[i]
	rs.cancel()
	if err := <-rs.done; err != nil && !errors.Is(err, context.Canceled) {
		tc.t.Errorf("partition %d stopped with %v", i, err)
	}
	tc.servers[i] = nil
}

// restart starts partition i again on its old address.
func (tc *testChain) restart(i int) {
	tc.servers[i] = tc.run(tc.cfgs[i], listen(tc.t, tc.addrs[i]))
}

func sameBits(t testing.TB, what string, got, want *tensor.Tensor) {
	t.Helper()
	if got.DType != want.DType || !tensor.SameShape(got.Shape, want.Shape) {
		t.Fatalf("%s: got %s, want %s", what, got, want)
	}
	gb, _ := got.RawBytes()
	wb, _ := want.RawBytes()
	if !bytes.Equal(gb, wb) {
		t.Fatalf("%s: outputs differ from the monolithic run", what)
	}
}
