package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// errUsage means the flags were wrong and the usage was printed.
var errUsage = errors.New("usage")

func newFlagSet(mode string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("papdl-node "+mode, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %v\n", fs.Args())
		return errUsage
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseUnits reads "0:5,9": units 0..4 and 9.
func parseUnits(s string) ([]int, error) {
	var out []int
	for _, p := range splitList(s) {
		lo, hi, isRange := strings.Cut(p, ":")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("--units: bad unit %q", p)
		}
		if !isRange {
			out = append(out, a)
			continue
		}
		b, err := strconv.Atoi(hi)
		if err != nil || b < a {
			return nil, fmt.Errorf("--units: bad range %q (start:end, end excluded)", p)
		}
		for u := a; u < b; u++ {
			out = append(out, u)
		}
	}
	return out, nil
}

// parseSizes reads byte counts with optional K, M, G (binary) suffixes.
func parseSizes(s string) ([]int64, error) {
	var out []int64
	for _, p := range splitList(s) {
		mult := int64(1)
		switch {
		case strings.HasSuffix(p, "K"):
			mult, p = 1<<10, strings.TrimSuffix(p, "K")
		case strings.HasSuffix(p, "M"):
			mult, p = 1<<20, strings.TrimSuffix(p, "M")
		case strings.HasSuffix(p, "G"):
			mult, p = 1<<30, strings.TrimSuffix(p, "G")
		}
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("--sizes: bad size %q", p)
		}
		out = append(out, v*mult)
	}
	return out, nil
}

// shapeFlags collects repeated NAME=D1xD2x... flags.
type shapeFlags struct{ m map[string][]int }

func (f *shapeFlags) String() string { return fmt.Sprint(f.m) }

func (f *shapeFlags) Set(v string) error {
	name, dims, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("%q: want NAME=D1xD2x...", v)
	}
	var shape []int
	for _, d := range strings.Split(dims, "x") {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return fmt.Errorf("%q: bad dimension %q", v, d)
		}
		shape = append(shape, n)
	}
	if f.m == nil {
		f.m = map[string][]int{}
	}
	f.m[name] = shape
	return nil
}
