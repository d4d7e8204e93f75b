package npy

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzDecode checks that no input panics, that the three decoders agree,
// and that whatever decodes survives an encode/decode round trip.
func FuzzDecode(f *testing.F) {
	// The golden files are seeds too; testdata/fuzz/FuzzDecode holds
	// hand-picked valid and invalid ones.
	golden, _ := filepath.Glob(filepath.Join("testdata", "golden", "*_2x3*.npy"))
	for _, name := range golden {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DecodeBytes(b)
		fromReader, rerr := Decode(bytes.NewReader(b))
		if (err == nil) != (rerr == nil) {
			t.Fatalf("DecodeBytes error %v, Decode error %v", err, rerr)
		}
		limited, lerr := Read(bytes.NewReader(b), 256)
		switch {
		case err != nil && lerr == nil:
			t.Fatalf("Read accepted what DecodeBytes refused (%v)", err)
		case err == nil && lerr != nil && !errors.Is(lerr, ErrTooLarge):
			t.Fatalf("Read refused a valid file: %v", lerr)
		case err == nil && lerr != nil && len(b) <= 256:
			t.Fatalf("Read refused a %d-byte file as too large: %v", len(b), lerr)
		}
		if err != nil {
			return
		}
		if d := diffTensors(got, fromReader); d != "" {
			t.Fatalf("Decode disagrees with DecodeBytes: %s", d)
		}
		if lerr == nil {
			if d := diffTensors(got, limited); d != "" {
				t.Fatalf("Read disagrees with DecodeBytes: %s", d)
			}
		}
		enc, err := EncodeBytes(got)
		if err != nil {
			t.Fatalf("EncodeBytes of a decoded tensor: %v", err)
		}
		back, err := DecodeBytes(enc)
		if err != nil {
			t.Fatalf("decoding the re-encoded file: %v", err)
		}
		if d := diffTensors(got, back); d != "" {
			t.Fatalf("round trip: %s", d)
		}
	})
}

// TestFuzzSeeds keeps the seed corpus honest: files named valid_* decode,
// files named invalid_* do not.
func TestFuzzSeeds(t *testing.T) {
	names, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzDecode", "*"))
	if err != nil || len(names) < 8 {
		t.Fatalf("found %d seeds (%v), want the corpus", len(names), err)
	}
	for _, name := range names {
		base := filepath.Base(name)
		t.Run(base, func(t *testing.T) {
			raw, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
			if len(lines) != 2 || lines[0] != "go test fuzz v1" {
				t.Fatalf("not a one-value corpus file: %q", raw)
			}
			lit, ok := strings.CutPrefix(lines[1], "[]byte(")
			lit, ok2 := strings.CutSuffix(lit, ")")
			b, err := strconv.Unquote(lit)
			if !ok || !ok2 || err != nil {
				t.Fatalf("cannot read %q: %v", lines[1], err)
			}
			_, err = DecodeBytes([]byte(b))
			switch {
			case strings.HasPrefix(base, "valid_") && err != nil:
				t.Errorf("valid seed refused: %v", err)
			case strings.HasPrefix(base, "invalid_") && err == nil:
				t.Errorf("invalid seed accepted")
			}
		})
	}
}
