package vm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"
)

// InstanceConfig configures one process instance.
type InstanceConfig struct {
	// Limits are the process's limits (see LimitsFromTags). A zero Memory
	// means the runtime's maximum; a zero Compute the reference loader's
	// default (9e15).
	Limits Limits
	// Stdout receives what the module writes to stdout and stderr (nil:
	// discarded). It is not part of the result: AO modules return their
	// output in Output.
	Stdout io.Writer
}

// Instance is one process: a live wasm instance and what is needed to roll
// it back. It is not safe for concurrent use: a process evaluates one
// message at a time.
type Instance struct {
	m      *Module
	cfg    InstanceConfig
	limits Limits

	guest  api.Module
	gas    *counter          // metering.usegas, nil if the module is not metered
	budget api.MutableGlobal // the inline budget counter, nil if the module is metered
	memHit bool              // the memory limit refused a grow during this message

	host     HostState // live host state
	tempRet0 uint64
	// invokeDepth is how deeply invoke_* calls are nested right now.
	invokeDepth int
	files       *fileTable
	cur         *callState
	rand        *messageRand
	exports     exports

	// Rollback: the state after the last good message before the journal
	// (nil: the freshly booted instance), and the messages evaluated
	// successfully since.
	base         *State
	journal      []journalEntry
	journalBytes int
	replaying    bool // a rollback is replaying the journal: output was already shown
}

// journalEntry is a message that succeeded after the base state.
type journalEntry struct{ msg, env []byte }

// bootInstructions is the instruction budget of an instance's boot (a Go
// runtime's initialisation alone takes more than a typical message's budget);
// it only stops a module that never finishes starting.
const bootInstructions = 200_000_000_000

// maxBudget keeps a budget positive as an int64 (the counter must not wrap).
const maxBudget = 1<<63 - 1

// Journal bounds: past either, Handle takes a new base snapshot so that a
// rollback never replays more than this.
const (
	maxJournalMessages = 1000
	maxJournalBytes    = 16 << 20
)

// callState is what host functions see of the message being evaluated.
type callState struct {
	msg, env []byte
	stdout   bytes.Buffer
	envInfo  *envInfo // parsed lazily (WeaveDrive)
	msgInfo  *msgInfo // parsed lazily (time, WeaveDrive)
}

type instanceKey struct{}

// instanceFrom is the instance a host function runs for.
func instanceFrom(ctx context.Context) *Instance {
	inst, _ := ctx.Value(instanceKey{}).(*Instance)
	return inst
}

// Instantiate starts a process: from state when it is not nil (a snapshot of
// an instance of this module), else fresh (the next message is its first).
// The instance keeps state as its rollback base: do not modify it afterwards.
func (m *Module) Instantiate(ctx context.Context, cfg InstanceConfig, state *State) (*Instance, error) {
	limits := cfg.Limits
	if m.spec.wasm64 && limits.Memory > maxWasm32Memory {
		return nil, fmt.Errorf("vm: instantiate %s: %w: Memory-Limit %d is above 4 GiB; memory64 modules run lowered to a 32-bit memory, which cannot hold more", m.id, ErrLimit, limits.Memory)
	}
	if limits.Memory == 0 || limits.Memory > m.rt.cfg.MaxMemory {
		if limits.Memory > m.rt.cfg.MaxMemory {
			return nil, fmt.Errorf("vm: instantiate %s: %w: memory limit %d is above the node's maximum %d", m.id, ErrLimit, limits.Memory, m.rt.cfg.MaxMemory)
		}
		limits.Memory = m.rt.cfg.MaxMemory
	}
	if limits.Compute == 0 {
		limits.Compute = referenceGasLimit
	}
	if limits.Instructions == 0 {
		limits.Instructions = DefaultInstructions
	}
	if need := uint64(m.initialPages) * 65536; need > limits.Memory {
		return nil, fmt.Errorf("vm: instantiate %s: %w: the module starts with %d bytes of memory, above the memory limit of %d", m.id, ErrLimit, need, limits.Memory)
	}
	i := &Instance{m: m, cfg: cfg, limits: limits, files: newFileTable(), rand: newMessageRand()}
	if state != nil {
		if err := i.checkState(state); err != nil {
			return nil, fmt.Errorf("vm: instantiate %s: %w", m.id, err)
		}
	}
	if err := i.start(ctx, state); err != nil {
		return nil, fmt.Errorf("vm: instantiate %s: %w", m.id, err)
	}
	// The rollback base: the given state (states are not modified once
	// made), or nil for the freshly booted instance, which a rollback
	// reproduces by booting again. Neither costs a copy of the memory.
	i.base = state
	return i, nil
}

