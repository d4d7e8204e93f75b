package store

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestJSONRoundTripAndEvents(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	type doc struct{ A int }
	path := filepath.Join(s.ModelDir("m"), "status.json")
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
		if err := s.AppendEvent("m", Event{Time: time.Unix(int64(i), 0), Reason: "R", Message: "x"}); err != nil {
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
	if _, err := os.Stat(s.ModelDir("m")); !os.IsNotExist(err) {
		t.Errorf("model dir still there: %v", err)
	}
}

func TestKeyAndPrune(t *testing.T) {
	if a1, a1again := Key("a", 1), Key("a", 1); Key("a", 1) == Key("a", 2) || a1 != a1again {
		t.Fatal("Key is not a function of its parts")
	}
	s, _ := Open(t.TempDir())
	for _, k := range []string{"k1", "k2"} {
		if err := os.MkdirAll(s.ArtifactDir(k), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := s.PruneArtifacts(map[string]bool{"k1": true})
	if err != nil || len(removed) != 1 || removed[0] != "k2" {
		t.Fatalf("PruneArtifacts = %v %v", removed, err)
	}
}
