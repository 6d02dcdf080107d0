package wasmbin

import (
	"errors"
	"fmt"
	"math"
)

// MeterConfig configures Meter. The zero value is the reference's default:
// usegas(i32) imported from "metering".
type MeterConfig struct {
	// MeterType is the parameter type of the metering function: I32 (the
	// default, as for the wasm32 "-metering" Module-Format) or I64 (as for
	// the wasm64 one).
	MeterType ValType
	// Module and Field name the imported metering function; empty means
	// "metering" and "usegas".
	Module, Field string
	// MinCost, when not 0, is the least a metered block charges, and makes
	// the first block of every function body and of every loop body metered
	// even if its instructions cost nothing. Every loop iteration and every
	// call then charges at least MinCost, so an endless loop exhausts any
	// budget whatever the cost table says (return_call, for one, costs 0).
	// It is meant for aogo's own budget on modules the process format does
	// not meter; with MinCost 0 the output is the reference's.
	MinCost uint64

	// InlineGlobal, when not empty, selects the inline mode: instead of
	// importing a metering function, Meter adds a mutable i64 global (after
	// the existing globals, so no index moves) exported under this name,
	// and counts down in it with inline code. The blocks, their charges
	// and MinCost are those of the call-based pass, so the counter goes
	// down by exactly what usegas would be charged; no import is added and
	// no function index moves. MeterType must then be I64 or 0, and Module
	// and Field empty. Every metered block starts with
	//
	//	global.get g; i64.const charge; i64.sub; global.set g
	//	global.get g; i64.const 0; i64.lt_s; if; unreachable; end
	//
	// # Host protocol
	//
	// The global holds the units left. Before each call the host sets it to
	// the budget (at most math.MaxInt64); after the call, used = budget -
	// remaining. A call that ends in an unreachable trap with the global
	// below 0 ran out of budget (the module's own unreachable leaves it at 0
	// or above); as with usegas, the block that ran out was charged in
	// full, so used > budget then. The global is part of the instance:
	// snapshots that capture exported globals (ExportGlobals exports it
	// too) capture it, and the host must set it again after a restore.
	//
	// Label names of a "name" section are dropped, since each inserted
	// if shifts the label indices that follow it.
	InlineGlobal string
	// InlineSparse, only valid with InlineGlobal, charges at two kinds of
	// places only instead of at every metered block:
	//
	//   - the entry of every function body (reached by call, call_indirect,
	//     call_ref, the return_call forms, the start function and calls
	//     from the host), and
	//   - the header of every loop: the start of its body, right after the
	//     loop instruction, where entering the loop and every branch back
	//     to it (br, br_if, br_table, br_on_*, a catch) land.
	//
	// Each charges what the dense inline mode charges at the same place,
	// for the block that starts there (up to the next instruction that
	// ends a block, as Meter cuts bodies): the costs of its instructions
	// in the table plus 91, and at least MinCost. These charges are made
	// whatever the block costs and whatever MinCost (so each is at least
	// 91); no other block is charged. A budget unit then means a lower
	// bound of the work, counted at function entries and loop turns:
	//
	//   - for any execution the counter goes down by at most what the
	//     dense inline mode with MinCost max(MinCost, 1) counts, since the
	//     sparse charges are some of those;
	//   - between two charges in one function activation, control only
	//     moves forward through its body (every backward branch lands on a
	//     loop header), so an execution that was charged n times ran at
	//     most n times as many instructions as the longest body has,
	//     besides those of host functions.
	//
	// So every endless execution runs out of budget, as the dense modes
	// do: one that enters functions finitely often ends up turning some
	// loop of one activation forever. What the sparse mode saves is the
	// countdown in the blocks between, which Go (GOOS=wasip1) code has
	// very many of.
	InlineSparse bool
	// InlineInitial is the initial value of the InlineGlobal counter: the
	// budget of the module's start function, which the engine runs while
	// it instantiates the module, before the host can set the global. With
	// 0, a start function that reaches a metered block traps. At most
	// math.MaxInt64.
	InlineInitial uint64
}