func (i *Instance) checkState(s *State) error {
	if s.Format != i.m.spec.format {
		return fmt.Errorf("%w: state of format %s, module of format %s", ErrBadState, s.Format, i.m.spec.format)
	}
	if s.ModuleID != "" && s.ModuleID != i.m.id {
		return fmt.Errorf("%w: state of module %s, not %s", ErrBadState, s.ModuleID, i.m.id)
	}
	if uint64(len(s.Memory)) > i.limits.Memory {
		return fmt.Errorf("%w: %d bytes of memory, above the memory limit of %d", ErrBadState, len(s.Memory), i.limits.Memory)
	}
	if len(s.Memory)%65536 != 0 || uint64(len(s.Memory)) < uint64(i.m.initialPages)*65536 {
		return fmt.Errorf("%w: memory of %d bytes does not fit this module", ErrBadState, len(s.Memory))
	}
	if i.m.spec.native && len(s.Globals) != len(i.m.globals) {
		return fmt.Errorf("%w: %d globals, the module has %d", ErrBadState, len(s.Globals), len(i.m.globals))
	}
	return nil
}

// start instantiates the guest, boots it as its format's glue does and, with
// a state, puts the state in.
func (i *Instance) start(ctx context.Context, state *State) error {
	rt := i.m.rt
	var err error
	if i.m.meter != 0 {
		c := rt.counters.i32
		if i.m.meter == api.ValueTypeI64 {
			c = rt.counters.i64
		}
		if i.gas, err = newCounter(ctx, rt.wz, c, i.limits.Compute); err != nil {
			return err
		}
	}
	resolve := func(name string) api.Module {
		switch name {
		case meteringModule:
			if i.gas != nil {
				return i.gas.mod
			}
		}
		return i.m.hosts[name]
	}
	ictx := experimental.WithImportResolver(ctx, resolve)
	ictx = experimental.WithMemoryAllocator(ictx, limitedAllocator{limit: i.limits.Memory, hit: &i.memHit})
	ictx = context.WithValue(ictx, instanceKey{}, i)
	i.cur = &callState{}
	i.host = HostState{}
	mc := wazero.NewModuleConfig().WithName("").WithStartFunctions()
	if i.m.spec.native {
		mc = i.nativeConfig(mc)
	}
	i.rand.reset(nil)
	guest, err := rt.wz.InstantiateModule(ictx, i.m.compiled, mc)
	if err != nil {
		i.closeGuest(ctx)
		return fmt.Errorf("instantiate: %w", err)
	}
	i.guest = guest
	i.exports = lookupExports(guest, i.m.spec)
	if i.m.budget {
		g, ok := guest.ExportedGlobal(budgetGlobal).(api.MutableGlobal)
		if !ok {
			i.closeGuest(ctx)
			return fmt.Errorf("the budget counter %s is not exported", budgetGlobal)
		}
		i.budget = g
	}
	if err := i.boot(ictx); err != nil {
		i.closeGuest(ctx)
		return fmt.Errorf("boot: %w", describeTrap(err))
	}
	if state != nil {
		if err := i.restore(state); err != nil {
			i.closeGuest(ctx)
			return err
		}
	}
	i.cur = nil
	return nil
}

