package scheduler

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/internal/ao"
	"github.com/asynkron/protoactor-go/actor"
)

// request asks a sequencer to append one record: exactly one of process,
// message and assign is set.
type request struct {
	ctx     context.Context
	process *arweave.DataItem
	message *arweave.DataItem
	assign  *AssignRequest
	reply   chan reply // buffered (1)
}

type reply struct {
	scheduled *Scheduled
	err       error
}

func (r *request) answer(s *Scheduled, err error) { r.reply <- reply{s, err} }

// committed tells a sequencer that its append of id is durable (or
// failed).
type committed struct{ id string }

// sequencer is the actor of one process: it gives each new entry the next
// nonce, a timestamp, the block height and the hash chain link, signs the
// assignment and appends it. Appends are pipelined: the sequencer goes on
// with the next request while earlier ones wait for their fsync, and each
// request is answered only once its entry is durable.
type sequencer struct {
	s   *Scheduler
	pid string

	loaded    bool
	process   *Process // nil until the process is scheduled
	next      int64    // the next nonce
	lastTime  int64    // the last timestamp given in this process
	lastBlock int64
	prevID    string // the last assignment's id ("" before the first)
	prevChain string
	inFlight  map[string]bool // ids of appends not yet durable
}

func (q *sequencer) Busy() bool { return len(q.inFlight) > 0 }

func (q *sequencer) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *request:
		q.serve(ctx, msg)
	case committed:
		delete(q.inFlight, msg.id)
	case *actor.Started:
		q.s.stats.sequencers.Add(1)
	case *actor.Stopped, *actor.Restarting:
		// NB: a restarted sequencer is a new actor, which gets Started.
		q.s.stats.sequencers.Add(-1)
	}
}

// load reads the process and its last entry from the log.
func (q *sequencer) load(ctx context.Context) error {
	log := q.s.cfg.Log
	// Readers see durable records only; an earlier incarnation (restarted
	// after a panic) may have appends in flight.
	if err := log.Sync(ctx); err != nil {
		return err
	}
	p, err := log.Process(ctx, q.pid)
	if errors.Is(err, ErrUnknownProcess) {
		q.loaded = true
		return nil
	}
	if err != nil {
		return err
	}
	q.process, q.lastTime, q.lastBlock = p, p.Timestamp, p.BlockHeight
	last, err := log.Last(ctx, q.pid)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return err
	default:
		q.next = last.Nonce + 1
		q.lastTime, q.lastBlock = last.Timestamp, last.BlockHeight
		q.prevID, q.prevChain = last.Assignment.ID(), last.HashChain
	}
	q.loaded = true
	return nil
}