// Meter instruments every function with gas accounting: it is a port of
// meterWASM of @permaweb/wasm-metering 0.2.2 (the version bundled in
// @permaweb/ao-loader 0.0.49) with the default cost table, so that a module
// it meters reports, for any execution, the same gas as the module the
// reference meters. For the modules the reference can decode (the MVP
// instruction set and sign extension) the output is the reference's byte
// for byte, as long as the input uses shortest LEB128 encodings (the
// reference re-encodes everything that way) and has no "name" section
// (which the reference leaves unchanged, so wrong; Meter renumbers it).
//
// What it does, as the reference does:
//   - appends the function type (param i32|i64) to the type section and
//     the import cfg.Module.cfg.Field of that type to the import section,
//     creating either section if missing; the new function's index is the
//     number of imported functions, so every defined function's index goes
//     up by one: in calls, exports, element segments and the start section
//     (and also, which the reference cannot decode, in return_call, ref.func
//     and expression element segments, in global initializers, and in the
//     function, local and label names of a "name" section);
//   - splits each body into blocks that end after a branching instruction
//     (grow_memory, end, br, br_table, br_if, if, else, return, loop), sums
//     the cost table over each block, and puts `const cost; call usegas`
//     before every block whose cost is not 0, adding 91 for the statement
//     itself.
//
// Instructions the reference cannot decode (any prefixed opcode, reference
// types, tail calls, exceptions) cost 0, as names missing from the table
// do; those that transfer control (throw, return_call, br_on_null, ...)
// or start a handler (catch, delegate) end a block.
//
// With cfg.InlineGlobal, it counts in a global of the module instead
// (see MeterConfig.InlineGlobal): same blocks and charges, no import, no
// renumbering. With cfg.InlineSparse as well, it charges only at function
// entries and loop headers (see MeterConfig.InlineSparse).
//
// It fails with ErrMeterImportExists if the module already imports
// cfg.Module.cfg.Field, with ErrDuplicateExport if it already exports
// cfg.InlineGlobal, and with a wrapped ErrMalformed or ErrUnsupported if
// it cannot decode the module.
func Meter(b []byte, cfg MeterConfig) ([]byte, error) {
	m, err := Decode(b)
	if err != nil {
		return nil, err
	}
	if err := m.meter(cfg); err != nil {
		return nil, fmt.Errorf("wasmbin: meter: %w", err)
	}
	return m.Encode(), nil
}

func (m *Module) meter(cfg MeterConfig) error {
	if cfg.InlineGlobal != "" {
		return m.meterInline(cfg)
	}
	if cfg.InlineSparse {
		return errors.New("InlineSparse without InlineGlobal: only the inline budget can be sparse")
	}
	if cfg.Module == "" {
		cfg.Module = "metering"
	}
	if cfg.Field == "" {
		cfg.Field = "usegas"
	}
	var constOp byte
	switch cfg.MeterType {
	case 0, I32:
		constOp, cfg.MeterType = byte(opI32Const), I32
	case I64:
		constOp = byte(opI64Const)
	default:
		return fmt.Errorf("meter type %s: only i32 and i64 are supported", cfg.MeterType)
	}
	for _, im := range m.imports {
		if im.Module == cfg.Module && im.Name == cfg.Field {
			return fmt.Errorf("%w: %q.%q", ErrMeterImportExists, cfg.Module, cfg.Field)
		}
	}

	// NB: the reference creates a missing type or import section only in
	// front of a later non-custom section (createSection), and skips
	// whatever needs a section it did not create. Only modules without any
	// function, table, memory, global, export, element, code or data get
	// there; they are left as the reference leaves them.
	if m.findSection(secType) < 0 && m.insertionPoint(secType) < 0 {
		return nil
	}
	typeIdx := uint32(len(m.types))
	m.types = append(m.types, FuncType{Params: []ValType{cfg.MeterType}})
	m.setSection(secType, encodeTypes(m.types))
	if m.findSection(secImport) < 0 && m.insertionPoint(secImport) < 0 {
		return nil
	}

	meterIdx := m.numFuncImports
	if m.numFuncs() >= math.MaxUint32 {
		return fmt.Errorf("%w: too many functions to add one", ErrUnsupported)
	}
	m.imports = append(m.imports, Import{
		ImportName: ImportName{Module: cfg.Module, Name: cfg.Field},
		Kind:       KindFunc,
		TypeIndex:  typeIdx,
		desc:       appendULEB(nil, uint64(typeIdx)),
	})
	m.numFuncImports++
	m.setSection(secImport, encodeImports(m.imports))

	if err := m.shiftFuncIndices(meterIdx); err != nil {
		return err
	}

	if len(m.code) == 0 {
		return nil
	}
	mt := meterer{constOp: constOp, meterIdx: meterIdx, minCost: cfg.MinCost, i32: cfg.MeterType == I32}
	payload, err := mt.meterCode(m.code, m.sections[m.findSection(secCode)].payload)
	if err != nil {
		return fmt.Errorf("code section: %w", err)
	}
	m.setSection(secCode, payload)
	return nil
}

// meterCode returns the payload of the metered code section, and points
// the entries of code at their metered bodies in it. old is the section's
// current payload, for an estimate of the size.
func (mt *meterer) meterCode(code []codeEntry, old []byte) ([]byte, error) {
	payload := make([]byte, 0, len(old)+len(old)/4+64)
	payload = appendULEB(payload, uint64(len(code)))
	spans := make([][2]int, len(code)) // each metered body in payload
	var body []byte
	for i := range code {
		c := &code[i]
		var err error
		if body, err = mt.meterBody(body[:0], c.body); err != nil {
			var pe *posError
			if errors.As(err, &pe) { // make the offset one in the input
				pe.off += c.off + len(c.locals)
			}
			return nil, fmt.Errorf("function %d: %w", uint64(mt.meterIdx)+uint64(i), err)
		}
		payload = appendULEB(payload, uint64(len(c.locals)+len(body)))
		payload = append(payload, c.locals...)
		spans[i] = [2]int{len(payload), len(payload) + len(body)}
		payload = append(payload, body...)
	}
	for i := range code {
		start, end := spans[i][0], spans[i][1]
		code[i].locals = payload[start-len(code[i].locals) : start : start]
		code[i].body = payload[start:end:end]
	}
	return payload, nil
}