// restore writes a state into the freshly booted guest.
func (i *Instance) restore(s *State) error {
	mem := i.guest.Memory()
	have := memorySize(mem)
	want := uint64(len(s.Memory))
	if want > have {
		// Grow to exactly the snapshot's size. (The reference loader grows
		// with emscripten's over-allocation policy here, so a restored JS
		// instance can end up larger than the one it was taken from; aogo
		// keeps the restored instance identical.)
		if _, ok := mem.Grow(uint32((want - have) / 65536)); !ok {
			return fmt.Errorf("%w: cannot grow memory to %d bytes", ErrBadState, want)
		}
	} else if want < have {
		return fmt.Errorf("%w: memory of %d bytes is smaller than the booted module's %d", ErrBadState, want, have)
	}
	buf, ok := mem.Read(0, uint32(want))
	if !ok && want > 0 {
		// Size overflows uint32 at exactly 4 GiB; write in two halves.
		half := uint32(want / 2)
		if !mem.Write(0, s.Memory[:half]) || !mem.Write(half, s.Memory[half:]) {
			return fmt.Errorf("%w: cannot write memory", ErrBadState)
		}
	} else {
		copy(buf, s.Memory)
	}
	if i.m.spec.native {
		for k, name := range i.m.globals {
			g, ok := i.guest.ExportedGlobal(name).(api.MutableGlobal)
			if !ok || i.m.isBudget(k) {
				continue // immutable (cannot have changed), or the budget (set per message)
			}
			g.Set(s.Globals[k])
		}
	}
	// The host state as it was, not as booting the fresh guest left it.
	i.host = cloneHost(s.Host)
	i.files.restore(s.Host.Files)
	return nil
}

func memorySize(mem api.Memory) uint64 {
	pages, _ := mem.Grow(0)
	return uint64(pages) * 65536
}

// Snapshot returns a copy of the process state.
func (i *Instance) Snapshot() (*State, error) {
	if i.guest == nil {
		return nil, fmt.Errorf("vm: snapshot: %w", ErrClosed)
	}
	return i.snapshot()
}

// EncodeState writes the current state in State.Encode's form straight from
// the live memory (no copy of it): the checkpoint path. It returns the
// state's hash (State.Hash).
func (i *Instance) EncodeState(w io.Writer) ([32]byte, error) {
	if i.guest == nil {
		return [32]byte{}, fmt.Errorf("vm: encode state: %w", ErrClosed)
	}
	s, err := i.stateView()
	if err != nil {
		return [32]byte{}, err
	}
	return s.Encode(w)
}

// stateView is the state with Memory aliasing the live linear memory: valid
// until the instance runs again.
func (i *Instance) stateView() (*State, error) {
	mem := i.guest.Memory()
	size := memorySize(mem)
	buf, ok := mem.Read(0, uint32(size))
	if !ok && size > 0 {
		return i.snapshot() // exactly 4 GiB: take a copy
	}
	return i.stateWith(buf[:size:size]), nil
}

// stateWith is the current state around the given memory bytes.
func (i *Instance) stateWith(memory []byte) *State {
	s := &State{Format: i.m.spec.format, ModuleID: i.m.id, Memory: memory}
	if i.m.spec.native {
		s.Globals = make([]uint64, len(i.m.globals))
		for k, name := range i.m.globals {
			if g := i.guest.ExportedGlobal(name); g != nil && !i.m.isBudget(k) {
				s.Globals[k] = g.Get()
			}
		}
	}
	s.Host = cloneHost(i.host)
	s.Host.Files = i.files.snapshot()
	return s
}

func (i *Instance) snapshot() (*State, error) {
	mem := i.guest.Memory()
	size := memorySize(mem)
	memory := make([]byte, size)
	if size > 0 {
		if buf, ok := mem.Read(0, uint32(size)); ok {
			copy(memory, buf)
		} else {
			half := uint32(size / 2)
			a, _ := mem.Read(0, half)
			b, _ := mem.Read(half, uint32(size-uint64(half)))
			copy(memory, a)
			copy(memory[half:], b)
		}
	}
	return i.stateWith(memory), nil
}

func cloneHost(h HostState) HostState {
	h.Files = append([]OpenFile(nil), h.Files...)
	return h
}

