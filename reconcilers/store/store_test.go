package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestJSONRoundTripAndEvents(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	type doc struct{ A int }
	path, err := s.ModelFile("m", StatusFile)
	if err != nil {
		t.Fatal(err)
	}
	if found, err := ReadJSON(path, &doc{}); found || err != nil {
		t.Fatalf("ReadJSON of a missing file = %v, %v", found, err)
	}
	if err := WriteJSON(path, doc{A: 7}); err != nil {
		t.Fatal(err)
	}
	var got doc
	if found, err := ReadJSON(path, &got); !found || err != nil || got.A != 7 {
		t.Fatalf("ReadJSON = %v %v %+v", found, err, got)
	}
	for i := 0; i < maxEvents+5; i++ {
		if err := s.AppendEvent("m", Event{Time: time.Unix(int64(i), 0), Reason: "R", Message: fmt.Sprint("x", i)}); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := s.Events("m", 3)
	if err != nil || len(evs) != 3 || evs[2].Time.Unix() != maxEvents+4 {
		t.Fatalf("Events = %v %v", evs, err)
	}
	all, _ := s.Events("m", 0)
	if len(all) != maxEvents {
		t.Errorf("log holds %d events, want the last %d", len(all), maxEvents)
	}
	names, _ := s.ModelNames()
	if len(names) != 1 || names[0] != "m" {
		t.Errorf("ModelNames = %v", names)
	}
	if err := s.DeleteModel("m"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "models", "m")); !os.IsNotExist(err) {
		t.Errorf("model dir still there: %v", err)
	}
}

