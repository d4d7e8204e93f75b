package main

import "testing"

func TestParseMemoryMax(t *testing.T) {
	tests := []struct {
		in     string
		want   int64
		wantOK bool
	}{
		{"1073741824\n", 1 << 30, true},
		{"max\n", 0, false},
		{"9223372036854771712\n", 0, false}, // cgroup v1 without a limit
		{"", 0, false},
		{"junk", 0, false},
		{"0", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseMemoryMax(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseMemoryMax(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestGCPercentFor(t *testing.T) {
	tests := []struct {
		live int64
		want int
	}{
		{0, 100},
		{10 << 20, 100},  // small model: default
		{512 << 20, 50},  // 256 MiB headroom
		{1 << 30, 25},    // a quarter
		{4 << 30, 25},    // never below 25
		{256 << 20, 100}, // headroom equals the heap
		{1100 << 20, 25}, // VGG16 decoded and packed
		{-1, 100},
	}
	for _, tt := range tests {
		if got := gcPercentFor(tt.live); got != tt.want {
			t.Errorf("gcPercentFor(%d) = %d, want %d", tt.live, got, tt.want)
		}
	}
}
