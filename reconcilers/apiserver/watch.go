package apiserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/papdl/papdl/apis/labels"
)

// Watch event types.
const (
	WatchAdded    = "ADDED"
	WatchModified = "MODIFIED"
	WatchDeleted  = "DELETED"
)

// WatchEvent is one line of a watch: a model as it is now (or was last,
// for DELETED).
type WatchEvent struct {
	Type   string          `json:"type"`
	Object json.RawMessage `json:"object"`
}

// maxWatch bounds one watch; clients reconnect.
const maxWatch = 30 * time.Minute

func isWatch(r *http.Request) bool {
	w, _ := strconv.ParseBool(r.URL.Query().Get("watch"))
	return w
}

// watch streams every model (or the named one) as JSON lines: ADDED for
// each at first, then MODIFIED, ADDED or DELETED whenever the state polled
// every watchEvery differs. It ends when the client goes away, after
// timeoutSeconds (maxWatch at most), or when the server shuts down.
func (s *Server) watch(w http.ResponseWriter, r *http.Request, only string, sel labels.Selector) {
	timeout := maxWatch
	if t := r.URL.Query().Get("timeoutSeconds"); t != "" {
		if n, err := strconv.Atoi(t); err == nil && n > 0 && time.Duration(n)*time.Second < maxWatch {
			timeout = time.Duration(n) * time.Second
		}
	}
	rc := http.NewResponseController(w)
	// The server's write timeout is for ordinary requests; a watch writes
	// as long as it lasts.
	_ = rc.SetWriteDeadline(time.Now().Add(timeout + 10*time.Second))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = rc.Flush()
	enc := json.NewEncoder(w)
	ctx := r.Context()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(s.watchEvery)
	defer tick.Stop()
	seen := map[string][]byte{}
	for {
		current, err := s.snapshot(only, sel)
		if err == nil {
			evs := changes(seen, current)
			for _, ev := range evs {
				if err := enc.Encode(ev); err != nil {
					return
				}
			}
			if len(evs) > 0 {
				if err := rc.Flush(); err != nil {
					return
				}
			}
			seen = current
		}
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			return
		case <-tick.C:
		}
	}
}

// snapshot encodes every model (or the named one) that sel matches, by
// name: a model relabelled out of the selection is seen as deleted.
func (s *Server) snapshot(only string, sel labels.Selector) (map[string][]byte, error) {
	var names []string
	if only != "" {
		all, err := s.store.ModelNames()
		if err != nil {
			return nil, err
		}
		for _, n := range all {
			if n == only {
				names = []string{n}
			}
		}
		if names == nil {
			return map[string][]byte{}, nil
		}
	}
	items, err := s.objects(names, sel)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(items))
	for _, it := range items {
		b, err := json.Marshal(it)
		if err != nil {
			return nil, err
		}
		out[it.Name] = b
	}
	return out, nil
}

// changes lists the events that turn the snapshot seen into current, in
// name order.
func changes(seen, current map[string][]byte) []WatchEvent {
	names := make([]string, 0, len(seen)+len(current))
	for n := range current {
		names = append(names, n)
	}
	for n := range seen {
		if _, ok := current[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var evs []WatchEvent
	for _, n := range names {
		old, was := seen[n]
		now, is := current[n]
		switch {
		case !was:
			evs = append(evs, WatchEvent{Type: WatchAdded, Object: now})
		case !is:
			evs = append(evs, WatchEvent{Type: WatchDeleted, Object: old})
		case !bytes.Equal(old, now):
			evs = append(evs, WatchEvent{Type: WatchModified, Object: now})
		}
	}
	return evs
}
