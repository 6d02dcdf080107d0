//go:build !(linux || darwin || freebsd)

package vm

import "github.com/tetratelabs/wazero/experimental"

func newLinearMemory(reserve, limit uint64, hit *bool) experimental.LinearMemory {
	return &sliceMemory{limit: limit, hit: hit}
}
