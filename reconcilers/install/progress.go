package install

import (
	"context"
	"fmt"
	"time"
)

// Progress reports what the installer does and waits for, one line each.
type Progress func(format string, args ...any)

// say reports through p unless it is nil.
func (p Progress) say(format string, args ...any) {
	if p != nil {
		p(format, args...)
	}
}

// pollEvery is how often waits look again.
const pollEvery = 500 * time.Millisecond

// waitFor polls check until it reports done, reporting its detail through
// p each time the detail changes; it fails when ctx ends, with the last
// detail.
func waitFor(ctx context.Context, p Progress, what string, check func(ctx context.Context) (done bool, detail string, err error)) error {
	start := time.Now()
	last := ""
	for {
		done, detail, err := check(ctx)
		if err != nil {
			return fmt.Errorf("wait for %s: %w", what, err)
		}
		if done {
			return nil
		}
		if detail != last {
			p.say("waiting for %s: %s (%s)", what, detail, time.Since(start).Round(time.Second))
			last = detail
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w (last seen: %s)", what, ctx.Err(), last)
		case <-time.After(pollEvery):
		}
	}
}
