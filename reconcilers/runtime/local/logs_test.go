package local

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/papdl/papdl/reconcilers/runtime"
)

func TestTailLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc\n"},
		{"a\nb\nc", 2, "b\nc"},
		{"a\nb\nc\n", 0, "a\nb\nc\n"},
		{"a\nb\n", 5, "a\nb\n"},
		{"", 3, ""},
		{"a\n", 1, "a\n"},
	} {
		if got := string(tailLines([]byte(tc.in), tc.n)); got != tc.want {
			t.Errorf("tailLines(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestTailFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.log")
	if err := tailFile(context.Background(), path, runtime.LogOptions{}, &bytes.Buffer{}); !errors.Is(err, runtime.ErrNotFound) {
		t.Fatalf("a missing log: %v, want ErrNotFound", err)
	}
	if err := os.WriteFile(path, []byte("one\ntwo\nthree\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := tailFile(context.Background(), path, runtime.LogOptions{Tail: 1}, &out); err != nil || out.String() != "three\n" {
		t.Fatalf("tail 1: %q %v", out.String(), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var followed syncBuffer
	done := make(chan error, 1)
	go func() { done <- tailFile(ctx, path, runtime.LogOptions{Tail: 1, Follow: true}, &followed) }()
	waitForText(t, &followed, "three\n")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("four\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	waitForText(t, &followed, "three\nfour\n")
	// A restart replaces the file: it is followed from its start.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("again\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitForText(t, &followed, "three\nfour\nagain\n")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func waitForText(t *testing.T, b *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for b.String() != want {
		if time.Now().After(deadline) {
			t.Fatalf("followed %q, want %q", b.String(), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
