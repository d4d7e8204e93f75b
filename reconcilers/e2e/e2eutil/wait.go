package e2eutil

import (
	"testing"
	"time"
)

// Eventually checks cond every `every` until it holds, failing the test
// after timeout with cond's last detail. what names the condition in the
// failure.
func Eventually(t testing.TB, every, timeout time.Duration, what string, cond func() (ok bool, detail string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, detail := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last seen: %s", timeout, what, detail)
		}
		time.Sleep(every)
	}
}
