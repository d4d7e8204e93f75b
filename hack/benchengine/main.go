// Command benchengine times papdl's inference engine on one ONNX file for
// hack/bench-torch.py, which alternates its rounds with PyTorch's.
//
// Usage: benchengine [-ops N | -time N] [-unfused] [-cpuprofile FILE] MODEL.onnx INPUT.npy OUTPUT.npy
//
// With -ops N it instead runs the model N times and prints the time spent
// per operator type and the slowest nodes, then exits; -cpuprofile writes
// a CPU profile of those runs. Those runs are observed, so fused nodes run
// one by one (engine.Program.RunObserved): the totals are unfused times.
// -time N times N ordinary runs instead (with -cpuprofile, a profile of
// them). -unfused compiles without epilogue fusion.
//
// It loads and compiles the model once, runs it once on the input (a single
// runtime input, as numpy wrote it) and writes the first graph output to
// OUTPUT.npy, then prints "ready". Each line "run N" on stdin runs the
// model N more times on the same resident input and prints the N latencies
// in milliseconds on one line; "quit" or end of input exits.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/papdl/papdl/inference/engine"
	"github.com/papdl/papdl/inference/npy"
	"github.com/papdl/papdl/inference/onnx"
	"github.com/papdl/papdl/inference/tensor"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchengine:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, argv []string) error {
	fs := flag.NewFlagSet("benchengine", flag.ContinueOnError)
	opsRuns := fs.Int("ops", 0, "print per-operator times over this many runs, then exit")
	timeRuns := fs.Int("time", 0, "time this many plain (fused) runs, print the mean, then exit")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the -ops or -time runs to this file")
	eachRun := fs.Bool("each", false, "with -time, also print every run's time (a fresh process warming up)")
	unfused := fs.Bool("unfused", false, "compile without epilogue fusion")
	keepWeights := fs.Bool("keep-weights", false, "keep the decoded weights beside the packed ones (no engine.Options.PackedOnly, unlike a partition server)")
	if err := fs.Parse(argv); err != nil {
		return err
	}
	args := fs.Args()
	if len(args) != 3 {
		return fmt.Errorf("usage: benchengine [-ops N] [-cpuprofile FILE] MODEL.onnx INPUT.npy OUTPUT.npy")
	}
	m, err := onnx.Load(args[0])
	if err != nil {
		return fmt.Errorf("loading %s: %w", args[0], err)
	}
	p, err := engine.Compile(m, engine.Options{Unfused: *unfused, PackedOnly: !*keepWeights})
	if err != nil {
		return fmt.Errorf("compiling %s: %w", args[0], err)
	}
	m = nil
	f, err := os.Open(args[1])
	if err != nil {
		return err
	}
	x, err := npy.Decode(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("reading %s: %w", args[1], err)
	}
	if len(p.Inputs()) != 1 {
		return fmt.Errorf("model has %d runtime inputs, want 1", len(p.Inputs()))
	}
	inputs := map[string]*tensor.Tensor{p.Inputs()[0].Name: x}
	out, err := p.Run(ctx, inputs)
	if err != nil {
		return fmt.Errorf("running %s: %w", args[0], err)
	}
	y := out[p.Outputs()[0].Name]
	if err := writeNpy(args[2], y); err != nil {
		return err
	}
	if *opsRuns > 0 {
		return profileOps(ctx, p, inputs, *opsRuns, *cpuProfile)
	}
	if *timeRuns > 0 {
		return timeRunsOf(ctx, p, inputs, *timeRuns, *cpuProfile, *eachRun)
	}
	fmt.Println("ready")
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if fields[0] == "quit" {
			return nil
		}
		if fields[0] != "run" || len(fields) != 2 {
			return fmt.Errorf("unknown command %q", sc.Text())
		}
		n, err := strconv.Atoi(fields[1])
		if err != nil || n < 1 {
			return fmt.Errorf("bad run count %q", fields[1])
		}
		ms := make([]string, n)
		for i := range ms {
			start := time.Now()
			if _, err := p.Run(ctx, inputs); err != nil {
				return fmt.Errorf("running %s: %w", args[0], err)
			}
			ms[i] = strconv.FormatFloat(float64(time.Since(start).Microseconds())/1000, 'f', 3, 64)
		}
		fmt.Println(strings.Join(ms, " "))
	}
	return sc.Err()
}

func writeNpy(path string, t *tensor.Tensor) error {
	b, err := npy.EncodeBytes(t)
	if err != nil {
		return fmt.Errorf("encoding the output: %w", err)
	}
	return os.WriteFile(path, b, 0o644)
}

// timeRunsOf runs p n times and prints the mean wall and CPU time per run.
func timeRunsOf(ctx context.Context, p *engine.Program, inputs map[string]*tensor.Tensor, n int, cpuProfile string, each bool) error {
	stop, err := startProfile(cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	cpu0, start := cpuTime(), time.Now()
	for i := 0; i < n; i++ {
		t0 := time.Now()
		if _, err := p.Run(ctx, inputs); err != nil {
			return err
		}
		if each {
			fmt.Printf("run %d: %.2f ms\n", i+1, float64(time.Since(t0).Microseconds())/1000)
		}
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
	fmt.Printf("mean %.2f ms per run, CPU time %.2f ms per run\n", per(time.Since(start)), per(cpuTime()-cpu0))
	// Resident memory between runs (garbage, and the kernels' scratch
	// pools, which two collections empty, returned to the OS) and the
	// peak, which includes compiling.
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("live heap %d MiB, kernel scratch %.1f MiB\n", ms.HeapAlloc>>20, float64(p.ScratchBytes())/(1<<20))
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmRSS:") || strings.HasPrefix(line, "VmHWM:") {
			fmt.Println(strings.Join(strings.Fields(line), " "))
		}
	}
	runtime.KeepAlive(p)
	return nil
}

// startProfile starts a CPU profile into path (nothing when path is empty)
// and returns the function that stops it.
func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// profileOps runs p n times and prints the time per operator type and the
// ten slowest nodes, as averages per run.
func profileOps(ctx context.Context, p *engine.Program, inputs map[string]*tensor.Tensor, n int, cpuProfile string) error {
	stop, err := startProfile(cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	byOp := map[string]time.Duration{}
	byNode := map[string]time.Duration{}
	var total time.Duration
	cpu0 := cpuTime()
	for i := 0; i < n; i++ {
		start := time.Now()
		_, err := p.RunObserved(ctx, inputs, func(o engine.Observation) {
			byOp[o.Node.OpType] += o.Duration
			byNode[o.Node.Label()+" "+fmt.Sprint(o.Outputs[0].Shape)] += o.Duration
		})
		if err != nil {
			return err
		}
		total += time.Since(start)
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
	fmt.Printf("total %.2f ms per run, CPU time %.2f ms per run\n", ms(total), ms(cpuTime()-cpu0))
	printTop := func(m map[string]time.Duration, limit int) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] })
		for i, k := range keys {
			if i == limit {
				break
			}
			fmt.Printf("  %8.2f ms  %s\n", ms(m[k]), k)
		}
	}
	printTop(byOp, 100)
	fmt.Println("slowest nodes:")
	printTop(byNode, 15)
	return nil
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
