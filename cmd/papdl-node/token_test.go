package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadToken(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, path, want string
		ok               bool
	}{
		{"none", "", "", true},
		{"trailing newline", write("a", "s3cret\n"), "s3cret", true},
		{"empty", write("b", " \n"), "", false},
		{"two words", write("c", "a b\n"), "", false},
		{"missing", filepath.Join(dir, "nope"), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readToken(tt.path)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("readToken = %q, %v; want %q, ok=%v", got, err, tt.want, tt.ok)
			}
		})
	}
}
