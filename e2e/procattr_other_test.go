//go:build e2e && !linux

package e2e

import "os/exec"

// dieWithTest does nothing where the kernel cannot tie a child's life to
// its parent; cleanups still stop the child.
func dieWithTest(*exec.Cmd) {}