// StateHash is the hash of the current state (see State.Hash).
func (i *Instance) StateHash() ([32]byte, error) {
	if i.guest == nil {
		return [32]byte{}, fmt.Errorf("vm: state hash: %w", ErrClosed)
	}
	if !i.m.spec.native {
		mem := i.guest.Memory()
		size := memorySize(mem)
		if buf, ok := mem.Read(0, uint32(size)); ok {
			return sha256.Sum256(buf), nil
		}
	}
	s, err := i.snapshot()
	if err != nil {
		return [32]byte{}, err
	}
	return s.Hash(), nil
}

// Close releases the instance.
func (i *Instance) Close(ctx context.Context) {
	i.closeGuest(ctx)
	i.base = nil
	i.journal = nil
}

func (i *Instance) closeGuest(ctx context.Context) {
	if i.guest != nil {
		_ = i.guest.Close(ctx)
		i.guest = nil
	}
	i.gas.close(ctx)
	i.gas, i.budget = nil, nil
}

// Handle evaluates one message: msg and env are the JSON objects of
// protocol.md 7.2 and 7.3, passed to the module byte for byte. A failure of
// the module (an Error in its response, a trap, out of gas, the instruction
// budget, the memory limit) is a Result with Error set, and the state is
// rolled back to what it was before the message. An error return means the
// message could not be evaluated at all (ErrInterrupted when ctx ended it, a
// closed instance): nothing changed and it can be retried.
func (i *Instance) Handle(ctx context.Context, msg, env []byte) (*Result, error) {
	if i.guest == nil {
		return nil, fmt.Errorf("vm: handle: %w", ErrClosed)
	}
	res, err := i.eval(ctx, msg, env)
	if err != nil || res.Failed() {
		if rbErr := i.rollback(context.WithoutCancel(ctx)); rbErr != nil {
			return nil, fmt.Errorf("vm: handle: roll back after a failed message: %w", rbErr)
		}
		if err != nil {
			return nil, fmt.Errorf("vm: handle: %w", err)
		}
		return res, nil
	}
	i.journal = append(i.journal, journalEntry{msg: bytes.Clone(msg), env: bytes.Clone(env)})
	i.journalBytes += len(msg) + len(env)
	if len(i.journal) >= maxJournalMessages || i.journalBytes >= maxJournalBytes {
		if err := i.rebase(); err != nil {
			return nil, fmt.Errorf("vm: handle: %w", err)
		}
	}
	return res, nil
}

// rebase makes the current state the rollback base.
func (i *Instance) rebase() error {
	s, err := i.snapshot()
	if err != nil {
		return err
	}
	i.base, i.journal, i.journalBytes = s, nil, 0
	return nil
}

// rollback puts the instance back to its state after the last good message:
// a fresh guest (a trap leaves wasm globals mid-call), the base state, and
// the journal replayed.
func (i *Instance) rollback(ctx context.Context) error {
	i.closeGuest(ctx)
	if err := i.start(ctx, i.base); err != nil {
		return err
	}
	i.replaying = true
	defer func() { i.replaying = false }()
	for n, e := range i.journal {
		res, err := i.eval(ctx, e.msg, e.env)
		if err != nil {
			return fmt.Errorf("replay message %d of %d: %w", n+1, len(i.journal), err)
		}
		if res.Failed() {
			return fmt.Errorf("replay message %d of %d: it failed this time (%s): the module is not deterministic", n+1, len(i.journal), res.ErrorMessage())
		}
	}
	// After a failed message the reference CU continues on a fresh loader
	// instance, whose Date.now counter starts over (see tickDateNow).
	i.host.DateNow = 0
	return nil
}

