package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/internal/actorx"
	"github.com/asynkron/protoactor-go/actor"
)

// Config configures New. Log, Store and Signer are required.
type Config struct {
	// Log is where the schedule is kept (scheduler/pebblelog on one node).
	Log Log
	// Store gives block heights and assigned transactions, and receives
	// each new Process item at once (so that the gateway's GraphQL knows
	// it) and, through the Uploader, the whole log.
	Store arweave.Store
	// Signer is the SU wallet: it signs every Assignment. ed25519 signs
	// in tens of microseconds, RSA-4096 in milliseconds.
	Signer arweave.Signer

	// System is the actor system the sequencers live in. Default nil: the
	// scheduler makes its own (and shuts it down on Close).
	System *actor.ActorSystem
	// Logger receives the scheduler's records. Default nil: discard.
	Logger *slog.Logger
	// Now is the wall clock. Default nil: time.Now. The scheduler's clock
	// never goes backwards even when this does.
	Now func() time.Time
	// Idle passivates a process's sequencer after this long without a
	// message. Default 1 minute.
	Idle time.Duration
	// HeightRefresh is how often the Arweave height is read from Store.
	// Default 5 s (as the reference SU).
	HeightRefresh time.Duration
	// Appended, if set, is called after each durable append, off the
	// sequencers (e.g. Uploader.Notify). It must not block.
	Appended func()
	// ClockReserve is how far ahead of the wall clock the durable clock
	// ceiling is kept; a restarted scheduler starts above it. Default 1 s.
	ClockReserve time.Duration
}

// Scheduler is the SU: it orders every message of its processes into a
// durable, hash-chained log. One sequencer actor per process makes the
// appends of a process serial; different processes append in parallel and
// share fsyncs. All methods are safe for concurrent use.
type Scheduler struct {
	cfg      Config
	log      *slog.Logger
	address  string
	clock    *clock
	heights  *heights
	seqs     *actorx.Manager
	system   *actor.ActorSystem
	ownSys   bool
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	closeOne sync.Once
	stats    stats
}

// stats are the counters behind Stats, updated off the hot path's locks.
type stats struct {
	processes, messages, assignments, failures atomic.Uint64
	sequencers                                 atomic.Int64
}

// Stats are a scheduler's counters since New (for metrics).
type Stats struct {
	// Processes, Messages and Assignments count the durable appends of
	// Process items, Message items and assignments of existing
	// transactions.
	Processes, Messages, Assignments uint64
	// Failures counts appends the log failed (write or fsync errors);
	// refusals (duplicates, invalid items) are not failures.
	Failures uint64
	// Sequencers is the number of sequencer actors active now (one per
	// process with recent traffic; idle ones are passivated).
	Sequencers int64
}

// Stats returns the scheduler's counters. It is cheap (atomic loads) and
// safe for concurrent use.
func (s *Scheduler) Stats() Stats {
	return Stats{
		Processes:   s.stats.processes.Load(),
		Messages:    s.stats.messages.Load(),
		Assignments: s.stats.assignments.Load(),
		Failures:    s.stats.failures.Load(),
		Sequencers:  s.stats.sequencers.Load(),
	}
}

