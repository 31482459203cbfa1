package leakcheck

import (
	"strings"
	"testing"
	"time"
)

// parkedForLeakTest blocks until stop is closed; its name marks the
// goroutine in stack dumps.
func parkedForLeakTest(stop chan struct{}) { <-stop }

// TestLeaked runs inside the test runner, whose own goroutines are always
// listed, so it looks for the one it starts by name.
func TestLeaked(t *testing.T) {
	stop := make(chan struct{})
	go parkedForLeakTest(stop)
	if got := Leaked(100 * time.Millisecond); !strings.Contains(got, "parkedForLeakTest") {
		t.Fatalf("a blocked goroutine was not reported:\n%s", got)
	}
	close(stop)
	if got := Leaked(50 * time.Millisecond); strings.Contains(got, "parkedForLeakTest") {
		t.Fatalf("a finished goroutine is still reported:\n%s", got)
	}
}