// serve handles one request, answering it with an error if anything
// panics (and forgetting the in-memory state, which the next request
// reloads from the log).
func (q *sequencer) serve(actx actor.Context, req *request) {
	defer func() {
		if r := recover(); r != nil {
			q.s.log.Error("sequencer panicked", "process", q.pid, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			q.loaded, q.process = false, nil
			req.answer(nil, fmt.Errorf("scheduler: internal error in the sequencer of %s", q.pid))
		}
	}()
	ctx := req.ctx
	if err := ctx.Err(); err != nil {
		req.answer(nil, err) // the caller has gone: consume nothing
		return
	}
	if !q.loaded {
		if err := q.load(ctx); err != nil {
			req.answer(nil, fmt.Errorf("scheduler: load %s: %w", q.pid, err))
			return
		}
	}
	if req.process != nil {
		q.scheduleProcess(actx, req)
		return
	}
	q.appendEntry(actx, req)
}

func (q *sequencer) scheduleProcess(actx actor.Context, req *request) {
	s := q.s
	if q.process != nil {
		q.answerDuplicate(req, fmt.Errorf("Process already exists: %s: %w", q.pid, ErrDuplicate))
		return
	}
	ts, err := s.clock.issue(req.ctx, 0)
	if err != nil {
		req.answer(nil, err)
		return
	}
	p := &Process{Item: req.process, Timestamp: ts, BlockHeight: s.heights.current()}
	wait, err := s.cfg.Log.Append(req.ctx, Record{Process: p})
	if err != nil {
		s.clock.done(ts)
		if errors.Is(err, ErrDuplicate) {
			q.answerDuplicate(req, fmt.Errorf("Process already exists: %s: %w", q.pid, ErrDuplicate))
			return
		}
		s.stats.failures.Add(1)
		req.answer(nil, err)
		return
	}
	q.process, q.lastTime, q.lastBlock = p, p.Timestamp, p.BlockHeight
	q.await(actx, req, q.pid, ts, wait, &Scheduled{ID: q.pid, Timestamp: ts, Process: p})
}

func (q *sequencer) appendEntry(actx actor.Context, req *request) {
	s := q.s
	ctx := req.ctx
	if q.process == nil {
		req.answer(nil, fmt.Errorf("Process %s not found on this scheduler: %w", q.pid, ErrUnknownProcess))
		return
	}
	msgID := ""
	if req.message != nil {
		msgID = req.message.ID()
	} else {
		msgID = req.assign.Transaction
	}
	dup := fmt.Errorf("Message already exists: %s: %w", msgID, ErrDuplicate)
	if req.assign != nil {
		dup = fmt.Errorf("Transaction %s is already assigned to %s: %w", msgID, q.pid, ErrDuplicate)
	}
	// A duplicate in flight is answered once it is durable; one already
	// durable is refused by Log.Append below (one lookup, not two).
	if q.inFlight[msgID] {
		q.answerDuplicate(req, dup)
		return
	}

	chain, err := q.nextChain()
	if err != nil {
		req.answer(nil, err)
		return
	}
	ts, err := s.clock.issue(ctx, q.lastTime)
	if err != nil {
		req.answer(nil, err)
		return
	}
	e := &Entry{
		Process:     q.pid,
		Nonce:       q.next,
		Timestamp:   ts,
		BlockHeight: max(s.heights.current(), q.lastBlock),
		HashChain:   chain,
		Message:     req.message,
	}
	f := assignmentFields{
		process: q.pid, epoch: e.Epoch, nonce: e.Nonce, hashChain: chain,
		blockHeight: e.BlockHeight, timestamp: ts, message: msgID,
	}
	if req.assign != nil {
		f.exclude = req.assign.Exclude
	}
	if e.Assignment, err = buildAssignment(s.cfg.Signer, f); err != nil {
		s.clock.done(ts)
		req.answer(nil, err)
		return
	}
	wait, err := s.cfg.Log.Append(ctx, Record{Entry: e})
	if err != nil {
		s.clock.done(ts)
		if errors.Is(err, ErrDuplicate) {
			// Durable already, or in flight from an earlier incarnation
			// of this sequencer.
			q.answerDuplicate(req, dup)
			return
		}
		s.stats.failures.Add(1)
		req.answer(nil, err)
		return
	}
	q.next++
	q.lastTime, q.lastBlock = e.Timestamp, e.BlockHeight
	q.prevID, q.prevChain = e.Assignment.ID(), e.HashChain
	id := msgID
	if req.assign != nil {
		id = e.Assignment.ID()
	}
	q.await(actx, req, msgID, ts, wait, &Scheduled{ID: id, Timestamp: ts, Entry: e})
}

// answerDuplicate answers that an item already exists once the existing
// record is durable: it may still be waiting for its fsync, and a client
// told "already exists" (an MU retrying a push) takes the item as
// delivered, so a crash must not be able to lose it after this answer.
func (q *sequencer) answerDuplicate(req *request, dup error) {
	log := q.s.cfg.Log
	go func() {
		if err := log.Sync(context.WithoutCancel(req.ctx)); err != nil {
			req.answer(nil, err)
			return
		}
		req.answer(nil, dup)
	}()
}

// nextChain is the Hash-Chain of the next entry (protocol.md 4.6).
func (q *sequencer) nextChain() (string, error) {
	if q.prevID == "" {
		return ao.HashChainSeed(q.pid)
	}
	return ao.NextHashChain(q.prevID, q.prevChain)
}

// await waits for an append's fsync off the actor, then releases its
// timestamp and answers the request.
func (q *sequencer) await(actx actor.Context, req *request, id string, ts int64, wait func() error, ok *Scheduled) {
	if q.inFlight == nil {
		q.inFlight = make(map[string]bool)
	}
	q.inFlight[id] = true
	self, root, s := actx.Self(), actx.ActorSystem().Root, q.s
	go func() {
		err := wait()
		s.clock.done(ts)
		root.Send(self, committed{id})
		if err != nil {
			s.stats.failures.Add(1)
			req.answer(nil, err)
			return
		}
		switch {
		case ok.Process != nil:
			s.stats.processes.Add(1)
		case req.assign != nil:
			s.stats.assignments.Add(1)
		default:
			s.stats.messages.Add(1)
		}
		if ok.Process != nil {
			s.indexProcess(req.ctx, ok.Process)
		}
		if s.cfg.Appended != nil {
			s.cfg.Appended()
		}
		req.answer(ok, nil)
	}()
}

// indexProcess puts a new Process item into the store at once, so that
// the gateway's GraphQL finds it (aoconnect and CUs look processes up
// there); the uploader bundles it again later for permanence, which the
// store takes as a no-op. A failure is logged, not returned: the process
// is scheduled, and the uploader will deliver it.
func (s *Scheduler) indexProcess(ctx context.Context, p *Process) {
	if err := s.cfg.Store.PutItems(context.WithoutCancel(ctx), p.Item); err != nil {
		s.log.Warn("could not index a new process in the store; the uploader will", "process", p.ID(), "err", err)
	}
}