// eval runs one message on the live guest.
func (i *Instance) eval(ctx context.Context, msg, env []byte) (*Result, error) {
	i.cur = &callState{msg: msg, env: env}
	defer func() { i.cur = nil }()
	i.memHit = false
	if i.gas != nil {
		i.gas.refill()
		i.gas.setLimit(i.limits.Compute)
	}
	if i.budget != nil {
		i.budget.Set(min(i.limits.Instructions, maxBudget))
	}
	i.rand.reset(msg)
	cctx := context.WithValue(ctx, instanceKey{}, i)
	if ctx.Done() != nil {
		// The safety valve: compiled code does not poll the context (that
		// costs every call and loop), so when ctx ends the counters are
		// exhausted from here and the module traps at its next metered
		// block. The result is ErrInterrupted, never committed.
		var gasLimit api.MutableGlobal
		if i.gas != nil {
			gasLimit = i.gas.limit
		}
		budget, running := i.budget, new(atomic.Bool)
		running.Store(true)
		stop := context.AfterFunc(ctx, func() { exhaust(gasLimit, budget, running) })
		defer func() { stop(); running.Store(false) }()
	}
	var out []byte
	var err error
	if i.m.spec.native {
		out, err = i.callNative(cctx, msg, env)
	} else {
		out, err = i.callEmscripten(cctx, msg, env)
	}
	if i.cfg.Stdout != nil && !i.replaying && i.cur.stdout.Len() > 0 {
		_, _ = i.cfg.Stdout.Write(i.cur.stdout.Bytes())
	}
	res := &Result{Stdout: bytes.Clone(i.cur.stdout.Bytes())}
	if !i.m.spec.native {
		// Every emscripten format has a gas object in the reference
		// loader, so GasUsed is always reported (0 when unmetered).
		var used uint64
		if i.gas != nil {
			used = i.gas.usedGas()
		}
		res.GasUsed = &used
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %v", ErrInterrupted, context.Cause(ctx))
		}
		var unavailable *unavailableError
		if errors.As(err, &unavailable) {
			return nil, fmt.Errorf("%w: %v", ErrUnavailable, unavailable.err)
		}
		res.Error = jsonString(i.failure(err))
		return res, nil
	}
	if err := res.parse(out); err != nil {
		res.Error = jsonString(err.Error())
	}
	if res.Failed() && i.memHit {
		res.Error = jsonString(fmt.Sprintf("memory limit of %d bytes reached: %s", i.limits.Memory, res.ErrorMessage()))
	}
	return res, nil
}

// exhaust makes a running module stop at its next metered block: the gas
// limit and the budget are set so that any use exceeds them. It runs on
// another goroutine while the module runs, so it keeps writing until the
// evaluation has returned (a block in flight may store over one write).
func exhaust(gasLimit, budget api.MutableGlobal, running *atomic.Bool) {
	// A write can land between the module's load and store of the counter
	// and be lost, so keep writing until the evaluation has returned.
	for running.Load() {
		// -1 as int64: any use exceeds the gas limit, and the budget goes
		// below zero at its next charge (without wrapping around).
		if gasLimit != nil {
			gasLimit.Set(math.MaxUint64)
		}
		if budget != nil {
			budget.Set(math.MaxUint64)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// failure describes why a call failed, in the words the result reports.
func (i *Instance) failure(err error) string {
	switch {
	case i.gas != nil && i.gas.exhausted():
		return "out of gas!"
	case i.budget != nil && int64(i.budget.Get()) < 0:
		return fmt.Sprintf("instruction budget of %d exceeded (aogo's safety limit for unmetered modules)", i.limits.Instructions)
	}
	var exit *sys.ExitError
	var ex *exitError
	var ab *abortError
	msg := ""
	switch {
	case errors.As(err, &ab):
		msg = ab.Error()
	case errors.As(err, &ex):
		msg = ex.Error()
	case errors.As(err, &exit):
		msg = fmt.Sprintf("the module exited with code %d", exit.ExitCode())
	default:
		msg = describeTrap(err).Error()
	}
	if i.memHit {
		return fmt.Sprintf("memory limit of %d bytes reached: %s", i.limits.Memory, msg)
	}
	return msg
}

// describeTrap keeps the first line of a wazero error (the wasm stack trace
// that follows is for debugging, and the result must stay small).
func describeTrap(err error) error {
	s := err.Error()
	if k := strings.IndexByte(s, '\n'); k >= 0 {
		s = s[:k]
	}
	return errors.New(s)
}

// jsonString encodes s as a JSON string.
func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}
