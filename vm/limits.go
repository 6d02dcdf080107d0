package vm

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/aogo-dev/aogo/arweave"
)

// Limits bound one process's evaluation.
type Limits struct {
	// Memory is the most linear memory the process may have, in bytes.
	Memory uint64
	// Compute is the gas a metered module may use per message
	// (metering.usegas); ignored by unmetered modules.
	Compute uint64
	// Instructions is aogo's own per-message safety budget for unmetered
	// modules (an endless loop stops here). It is reported as
	// "instruction budget exceeded", never as gas. 0 means DefaultInstructions.
	Instructions uint64
}

// Defaults and hard maxima. The memory maximum is 4 GiB because wazero runs
// 32-bit memories only (memory64 modules are lowered).
const (
	DefaultMaxMemory    = 1 << 30
	DefaultMaxCompute   = 9_000_000_000_000
	DefaultInstructions = 10_000_000_000
	maxWasm32Memory     = 4 << 30
	// referenceGasLimit is ao-loader's computeLimit default (9e15).
	referenceGasLimit = 9_000_000_000_000_000
)

// LimitsFromTags takes Memory-Limit and Compute-Limit as the reference CU
// does (protocol.md 6.2): the process's tag over the module's, both required,
// each at most the node's maximum (0 means the default maximum).
func LimitsFromTags(processTags, moduleTags []arweave.Tag, maxMemory, maxCompute uint64) (Limits, error) {
	if maxMemory == 0 {
		maxMemory = DefaultMaxMemory
	}
	if maxCompute == 0 {
		maxCompute = DefaultMaxCompute
	}
	pick := func(name string) (string, error) {
		if v, ok := arweave.Tags(processTags).Get(name); ok {
			return v, nil
		}
		if v, ok := arweave.Tags(moduleTags).Get(name); ok {
			return v, nil
		}
		return "", fmt.Errorf("%w: %s is required (on the module or the process)", ErrLimit, name)
	}
	var l Limits
	mem, err := pick("Memory-Limit")
	if err != nil {
		return l, err
	}
	if l.Memory, err = ParseBytes(mem); err != nil {
		return l, fmt.Errorf("%w: Memory-Limit %q: %v", ErrLimit, mem, err)
	}
	if l.Memory > maxMemory {
		return l, fmt.Errorf("%w: Memory-Limit %d bytes is above this node's maximum of %d", ErrLimit, l.Memory, maxMemory)
	}
	comp, err := pick("Compute-Limit")
	if err != nil {
		return l, err
	}
	if l.Compute, err = strconv.ParseUint(strings.TrimSpace(comp), 10, 64); err != nil {
		return l, fmt.Errorf("%w: Compute-Limit %q is not an integer", ErrLimit, comp)
	}
	if l.Compute > maxCompute {
		return l, fmt.Errorf("%w: Compute-Limit %d is above this node's maximum of %d", ErrLimit, l.Compute, maxCompute)
	}
	return l, nil
}

// byteUnits are the units of the npm "bytes" package the reference CU uses.
var byteUnits = map[string]float64{
	"b": 1, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40, "pb": 1 << 50,
}

// ParseBytes parses a size as the reference CU parses Memory-Limit: dashes
// removed, then the npm "bytes" syntax ("1-gb", "500mb", "16 MB", "1.5gb",
// "65536"; units are powers of 1024 and case-insensitive).
func ParseBytes(s string) (uint64, error) {
	s = strings.ToLower(strings.TrimSpace(strings.ReplaceAll(s, "-", "")))
	num, unit := s, "b"
	for i, r := range s {
		if (r < '0' || r > '9') && r != '.' {
			num, unit = strings.TrimSpace(s[:i]), strings.TrimSpace(s[i:])
			break
		}
	}
	mult, ok := byteUnits[unit]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q", unit)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) {
		return 0, fmt.Errorf("not a size")
	}
	v := math.Floor(f * mult)
	if v > math.MaxUint64/2 {
		return 0, fmt.Errorf("too large")
	}
	return uint64(v), nil
}