func TestKeyAndPrune(t *testing.T) {
	k := Key("a", 1)
	if k == Key("a", 2) || k != Key("a", 1) || ValidKey(k) != nil {
		t.Fatal("Key is not a function of its parts")
	}
	s, _ := Open(t.TempDir())
	for _, k := range []string{"k1", "k2"} {
		if err := os.MkdirAll(filepath.Join(s.Dir(), "artifacts", k), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := s.PruneArtifacts(map[string]bool{"k1": true})
	if err != nil || len(removed) != 1 || removed[0] != "k2" {
		t.Fatalf("PruneArtifacts = %v %v", removed, err)
	}
}

// TestNamesNeverBecomePaths feeds names that validation rejects to every
// path builder and destructive call: each is refused and nothing outside
// the models directory is touched (the state directory's other contents
// and a sibling of the state directory survive).
func TestNamesNeverBecomePaths(t *testing.T) {
	root := t.TempDir()
	s, err := Open(filepath.Join(root, "state"))
	if err != nil {
		t.Fatal(err)
	}
	sentinels := []string{filepath.Join(root, "x", "keep"), filepath.Join(root, "state", "artifacts", "k", "keep"),
		filepath.Join(root, "state", "models", "keep")}
	for _, p := range sentinels {
		if err := WriteFileAtomic(p, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"", ".", "..", "../x", "../../x", "a/b", "/etc", "A", "-a", "a..b", strings.Repeat("a", 64)} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.ModelDir(name); !errors.Is(err, ErrInvalidName) {
				t.Errorf("ModelDir(%q) = %v, want ErrInvalidName", name, err)
			}
			if _, err := s.ModelFile(name, StatusFile); !errors.Is(err, ErrInvalidName) {
				t.Errorf("ModelFile(%q) = %v, want ErrInvalidName", name, err)
			}
			if err := s.DeleteModel(name); !errors.Is(err, ErrInvalidName) {
				t.Errorf("DeleteModel(%q) = %v, want ErrInvalidName", name, err)
			}
			if err := s.AppendEvent(name, Event{Reason: "R"}); !errors.Is(err, ErrInvalidName) {
				t.Errorf("AppendEvent(%q) = %v, want ErrInvalidName", name, err)
			}
			if _, err := s.Events(name, 0); !errors.Is(err, ErrInvalidName) {
				t.Errorf("Events(%q) = %v, want ErrInvalidName", name, err)
			}
			if _, err := s.ArtifactDir(name); !errors.Is(err, ErrInvalidName) {
				t.Errorf("ArtifactDir(%q) = %v, want ErrInvalidName", name, err)
			}
			if _, err := s.ProfilePath(name); !errors.Is(err, ErrInvalidName) {
				t.Errorf("ProfilePath(%q) = %v, want ErrInvalidName", name, err)
			}
		})
	}
	if _, err := s.ModelFile("m", "../status.json"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("ModelFile with a path as file = %v, want ErrInvalidName", err)
	}
	for _, p := range sentinels {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
}

func TestModelNamesSkipsInvalidEntries(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	models := filepath.Join(s.Dir(), "models")
	for _, d := range []string{"good", "Bad", "a..b", ".hidden"} {
		if err := os.MkdirAll(filepath.Join(models, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(models, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	names, err := s.ModelNames()
	if err != nil || !slices.Equal(names, []string{"good"}) {
		t.Errorf("ModelNames = %v, %v; want [good]", names, err)
	}
	invalid, err := s.InvalidModelEntries()
	if err != nil || !slices.Equal(invalid, []string{"Bad", "a..b", "file"}) {
		t.Errorf("InvalidModelEntries = %v, %v; want [Bad a..b file]", invalid, err)
	}
}

func TestReadJSONCorrupt(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		content []byte
	}{
		{"truncated", []byte(`{"A": 7`)},
		{"empty", nil},
		{"garbage", []byte{0xff, 0x00, 0x13}},
		{"too large", append([]byte(`{"A":1}`), bytes.Repeat([]byte(" "), MaxStateFileBytes)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".json")
			if err := os.WriteFile(path, tt.content, 0o644); err != nil {
				t.Fatal(err)
			}
			var v struct{ A int }
			found, err := ReadJSON(path, &v)
			if !found || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("ReadJSON = %v, %v; want found and ErrCorrupt", found, err)
			}
			aside, err := MoveAside(path)
			if err != nil {
				t.Fatal(err)
			}
			if found, err := ReadJSON(path, &v); found || err != nil {
				t.Errorf("after MoveAside: ReadJSON = %v, %v; want absent", found, err)
			}
			if b, err := os.ReadFile(aside); err != nil || !bytes.Equal(b, tt.content) {
				t.Errorf("the moved-aside copy differs: %v", err)
			}
		})
	}
	if err := os.Mkdir(filepath.Join(dir, "d.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	if found, err := ReadJSON(filepath.Join(dir, "d.json"), &struct{}{}); !found || !errors.Is(err, ErrCorrupt) {
		t.Errorf("ReadJSON of a directory = %v, %v; want ErrCorrupt", found, err)
	}
}

// TestEventsSurviveDamagedLines: a line over the bound or garbage is
// skipped; the lines around it and later appends are kept.
func TestEventsSurviveDamagedLines(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AppendEvent("m", Event{Reason: "First"}); err != nil {
		t.Fatal(err)
	}
	path, _ := s.ModelFile("m", EventsFile)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	huge := `{"reason":"Huge","message":"` + strings.Repeat("x", 2<<20) + `"}` + "\n"
	if _, err := f.WriteString(huge + "\x00\x01garbage\n{\"reason\":\n" + `{"reason":"Second"}` + "\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := s.AppendEvent("m", Event{Reason: "Third"}); err != nil {
		t.Fatalf("AppendEvent after a damaged line: %v", err)
	}
	evs, err := s.Events("m", 0)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	var reasons []string
	for _, e := range evs {
		reasons = append(reasons, e.Reason)
	}
	if !slices.Equal(reasons, []string{"First", "Second", "Third"}) {
		t.Errorf("reasons = %v, want [First Second Third]", reasons)
	}
}

// TestEventsFold: consecutive identical events fold into one with a count
// and first and last seen times; others are appended in order; messages
// are bounded; the log keeps at most maxEvents.
func TestEventsFold(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	at := func(sec int) time.Time { return time.Unix(int64(sec), 0).UTC() }
	ev := func(sec int, reason, msg string) Event {
		return Event{Time: at(sec), Type: "Warning", Reason: reason, Message: msg}
	}
	var appended []Event
	for i := 0; i < 100; i++ {
		appended = append(appended, ev(i, "Restarted", "gateway exited"))
	}
	appended = append(appended, ev(100, "NotReady", "no answer"), ev(101, "Restarted", "gateway exited"),
		ev(102, "Restarted", "gateway exited"), ev(103, "Restarted", "gateway exited: other"))
	for _, e := range appended {
		if err := s.AppendEvent("m", e); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := s.Events("m", 0)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		reason      string
		count       int
		first, last time.Time
	}
	var got []row
	for _, e := range evs {
		got = append(got, row{e.Reason, e.Occurrences(), e.Since(), e.LastSeen()})
	}
	want := []row{{"Restarted", 100, at(0), at(99)}, {"NotReady", 1, at(100), at(100)}, {"Restarted", 2, at(101), at(102)},
		{"Restarted", 1, at(103), at(103)}}
	if !slices.Equal(got, want) {
		t.Errorf("events\n got %+v\nwant %+v", got, want)
	}

	long := strings.Repeat("é", MaxEventMessageBytes)
	if err := s.AppendEvent("m", ev(301, "Long", long)); err != nil {
		t.Fatal(err)
	}
	last, _ := s.Events("m", 1)
	if m := last[0].Message; len(m) > MaxEventMessageBytes || !utf8.ValidString(m) || !strings.HasSuffix(m, "(truncated)") {
		t.Errorf("long message stored as %d bytes (valid UTF-8 %v): %.40q...", len(m), utf8.ValidString(m), m)
	}
	for i := 0; i < 2*maxEvents; i++ {
		if err := s.AppendEvent("m", ev(400+i, "Distinct", fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if all, _ := s.Events("m", 0); len(all) != maxEvents {
		t.Errorf("log holds %d events, want %d", len(all), maxEvents)
	}
}
