// Package leakcheck fails a package's test run when its tests leave
// goroutines behind (servers, run loops, retry timers). Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(leakcheck.Run(m)) }
package leakcheck

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Wait is how long Run waits for goroutines to finish after the tests.
const Wait = 5 * time.Second

// Run runs the tests and, when they pass, checks that every goroutine but
// the calling one has finished within Wait; it returns the exit code.
func Run(m *testing.M) int {
	code := m.Run()
	if code == 0 {
		if leaked := Leaked(Wait); leaked != "" {
			fmt.Fprintf(os.Stderr, "leaked goroutines:\n%s\n", leaked)
			code = 1
		}
	}
	return code
}

// Leaked waits up to d for every goroutine but the calling one to finish and
// describes the ones that remain; empty means none.
func Leaked(d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		var left []string
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		for g := range strings.SplitSeq(string(buf), "\n\n") {
			// The goroutine running this check is the only one allowed.
			if !strings.Contains(g, "leakcheck.Leaked") {
				left = append(left, g)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return strings.Join(left, "\n\n")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
