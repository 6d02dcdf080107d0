package cu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/internal/ao"
	"github.com/aogo-dev/aogo/runtime/checkpoint"
	"github.com/aogo-dev/aogo/runtime/results"
	"github.com/aogo-dev/aogo/scheduler"
	"github.com/aogo-dev/aogo/vm"
	"github.com/asynkron/protoactor-go/actor"
)

type requestKind int

const (
	toMessage requestKind = iota // evaluate up to a message
	toSeal                       // evaluate up to the SU's seal
	dryRun
	getState
)

type request struct {
	ctx   context.Context
	kind  requestKind
	id    string         // toMessage
	dry   *DryRunMessage // dryRun
	reply chan answer
}

type answer struct {
	record    *results.Record  // toMessage
	evaluated []results.Record // toSeal
	output    []byte           // dryRun
	state     *vm.State        // getState
	pos       Position
	err       error
}

// Position is how far a process has been evaluated.
type Position struct {
	// Nonce of the last scheduled message evaluated; -1 when only the
	// process message has been.
	Nonce       int64
	Timestamp   int64 // of the last evaluation (message or cron tick)
	BlockHeight int64
	// TicksThrough: every cron tick at or before it is evaluated.
	TicksThrough int64
	// The last scheduled message's assignment and hash chain, which the
	// next entry must continue.
	Assignment, HashChain string
	Ordinal               uint64 // evaluations so far
	CronIndex             int    // the last evaluation's cron, -1 for a message
}

// proc is the actor of one process.
type proc struct {
	u   *Unit
	pid string

	loaded bool
	cold   bool // a replay from the start that ignores checkpoints (recompute)
	// blockScan is the first height whose block may still bring a block
	// cron tick (in memory only: found again after a reactivation).
	blockScan int64
	broken    error // a schedule the process cannot be evaluated past
	process   *scheduler.Process
	module    *arweave.DataItem
	env       []byte
	crons     []ao.Cron
	inst      *vm.Instance
	reserve   uint64 // bytes of the live memory budget this instance holds
	pos       Position

	pending        []results.Record // evaluated, not yet stored
	sinceCkpt      int
	lastCkpt       time.Time
	evaluatedTrace *[]results.Record // collects results for Advance
}

func (p *proc) Receive(actx actor.Context) {
	switch msg := actx.Message().(type) {
	case *request:
		p.serve(msg)
	case *actor.Stopping:
		p.unload()
	}
}

// PrePassivate checkpoints before the manager passivates the actor.
func (p *proc) PrePassivate() {
	if p.inst != nil && p.sinceCkpt > 0 {
		if err := p.checkpoint(context.Background()); err != nil {
			p.u.log.Warn("checkpoint at passivation failed", "process", p.pid, "err", err)
		}
	}
}

func (p *proc) unload() {
	if p.inst != nil {
		p.inst.Close(context.Background())
		p.inst = nil
	}
	if p.reserve > 0 {
		p.u.live.release(p.reserve)
		p.reserve = 0
	}
	if p.loaded {
		p.u.stats.live.Add(-1)
	}
	p.loaded = false
}

