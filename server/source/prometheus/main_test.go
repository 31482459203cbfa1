package prometheus

import (
	"os"
	"testing"

	"github.com/spanmap/spanmap/internal/leakcheck"
)

// TestMain fails the run when tests leave goroutines behind (servers, run
// loops, retry timers).
func TestMain(m *testing.M) { os.Exit(leakcheck.Run(m)) }
