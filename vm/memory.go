package vm

import "github.com/tetratelabs/wazero/experimental"

// limitedAllocator backs one instance's linear memory and refuses to grow it
// past the process's Memory-Limit. A refused grow is what the module sees as
// memory.grow returning -1 (and emscripten's malloc as NULL); the instance
// remembers it so that a failing message can say why.
type limitedAllocator struct {
	limit uint64
	hit   *bool
}

func (a limitedAllocator) Allocate(capacity, max uint64) experimental.LinearMemory {
	reserve := a.limit
	if max < reserve {
		reserve = max
	}
	return newLinearMemory(reserve, a.limit, a.hit)
}

// sliceMemory is the portable linear memory: a Go slice that is reallocated
// (and copied) when it grows.
type sliceMemory struct {
	buf   []byte
	limit uint64
	hit   *bool
}

func (m *sliceMemory) Reallocate(size uint64) []byte {
	if size > m.limit {
		*m.hit = true
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	grown := make([]byte, size)
	copy(grown, m.buf)
	m.buf = grown
	return m.buf
}

func (m *sliceMemory) Free() { m.buf = nil }
