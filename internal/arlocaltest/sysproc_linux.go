package arlocaltest

import "syscall"

// sysProcAttr puts node in its own process group (so that stop reaches
// every process it starts) and kills it if the test binary dies without
// running its cleanups (a test timeout panic, a SIGKILL).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