func (p *proc) serve(req *request) {
	defer func() {
		if r := recover(); r != nil {
			p.u.log.Error("process actor panicked", "process", p.pid, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			p.unload() // the next request starts again from a checkpoint
			req.reply <- answer{err: fmt.Errorf("cu: internal error evaluating %s", p.pid)}
		}
	}()
	// Evaluations continue when the client goes away: their results are
	// kept for the next request.
	ctx := context.WithoutCancel(req.ctx)
	release, err := p.u.acquire(req.ctx)
	if err != nil {
		req.reply <- answer{err: err}
		return
	}
	defer release()
	// Advance answers every evaluation it made, the process message of a
	// cold start included.
	var trace []results.Record
	if req.kind == toSeal {
		p.evaluatedTrace = &trace
		defer func() { p.evaluatedTrace = nil }()
	}
	if err := p.load(ctx, req.ctx); err != nil {
		req.reply <- answer{err: err}
		return
	}
	var a answer
	switch req.kind {
	case toMessage:
		a.record, a.err = p.toMessage(ctx, req.id)
	case toSeal:
		a.err = p.toSeal(ctx)
		a.evaluated = trace
	case dryRun:
		if a.err = p.toSeal(ctx); a.err == nil {
			a.output, a.err = p.dryRun(ctx, req.dry)
		}
	case getState:
		if a.err = p.toSeal(ctx); a.err == nil {
			a.state, a.err = p.inst.Snapshot()
		}
	}
	if err := p.flush(ctx); err != nil && a.err == nil {
		a.err = err
	}
	a.pos = p.pos
	req.reply <- a
}

// load prepares the process: its definition, module and crons, and an
// instance from the newest checkpoint (or a cold start).
func (p *proc) load(ctx, reqCtx context.Context) error {
	if p.broken != nil {
		return p.broken
	}
	if p.loaded {
		return nil
	}
	u := p.u
	proc, err := u.cfg.Source.Process(ctx, p.pid)
	if errors.Is(err, scheduler.ErrUnknownProcess) {
		return fmt.Errorf("cu: process %s: %w", p.pid, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("cu: process %s: %w", p.pid, err)
	}
	mod, limits, err := u.loadModule(ctx, proc)
	if err != nil {
		return err
	}
	crons, err := ao.ParseCrons(proc.Item.Tags)
	if err != nil {
		return fmt.Errorf("cu: process %s: %w: %w", p.pid, ErrModule, err)
	}
	compiled, err := u.cfg.Runtime.Load(ctx, vm.ModuleSpec{ID: mod.ID(), Format: vm.Format(mod.Tags.Value("Module-Format")), Binary: mod.Data})
	if err != nil {
		return moduleError(mod.ID(), err)
	}

	var state *vm.State
	pos := Position{Nonce: -1, Timestamp: proc.Timestamp, BlockHeight: proc.BlockHeight, TicksThrough: proc.Timestamp, CronIndex: -1}
	meta, st, err := u.cfg.Checkpoints.Latest(ctx, p.pid, nil)
	if p.cold {
		err = checkpoint.ErrNotFound
	}
	switch {
	case err == nil && meta.Module == mod.ID():
		state = st
		pos = Position{
			Nonce: meta.Nonce, Timestamp: meta.Timestamp, BlockHeight: meta.BlockHeight,
			Assignment: meta.Assignment, HashChain: meta.HashChain, Ordinal: meta.Ordinal, CronIndex: meta.CronIndex,
		}
		// Ticks at a message's time come after it: a checkpoint after a
		// message has evaluated the ticks before its time only.
		pos.TicksThrough = meta.Timestamp
		if meta.CronIndex < 0 {
			pos.TicksThrough = meta.Timestamp - 1
		}
	case err == nil, errors.Is(err, checkpoint.ErrNotFound):
	default:
		u.log.Warn("no usable checkpoint; starting cold", "process", p.pid, "err", err)
	}
	// The live memory budget: wait (as long as the request allows) for
	// other processes to passivate rather than run out of memory.
	if err := u.live.acquire(reqCtx, limits.Memory); err != nil {
		return err
	}
	inst, err := compiled.Instantiate(ctx, vm.InstanceConfig{Limits: limits}, state)
	if err != nil {
		u.live.release(limits.Memory)
		return moduleError(mod.ID(), err)
	}
	p.reserve = limits.Memory
	p.process, p.module, p.crons, p.inst, p.pos = proc, mod, crons, inst, pos
	p.env = encodeEnv(proc.Item, mod)
	p.loaded, p.sinceCkpt, p.lastCkpt = true, 0, time.Now()
	u.stats.live.Add(1)
	if state == nil {
		// A cold start evaluates the process's own message first.
		if err := p.evaluate(ctx, processMessage(proc), results.Key{Timestamp: proc.Timestamp, Ordinate: -1, Cron: -1}, proc.ID()); err != nil {
			p.unload()
			return err
		}
	}
	return nil
}

// toMessage evaluates up to and including the entry holding id (or just
// the process message when id is the process).
func (p *proc) toMessage(ctx context.Context, id string) (*results.Record, error) {
	if id != p.pid {
		e, err := p.u.cfg.Source.Find(ctx, p.pid, id)
		if errors.Is(err, scheduler.ErrNotFound) {
			return nil, fmt.Errorf("cu: message %s of process %s: %w", id, p.pid, ErrNotFound)
		}
		if err != nil {
			return nil, err
		}
		if e.Nonce > p.pos.Nonce {
			if err := p.replay(ctx, func(e2 *scheduler.Entry) bool { return e2.Nonce <= e.Nonce }); err != nil {
				return nil, err
			}
		}
		id = e.MessageID()
	}
	if err := p.flush(ctx); err != nil {
		return nil, err
	}
	r, err := p.u.cfg.Results.ByMessage(ctx, p.pid, id)
	if errors.Is(err, results.ErrNotFound) && !p.cold {
		// Evaluated before, its result pruned (or lost): recompute it on
		// a separate instance from the start of the log; this process's
		// own state does not move.
		return p.recompute(ctx, id)
	}
	if err != nil {
		return nil, fmt.Errorf("cu: result of %s: %w", id, err)
	}
	return r, nil
}

// recompute replays the process from its start up to id on a separate
// instance, storing the results on the way, and answers id's.
func (p *proc) recompute(ctx context.Context, id string) (*results.Record, error) {
	tmp := &proc{u: p.u, pid: p.pid, cold: true}
	defer tmp.unload()
	// Waiting for live memory is bounded: this actor holds its own.
	budget, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := tmp.load(ctx, budget); err != nil {
		return nil, err
	}
	r, err := tmp.toMessage(ctx, id)
	if err != nil {
		return nil, err
	}
	return r, tmp.flush(ctx)
}

// toSeal evaluates every entry stamped at or before the SU's seal, then
// the cron ticks up to it.
func (p *proc) toSeal(ctx context.Context) error {
	seal, _, err := p.u.sealOf(ctx, p.pid)
	if err != nil {
		return fmt.Errorf("cu: seal: %w", err)
	}
	if err := p.replay(ctx, func(e *scheduler.Entry) bool { return e.Timestamp <= seal }); err != nil {
		return err
	}
	return p.ticks(ctx, seal)
}

// replay evaluates the entries after the current position while want
// accepts them, each preceded by the cron ticks before its timestamp.
func (p *proc) replay(ctx context.Context, want func(*scheduler.Entry) bool) error {
	for {
		from := p.pos.Nonce
		entries, more, err := p.u.cfg.Source.Entries(ctx, p.pid, scheduler.Range{FromNonce: &from, Limit: 500})
		if err != nil {
			return fmt.Errorf("cu: schedule of %s: %w", p.pid, err)
		}
		for _, e := range entries {
			if !want(e) {
				return nil
			}
			if err := p.ticks(ctx, e.Timestamp-1); err != nil {
				return err
			}
			if err := p.evaluateEntry(ctx, e); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
	}
}

// ticks evaluates the cron ticks after TicksThrough up to upTo, time and
// block ticks merged in (timestamp, cron index) order.
func (p *proc) ticks(ctx context.Context, upTo int64) error {
	if upTo <= p.pos.TicksThrough {
		return nil
	}
	var blocks []blockTick
	if p.hasBlockCrons() {
		var err error
		if upTo, blocks, err = p.blockTicks(ctx, p.pos.TicksThrough, upTo); err != nil {
			return err
		}
		if upTo <= p.pos.TicksThrough {
			return nil
		}
	}
	owner := p.process.Item.OwnerAddress()
	tick := func(at, height int64, c int) error {
		msg := cronMessage(p.pid, owner, p.crons[c].Tags, at, height)
		if err := p.evaluate(ctx, msg, results.Key{Timestamp: at, Ordinate: p.pos.Nonce, Cron: c}, ""); err != nil {
			return err
		}
		p.pos.CronIndex = c
		return nil
	}
	// blocksBefore evaluates the block ticks ordered before (at, c).
	blocksBefore := func(at int64, c int) error {
		for len(blocks) > 0 && (blocks[0].at < at || blocks[0].at == at && blocks[0].cron < c) {
			b := blocks[0]
			blocks = blocks[1:]
			if err := tick(b.at, b.height, b.cron); err != nil {
				return err
			}
		}
		return nil
	}
	var err error
	ao.TimeTicks(p.crons, p.process.Timestamp, p.pos.TicksThrough, upTo, func(t ao.Tick) bool {
		if err = blocksBefore(t.Timestamp, t.Cron); err != nil {
			return false
		}
		err = tick(t.Timestamp, p.pos.BlockHeight, t.Cron)
		return err == nil
	})
	if err == nil {
		err = blocksBefore(upTo+1, 0)
	}
	if err != nil {
		return err
	}
	p.pos.TicksThrough = upTo
	return nil
}

// blockTick is a block cron's tick: at the block's timestamp (ms).
type blockTick struct {
	at, height int64
	cron       int
}

func (p *proc) hasBlockCrons() bool {
	for _, c := range p.crons {
		if !c.IsTime() {
			return true
		}
	}
	return false
}

// blockTicks returns the block crons' ticks with after < timestamp <=
// upTo, from the store's blocks. A block tick falls at its block's
// timestamp, and blocks become known some time after it: so that a block
// learned late can never be skipped, the window is cut below the newest
// known block's timestamp (block timestamps increase with height), and
// the new upper bound is returned.
func (p *proc) blockTicks(ctx context.Context, after, upTo int64) (int64, []blockTick, error) {
	store := p.u.cfg.Store
	info, err := store.Info(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("cu: block crons: %w: %w", vm.ErrUnavailable, err)
	}
	head := info.Height
	latest, err := store.Blocks(ctx, arweave.BlockQuery{MinHeight: &head, MaxHeight: &head, First: 1})
	if err != nil || len(latest.Edges) == 0 {
		return 0, nil, fmt.Errorf("cu: block crons: %w: block %d: %v", vm.ErrUnavailable, head, err)
	}
	upTo = min(upTo, latest.Edges[0].Node.Timestamp*1000-1)
	origin := p.process.BlockHeight
	from := max(origin+1, p.blockScan)
	var out []blockTick
	for from <= head && upTo > after {
		page, err := store.Blocks(ctx, arweave.BlockQuery{MinHeight: &from, MaxHeight: &head, First: arweave.MaxPageSize, Sort: arweave.HeightAsc})
		if err != nil {
			return 0, nil, fmt.Errorf("cu: block crons: %w: %w", vm.ErrUnavailable, err)
		}
		if len(page.Edges) == 0 {
			break
		}
		for _, e := range page.Edges {
			b := e.Node
			at := b.Timestamp * 1000
			from = b.Height + 1
			if at <= after {
				p.blockScan = from // evaluated already: never scanned again
				continue
			}
			if at > upTo {
				return upTo, out, nil
			}
			ao.BlockTicks(p.crons, origin, b.Height-1, b.Height, func(h int64, c int) bool {
				out = append(out, blockTick{at: at, height: h, cron: c})
				return true
			})
		}
		if !page.HasNextPage {
			break
		}
	}
	return upTo, out, nil
}

// evaluateEntry checks that e continues the log, then evaluates it.
func (p *proc) evaluateEntry(ctx context.Context, e *scheduler.Entry) error {
	if e.Nonce != p.pos.Nonce+1 {
		return p.fail(fmt.Errorf("cu: %w on message %s: nonce %d after %d", ErrHashChain, e.MessageID(), e.Nonce, p.pos.Nonce))
	}
	want, err := ao.HashChainSeed(p.pid)
	if e.Nonce > 0 {
		want, err = ao.NextHashChain(p.pos.Assignment, p.pos.HashChain)
	}
	if err != nil || e.HashChain != want {
		return p.fail(fmt.Errorf("cu: %w on message %s", ErrHashChain, e.MessageID()))
	}
	var tx *arweave.DataItem
	if e.Message == nil {
		if tx, err = p.u.cfg.Store.Item(ctx, e.MessageID()); err != nil {
			return fmt.Errorf("cu: assigned transaction %s: %w: %w", e.MessageID(), vm.ErrUnavailable, err)
		}
	}
	msg := scheduledMessage(e, tx)
	if err := p.evaluate(ctx, msg, results.Key{Timestamp: e.Timestamp, Ordinate: e.Nonce, Cron: -1}, e.MessageID()); err != nil {
		return err
	}
	p.pos.Nonce, p.pos.BlockHeight = e.Nonce, e.BlockHeight
	p.pos.Assignment, p.pos.HashChain = e.Assignment.ID(), e.HashChain
	p.pos.TicksThrough = max(p.pos.TicksThrough, e.Timestamp-1)
	p.pos.CronIndex = -1
	return p.maybeCheckpoint(ctx)
}

// fail marks the process as not evaluable past this point.
func (p *proc) fail(err error) error {
	p.broken = err
	p.u.log.Error("schedule cannot be evaluated", "process", p.pid, "err", err)
	return err
}

// evaluate runs one message and records its result.
func (p *proc) evaluate(ctx context.Context, msg message, key results.Key, id string) error {
	res, err := p.inst.Handle(ctx, mustJSON(msg), p.env)
	if err != nil {
		p.u.stats.errors.Add(1)
		return fmt.Errorf("cu: evaluating %s of %s: %w", describe(id, key), p.pid, err)
	}
	p.u.stats.evaluations.Add(1)
	if res.Failed() {
		p.u.stats.failed.Add(1)
	}
	rec := results.Record{Process: p.pid, Key: key, MessageID: id, Result: resultJSON(res), Error: res.Failed()}
	if key.Cron >= 0 {
		rec.CronID = p.crons[key.Cron].ID
	}
	p.pending = append(p.pending, rec)
	if p.evaluatedTrace != nil {
		*p.evaluatedTrace = append(*p.evaluatedTrace, rec)
	}
	p.pos.Timestamp = key.Timestamp
	p.pos.Ordinal++
	p.sinceCkpt++
	if len(p.pending) >= 256 {
		return p.flush(ctx)
	}
	return nil
}

func describe(id string, key results.Key) string {
	if id != "" {
		return "message " + id
	}
	return fmt.Sprintf("cron tick %d at %d", key.Cron, key.Timestamp)
}

// resultJSON is the result as the CU serves it: Messages, Spawns and
// Assignments always arrays, Output always present (protocol.md 9, 26).
func resultJSON(r *vm.Result) []byte {
	out := *r
	if out.Output == nil {
		out.Output = json.RawMessage(`""`)
	}
	for _, f := range []*json.RawMessage{&out.Messages, &out.Spawns, &out.Assignments} {
		if *f == nil || string(*f) == "null" {
			*f = json.RawMessage("[]")
		}
	}
	b, _ := out.MarshalJSON()
	return b
}

// flush stores the pending results.
func (p *proc) flush(ctx context.Context) error {
	if len(p.pending) == 0 {
		return nil
	}
	if err := p.u.cfg.Results.Put(ctx, p.pending...); err != nil {
		return fmt.Errorf("cu: storing results of %s: %w", p.pid, err)
	}
	p.pending = p.pending[:0]
	return nil
}

func (p *proc) maybeCheckpoint(ctx context.Context) error {
	if p.cold {
		return nil // a recompute: the process's checkpoints are ahead of it
	}
	if p.sinceCkpt < p.u.cfg.CheckpointEvery && time.Since(p.lastCkpt) < p.u.cfg.CheckpointInterval {
		return nil
	}
	return p.checkpoint(ctx)
}

// checkpoint writes the state at a clean point (after an evaluation, never
// on a failure path). Results are stored first: a restart from this
// checkpoint does not evaluate the messages before it again.
func (p *proc) checkpoint(ctx context.Context) error {
	if err := p.flush(ctx); err != nil {
		return err
	}
	if err := p.u.cfg.Results.Sync(ctx); err != nil {
		return fmt.Errorf("cu: checkpoint of %s: %w", p.pid, err)
	}
	// StateHash left zero: Write takes it from the encoding (one hash of
	// the memory, not two).
	meta := checkpoint.Meta{
		Process: p.pid, Module: p.module.ID(), Nonce: p.pos.Nonce, Timestamp: p.pos.Timestamp,
		BlockHeight: p.pos.BlockHeight, HashChain: p.pos.HashChain, Assignment: p.pos.Assignment,
		CronIndex: p.pos.CronIndex, Ordinal: p.pos.Ordinal,
	}
	if err := p.u.cfg.Checkpoints.Write(ctx, meta, p.inst.EncodeState); err != nil {
		return fmt.Errorf("cu: checkpoint of %s: %w", p.pid, err)
	}
	p.sinceCkpt, p.lastCkpt = 0, time.Now()
	return p.pruneResults(ctx)
}

// pruneResults keeps the newest KeepResults results of the process.
func (p *proc) pruneResults(ctx context.Context) error {
	keep := p.u.cfg.KeepResults
	if keep <= 0 {
		return nil
	}
	page, more, err := p.u.cfg.Results.Page(ctx, p.pid, results.Query{Desc: true, Limit: keep + 1})
	if err != nil || !more && len(page) <= keep {
		return err
	}
	if len(page) <= keep {
		return nil
	}
	if _, err := p.u.cfg.Results.Prune(ctx, p.pid, page[keep].Key); err != nil {
		return fmt.Errorf("cu: pruning results of %s: %w", p.pid, err)
	}
	return nil
}
