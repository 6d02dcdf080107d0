//go:build linux || darwin || freebsd

package vm

import (
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// mmapMemory reserves the whole limit as anonymous, lazily committed virtual
// memory, so growing never copies and the Go garbage collector never scans a
// process's memory. Pages the module never touches cost nothing.
type mmapMemory struct {
	region []byte // the whole reservation
	size   uint64
	limit  uint64
	hit    *bool
}

func newLinearMemory(reserve, limit uint64, hit *bool) experimental.LinearMemory {
	const pageSize = 65536
	if reserve < pageSize {
		reserve = pageSize
	}
	region, err := syscall.Mmap(-1, 0, int(reserve), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|mapNoReserve)
	if err != nil {
		return &sliceMemory{limit: limit, hit: hit}
	}
	return &mmapMemory{region: region, limit: min(limit, reserve), hit: hit}
}

func (m *mmapMemory) Reallocate(size uint64) []byte {
	if size > m.limit {
		*m.hit = true
		return nil
	}
	m.size = size
	return m.region[:size:size]
}

func (m *mmapMemory) Free() {
	if m.region != nil {
		_ = syscall.Munmap(m.region)
		m.region = nil
	}
}