// shiftFuncIndices adds one to every function index >= from outside the
// code section: exports, start, element segments, global initializers
// and the name section.
func (m *Module) shiftFuncIndices(from uint32) error {
	shift := func(idx uint32) uint32 {
		if idx >= from {
			return idx + 1 // cannot wrap: numFuncs < MaxUint32 was checked
		}
		return idx
	}

	changed := false
	for i := range m.exports {
		if e := &m.exports[i]; e.Kind == KindFunc && e.Index >= from {
			e.Index, changed = shift(e.Index), true
		}
	}
	if changed {
		m.setSection(secExport, encodeExports(m.exports))
	}

	if m.findSection(secStart) >= 0 && m.start >= from {
		m.start = shift(m.start)
		m.setSection(secStart, appendULEB(nil, uint64(m.start)))
	}

	changed = false
	for i := range m.elems {
		e := &m.elems[i]
		for j, f := range e.funcs {
			if f >= from {
				e.funcs[j], changed = shift(f), true
			}
		}
		for j, x := range e.exprs {
			y, ch, err := renumberFuncs(nil, x, from)
			if err != nil {
				return fmt.Errorf("element section: segment %d: %w", i, err)
			}
			if ch {
				e.exprs[j], changed = y, true
			}
		}
	}
	if changed {
		m.setSection(secElement, encodeElements(m.elems))
	}

	changed = false
	for i := range m.globals {
		y, ch, err := renumberFuncs(nil, m.globals[i].init, from)
		if err != nil {
			return fmt.Errorf("global section: global %d: %w", i, err)
		}
		if ch {
			m.globals[i].init, changed = y, true
		}
	}
	if changed {
		m.setSection(secGlobal, encodeGlobals(m.globals))
	}

	m.shiftNames(from)
	return nil
}

// meterer meters function bodies.
type meterer struct {
	constOp  byte   // i32.const or i64.const
	i32      bool   // the charge must fit in an i32
	meterIdx uint32 // the metering function; inline, the first defined one
	minCost  uint64
	fixups   []instr // calls to renumber in the current block

	inline bool   // count down in a global instead of calling meterIdx
	global uint32 // the inline counter
	sparse bool   // inline: charge only the first block of bodies and loop bodies
}

// meterBody appends to out the metered copy of a function body (its
// instructions, without the locals).
//
// It follows meterCodeEntry: the body is cut into blocks, each ending
// after an instruction of endsBlock (or at the end of the body); a block
// of cost c > 0 gets `const c+91; call usegas` (inline: the countdown of
// appendInlineCharge) in front of it. With minCost, the charge is at least
// minCost, and the first block of the body and of every loop body get the
// statement even when c is 0. Sparse, those first blocks get it always,
// and no other block does.
func (mt *meterer) meterBody(out, body []byte) ([]byte, error) {
	head := true // the block starts the body or a loop body
	start := 0
	var cost uint64
	mt.fixups = mt.fixups[:0]
	for p := 0; p < len(body); {
		in, err := decodeInstr(body, p)
		if err != nil {
			return nil, err
		}
		p = in.next
		cost += opCost(in.op)
		if in.funcOff >= 0 && in.funcIdx >= mt.meterIdx && !mt.inline {
			mt.fixups = append(mt.fixups, in)
		}
		last := p == len(body)
		if last && in.op != opEnd {
			return nil, malformedAt(p, "body does not end with end")
		}
		if !last && !endsBlock(in.op) {
			continue
		}
		metered := cost != 0 || head && mt.minCost > 0
		if mt.sparse {
			metered = head
		}
		if metered {
			charge := cost + meteringStatementCost
			if charge < mt.minCost {
				charge = mt.minCost
			}
			if mt.i32 && charge > math.MaxInt32 || charge > math.MaxInt64 {
				return nil, unsupportedAt(start, "block charge %d does not fit the metering parameter", charge)
			}
			if mt.inline {
				out = appendInlineCharge(out, mt.global, charge)
			} else {
				out = append(out, mt.constOp)
				out = appendSLEB(out, int64(charge))
				out = append(out, byte(opCall))
				out = appendULEB(out, uint64(mt.meterIdx))
			}
		}
		last0 := start
		for _, f := range mt.fixups {
			if f.funcIdx == math.MaxUint32 {
				return nil, malformedAt(f.funcOff, "function index %d out of range", f.funcIdx)
			}
			out = append(out, body[last0:f.funcOff]...)
			out = appendULEB(out, uint64(f.funcIdx)+1)
			last0 = f.next
		}
		out = append(out, body[last0:p]...)
		mt.fixups = mt.fixups[:0]
		start, cost = p, 0
		head = in.op == opLoop
	}
	return out, nil
}