// New starts a scheduler over cfg.Log. It reads the clock ceiling and the
// current height before it returns.
func New(ctx context.Context, cfg Config) (*Scheduler, error) {
	switch {
	case cfg.Log == nil:
		return nil, errors.New("scheduler: Config.Log is required")
	case cfg.Store == nil:
		return nil, errors.New("scheduler: Config.Store is required")
	case cfg.Signer == nil:
		return nil, errors.New("scheduler: Config.Signer is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Idle <= 0 {
		cfg.Idle = time.Minute
	}
	if cfg.HeightRefresh <= 0 {
		cfg.HeightRefresh = 5 * time.Second
	}
	if cfg.ClockReserve <= 0 {
		cfg.ClockReserve = time.Second
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("unit", "su")
	now := cfg.Now
	clk, err := newClock(ctx, cfg.Log, func() int64 { return now().UnixMilli() }, cfg.ClockReserve)
	if err != nil {
		return nil, err
	}
	h := &heights{store: cfg.Store}
	if err := h.refresh(ctx); err != nil {
		return nil, err
	}
	s := &Scheduler{
		cfg:     cfg,
		log:     logger,
		address: arweave.SignerAddress(cfg.Signer),
		clock:   clk,
		heights: h,
		system:  cfg.System,
	}
	if s.system == nil {
		s.system = actorx.NewSystem(logger)
		s.ownSys = true
	}
	s.seqs = actorx.NewManager(s.system, actorx.ManagerConfig{
		Name:    "sequencers",
		Produce: func(pid string) actor.Actor { return &sequencer{s: s, pid: pid} },
		Idle:    cfg.Idle,
		Logger:  logger,
	})
	bg, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(2)
	go func() { defer s.wg.Done(); clk.keepAhead(bg) }()
	go func() { defer s.wg.Done(); h.keepFresh(bg, cfg.HeightRefresh, logger) }()
	return s, nil
}

// Close stops the sequencers (each finishes what is in its mailbox) and
// the background work. It does not close the Log or the Store.
func (s *Scheduler) Close() error {
	s.closeOne.Do(func() {
		s.seqs.Stop()
		s.cancel()
		s.wg.Wait()
		if s.ownSys {
			s.system.Shutdown()
		}
	})
	return nil
}

// Address is the SU wallet's address (processes name it in their
// Scheduler tag).
func (s *Scheduler) Address() string { return s.address }

// Signer is the SU wallet.
func (s *Scheduler) Signer() arweave.Signer { return s.cfg.Signer }

// Scheduled is the answer to a successful Schedule or Assign.
type Scheduled struct {
	// ID is the process id, the message id or (for an assignment of an
	// existing transaction) the new assignment's id: what POST / answers.
	ID        string
	Timestamp int64
	Process   *Process // set when a Process was scheduled
	Entry     *Entry   // set when a Message was scheduled or a transaction assigned
}

// ErrInvalid marks input the scheduler refuses (a 400): bad tags, a
// Process without Module or Scheduler, a bad assignment request.
var ErrInvalid = errors.New("invalid")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Schedule gives a Process or Message data item its place in the log and
// returns once that place is durable. The item must already be verified
// (the HTTP API and the MU verify it; an item is verified once per node).
// A Process is keyed by its own id, a Message by its target; a duplicate
// id fails with ErrDuplicate and consumes no nonce.
func (s *Scheduler) Schedule(ctx context.Context, item *arweave.DataItem) (*Scheduled, error) {
	kind, err := s.check(item)
	if err != nil {
		return nil, err
	}
	req := &request{ctx: ctx, reply: make(chan reply, 1)}
	key := item.TargetID()
	if kind == "Process" {
		req.process = item
		key = item.ID()
	} else {
		req.message = item
	}
	return s.send(ctx, key, req)
}

// AssignRequest is POST /?process-id=&assign=: put an existing Arweave
// transaction (or data item) into a process's log.
type AssignRequest struct {
	Process     string
	Transaction string
	// BaseLayer requires the transaction to be settled on Arweave with at
	// least the process's Settlement-Depth confirmations (default 20).
	BaseLayer bool
	// Exclude names fields a CU must not load for the transaction (one
	// Exclude tag each).
	Exclude []string
}

// DefaultSettlementDepth is the confirmations a base-layer assignment
// needs when the process has no Settlement-Depth tag.
const DefaultSettlementDepth = 20

// Assign appends an assignment of an existing transaction. The
// transaction must be known to the Store; assigning the same transaction
// to a process twice fails with ErrDuplicate.
func (s *Scheduler) Assign(ctx context.Context, a AssignRequest) (*Scheduled, error) {
	if len(a.Transaction) != 43 {
		return nil, invalid("assign: %q is not a 43-character transaction id", a.Transaction)
	}
	if _, err := arweave.DecodeID(a.Transaction); err != nil {
		return nil, invalid("assign: %v", err)
	}
	p, err := s.cfg.Log.Process(ctx, a.Process)
	if err != nil {
		return nil, err
	}
	tx, err := s.cfg.Store.Transaction(ctx, a.Transaction)
	if arweave.IsNotFound(err) {
		return nil, invalid("assign: transaction %s not found on the gateway", a.Transaction)
	}
	if err != nil {
		return nil, fmt.Errorf("scheduler: assign: %w", err)
	}
	if a.BaseLayer {
		depth := int64(DefaultSettlementDepth)
		if v, ok := p.Item.Tags.Get("Settlement-Depth"); ok {
			if _, err := fmt.Sscan(v, &depth); err != nil {
				return nil, invalid("assign: process has a bad Settlement-Depth %q", v)
			}
		}
		if tx.Block == nil {
			return nil, invalid("assign: transaction %s is not yet in a block", a.Transaction)
		}
		if conf := s.heights.current() - tx.Block.Height + 1; conf < depth {
			return nil, invalid("assign: transaction %s has %d confirmations, the process needs %d", a.Transaction, conf, depth)
		}
	}
	for _, x := range a.Exclude {
		if x == "" {
			return nil, invalid("assign: empty exclude field")
		}
	}
	req := &request{ctx: ctx, reply: make(chan reply, 1), assign: &a}
	return s.send(ctx, a.Process, req)
}

func (s *Scheduler) send(ctx context.Context, key string, req *request) (*Scheduled, error) {
	s.seqs.Send(key, req)
	select {
	case r := <-req.reply:
		return r.scheduled, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// check applies the SU's rules on tags (protocol.md 4.2) and returns the
// item's Type.
func (s *Scheduler) check(item *arweave.DataItem) (string, error) {
	typ, ok := item.Tags.Get("Type")
	if !ok {
		typ, ok = item.Tags.Get("type")
	}
	if !ok {
		return "", invalid("Type tag not present")
	}
	if typ != "Process" && typ != "Message" {
		return "", invalid("Unsupported Type tag value %q", typ)
	}
	if _, ok := item.Tags.Get("Data-Protocol"); !ok {
		if _, ok := item.Tags.Get("data-protocol"); !ok {
			return "", invalid("Data-Protocol tag not present")
		}
	}
	for _, t := range item.Tags {
		if strings.HasSuffix(t.Name, "+link") || strings.HasSuffix(t.Value, "+link") {
			return "", invalid("tag %q: +link tags are not supported", t.Name)
		}
	}
	if typ == "Process" {
		if _, ok := item.Tags.Get("Module"); !ok {
			return "", invalid("Process is missing the Module tag")
		}
		sched, ok := item.Tags.Get("Scheduler")
		if !ok {
			return "", invalid("Process is missing the Scheduler tag")
		}
		// Better than the reference, which takes any value: a process
		// that names another scheduler would be routed there by MUs and
		// CUs, and its log here would be ignored.
		if sched != s.address {
			return "", invalid("Process names scheduler %s; this scheduler is %s", sched, s.address)
		}
		return typ, nil
	}
	if item.TargetID() == "" {
		return "", invalid("Message has no target process")
	}
	return typ, nil
}

// Process returns a scheduled process (ErrUnknownProcess if none).
func (s *Scheduler) Process(ctx context.Context, pid string) (*Process, error) {
	return s.cfg.Log.Process(ctx, pid)
}

// Find returns the entry of process pid (any process when "") holding id
// as its message or assignment.
func (s *Scheduler) Find(ctx context.Context, pid, id string) (*Entry, error) {
	return s.cfg.Log.Find(ctx, pid, id)
}

// Entries returns a page of a process's log.
func (s *Scheduler) Entries(ctx context.Context, pid string, r Range) ([]*Entry, bool, error) {
	if _, err := s.cfg.Log.Process(ctx, pid); err != nil {
		return nil, false, err
	}
	return s.cfg.Log.Entries(ctx, pid, r)
}

// Latest returns the newest entry of a process.
func (s *Scheduler) Latest(ctx context.Context, pid string) (*Entry, error) {
	if _, err := s.cfg.Log.Process(ctx, pid); err != nil {
		return nil, err
	}
	return s.cfg.Log.Last(ctx, pid)
}

// Seal returns the time up to which the log is complete and final (every
// assignment stamped at or below it is durable, and no later one will be
// stamped at or below it) and the current block height.
func (s *Scheduler) Seal(ctx context.Context) (timestamp, height int64, err error) {
	t, err := s.clock.seal(ctx)
	if err != nil {
		return 0, 0, err
	}
	return t, s.heights.current(), nil
}

// heights caches the store's block height.
type heights struct {
	store arweave.Store
	h     atomic.Int64
}

func (h *heights) current() int64 { return h.h.Load() }

func (h *heights) refresh(ctx context.Context) error {
	info, err := h.store.Info(ctx)
	if err != nil {
		return fmt.Errorf("scheduler: block height: %w", err)
	}
	// Heights never go backwards for the scheduler, even if a store does.
	for {
		old := h.h.Load()
		if info.Height <= old || h.h.CompareAndSwap(old, info.Height) {
			return nil
		}
	}
}

func (h *heights) keepFresh(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := h.refresh(ctx); err != nil && ctx.Err() == nil {
				log.Warn("could not refresh the block height", "err", err)
			}
		}
	}
}
