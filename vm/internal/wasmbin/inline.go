package wasmbin

import (
	"fmt"
	"math"
	"unicode/utf8"
)

// Meter's inline mode (MeterConfig.InlineGlobal): the budget counts down in
// a global of the module itself, so a metered block costs a few
// instructions instead of a call into another module. Sparse
// (MeterConfig.InlineSparse), only the first block of every function body
// and loop body is metered; meterBody decides which blocks are.

// Opcodes and the block type of the inline countdown.
const (
	opUnreachable  = 0x00
	opIf           = 0x04
	opGlobalGet    = 0x23
	opGlobalSet    = 0x24
	opI64LtS       = 0x53
	opI64Sub       = 0x7d
	blockTypeEmpty = 0x40
)

// meterInline is meter with cfg.InlineGlobal set.
func (m *Module) meterInline(cfg MeterConfig) error {
	switch cfg.MeterType {
	case 0, I64:
	default:
		return fmt.Errorf("meter type %s: the inline counter is an i64", cfg.MeterType)
	}
	if cfg.Module != "" || cfg.Field != "" {
		return fmt.Errorf("inline global %q: the inline mode imports no function, so Module and Field must be empty", cfg.InlineGlobal)
	}
	if !utf8.ValidString(cfg.InlineGlobal) {
		return fmt.Errorf("inline global %q is not valid UTF-8", cfg.InlineGlobal)
	}
	if cfg.InlineInitial > math.MaxInt64 {
		return fmt.Errorf("inline initial value %d does not fit an i64", cfg.InlineInitial)
	}
	for _, e := range m.exports {
		if e.Name == cfg.InlineGlobal {
			return fmt.Errorf("%w: %q", ErrDuplicateExport, cfg.InlineGlobal)
		}
	}
	n := uint64(m.numGlobalImports) + uint64(len(m.globals))
	if n >= math.MaxUint32 {
		return fmt.Errorf("%w: too many globals to add one", ErrUnsupported)
	}
	idx := uint32(n)

	init := appendSLEB([]byte{byte(opI64Const)}, int64(cfg.InlineInitial))
	m.globals = append(m.globals, global{GlobalType: GlobalType{Type: I64, Mutable: true}, init: append(init, byte(opEnd))})
	m.setSection(secGlobal, encodeGlobals(m.globals))
	m.exports = append(m.exports, Export{Name: cfg.InlineGlobal, Kind: KindGlobal, Index: idx})
	m.setSection(secExport, encodeExports(m.exports))

	if len(m.code) == 0 {
		return nil
	}
	mt := meterer{meterIdx: m.numFuncImports, minCost: cfg.MinCost, inline: true, global: idx, sparse: cfg.InlineSparse}
	payload, err := mt.meterCode(m.code, m.sections[m.findSection(secCode)].payload)
	if err != nil {
		return fmt.Errorf("code section: %w", err)
	}
	m.setSection(secCode, payload)
	m.dropLabelNames()
	return nil
}

// appendInlineCharge appends the inline countdown of one metered block, g
// being the counter:
//
//	global.get g; i64.const charge; i64.sub; global.set g
//	global.get g; i64.const 0; i64.lt_s; if; unreachable; end
//
// It is stack-neutral and branches nowhere but into its own if, so it fits
// wherever `const; call usegas` does (after br, in unreachable code, at
// the start of a loop or else with block parameters on the stack).
//
// NB: it subtracts before it compares, as the counter module behind usegas
// adds before it compares: the trap comes at the same block, and leaves the
// global negative, which tells the host its budget ran out (the module's
// own unreachable leaves it at 0 or above). The second global.get costs no
// load in wazero's compiler, which reuses the value it just stored; a
// local.tee would save it but add a local to every function.
func appendInlineCharge(out []byte, g uint32, charge uint64) []byte {
	out = append(out, opGlobalGet)
	out = appendULEB(out, uint64(g))
	out = append(out, byte(opI64Const))
	out = appendSLEB(out, int64(charge))
	out = append(out, opI64Sub, opGlobalSet)
	out = appendULEB(out, uint64(g))
	out = append(out, opGlobalGet)
	out = appendULEB(out, uint64(g))
	return append(out, byte(opI64Const), 0x00, opI64LtS, opIf, blockTypeEmpty, opUnreachable, byte(opEnd))
}

// dropLabelNames removes the label names subsection from "name" sections:
// label indices count the block, loop and if instructions of a function in
// order, so every if the inline countdown inserts shifts the labels after
// it. A name section that does not parse is dropped, as shiftNames does;
// one without label names is kept byte for byte.
func (m *Module) dropLabelNames() {
	kept := m.sections[:0]
	for _, s := range m.sections {
		if s.id == secCustom && s.name == "name" {
			payload, ok := withoutNameSubsection(s.payload, nameLabels)
			if !ok {
				continue
			}
			if len(payload) != len(s.payload) {
				s.raw, s.payload = nil, payload
			}
		}
		kept = append(kept, s)
	}
	m.sections = kept
}

// withoutNameSubsection returns a name section's payload (its section name
// included) without the subsections with id drop. It reports false if the
// payload is malformed.
func withoutNameSubsection(payload []byte, drop byte) ([]byte, bool) {
	r := reader{b: payload, end: len(payload)}
	if _, err := r.name(); err != nil {
		return nil, false
	}
	out := append([]byte(nil), payload[:r.off]...)
	for !r.done() {
		start := r.off
		id, _ := r.u8()
		size, err := r.u32()
		if err != nil {
			return nil, false
		}
		if _, err := r.sub(size); err != nil {
			return nil, false
		}
		if id != drop {
			out = append(out, payload[start:r.off]...)
		}
	}
	return out, true
}
