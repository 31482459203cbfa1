//go:build e2e && linux

package e2e

import (
	"os/exec"
	"syscall"
)

// dieWithTest makes the kernel kill cmd if the test process dies first (a
// test time-out panics without running cleanups).
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
