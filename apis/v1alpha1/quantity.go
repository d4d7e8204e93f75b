package v1alpha1

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

var byteSuffixes = []struct {
	suffix string
	factor float64
}{
	{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
	{"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
}

// ParseBytes reads a byte quantity: a plain number of bytes ("1048576"), or
// a number with a binary (Ki, Mi, Gi, Ti) or decimal (k, M, G, T) suffix.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	factor := 1.0
	for _, sf := range byteSuffixes {
		if strings.HasSuffix(t, sf.suffix) {
			t, factor = strings.TrimSuffix(t, sf.suffix), sf.factor
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a byte quantity such as 64Mi, 1G or 1048576", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	b := v * factor
	if b > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return int64(math.Round(b)), nil
}

// FormatBytes renders n with the largest binary suffix keeping one decimal:
// 1536 -> "1.5 KiB".
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit && n > -unit {
		return fmt.Sprintf("%d B", n)
	}
	v := float64(n)
	for _, s := range []string{"KiB", "MiB", "GiB", "TiB"} {
		v /= unit
		if math.Abs(v) < unit || s == "TiB" {
			return strconv.FormatFloat(v, 'f', 1, 64) + " " + s
		}
	}
	return fmt.Sprintf("%d B", n)
}

// HeadroomBytes returns the memory to keep free on a node with the given
// total memory: Bytes plus Percent of total. Call after Default and Validate.
func (h *MemoryHeadroom) HeadroomBytes(totalMemory int64) (int64, error) {
	if h == nil {
		return 0, nil
	}
	var fixed int64
	if h.Bytes != nil {
		b, err := ParseBytes(*h.Bytes)
		if err != nil {
			return 0, fmt.Errorf("memory headroom: %w", err)
		}
		fixed = b
	}
	var pct int64
	if h.Percent != nil {
		pct = int64(*h.Percent)
	}
	return fixed + totalMemory*pct/100, nil
}
