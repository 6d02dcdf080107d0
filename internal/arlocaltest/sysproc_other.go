//go:build unix && !linux

package arlocaltest

import "syscall"

// sysProcAttr puts node in its own process group, so that stop reaches
// every process it starts.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
