// Package cu is the compute unit: one actor per process replays the
// process's schedule (its SU log) through the process's module in the vm,
// strictly in order, with the process's cron ticks interleaved, and keeps
// what that produces (results, checkpoints) as a cache of the log.
//
// Everything a CU holds can be recomputed from the log: a CU that crashes
// continues from its newest checkpoint, verifying nonce continuity and the
// hash chain of every entry it replays.
package cu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/internal/actorx"
	"github.com/aogo-dev/aogo/runtime/checkpoint"
	"github.com/aogo-dev/aogo/runtime/results"
	"github.com/aogo-dev/aogo/scheduler"
	"github.com/aogo-dev/aogo/vm"
	"github.com/asynkron/protoactor-go/actor"
)

// Source is where the CU reads schedules: the node's own scheduler
// (*scheduler.Scheduler, through Go calls), or a foreign SU's HTTP API.
type Source interface {
	Process(ctx context.Context, pid string) (*scheduler.Process, error)
	Entries(ctx context.Context, pid string, r scheduler.Range) ([]*scheduler.Entry, bool, error)
	Find(ctx context.Context, pid, id string) (*scheduler.Entry, error)
	// Seal is the SU's GET /timestamp: every assignment stamped at or
	// below it is in the log, and none will ever be stamped at or below it.
	Seal(ctx context.Context) (timestamp, height int64, err error)
}

// ProcessSealer is a Source whose processes live on several SUs: a
// process is evaluated up to its own SU's seal, which SealOf reads.
type ProcessSealer interface {
	SealOf(ctx context.Context, pid string) (timestamp, height int64, err error)
}

// sealOf is the seal process pid is evaluated up to.
func (u *Unit) sealOf(ctx context.Context, pid string) (int64, int64, error) {
	if s, ok := u.cfg.Source.(ProcessSealer); ok {
		return s.SealOf(ctx, pid)
	}
	return u.cfg.Source.Seal(ctx)
}

// Config configures New. Source, Store, Runtime, Results and Checkpoints
// are required.
type Config struct {
	Source      Source
	Store       arweave.Store // modules and assigned transactions
	Runtime     *vm.Runtime
	Results     *results.Store
	Checkpoints *checkpoint.Store
	// Signer is the CU's wallet; GET / reports its address.
	Signer arweave.Signer

	// System is the actor system the process actors live in. Default: the
	// CU makes its own (and shuts it down on Close).
	System *actor.ActorSystem
	Logger *slog.Logger
	// Idle passivates a process actor (checkpoint, then free its memory)
	// after this long without a request. Default 5 minutes.
	Idle time.Duration
	// CheckpointEvery writes a checkpoint after this many evaluations.
	// Default 1000.
	CheckpointEvery int
	// CheckpointInterval writes a checkpoint when the last one is older
	// than this (at the next evaluation). Default 1 minute.
	CheckpointInterval time.Duration
	// MaxMemory and MaxCompute cap the Memory-Limit and Compute-Limit a
	// process may have (0: the vm's defaults, 1 GiB and 9e12).
	MaxMemory, MaxCompute uint64
	// MaxConcurrent bounds the evaluations running at once; requests
	// beyond it wait (their context decides how long). Default
	// 2 x GOMAXPROCS.
	MaxConcurrent int
	// MaxLiveMemory bounds the sum of the Memory-Limits of the processes
	// held live (activated) at once. A process that does not fit waits
	// for others to passivate, as long as its request allows, then gets
	// ErrBusy (503): never an out-of-memory. Default 8 GiB (memory is
	// reserved, not touched: an instance costs what it writes).
	MaxLiveMemory uint64
	// KeepResults is how many of the newest results a process keeps; older
	// ones are pruned at each checkpoint. A pruned result asked for again
	// is recomputed from the log (on a separate instance, from the start).
	// Default 0: keep every result.
	KeepResults int
}

// Unit is a running CU. All methods are safe for concurrent use.
type Unit struct {
	cfg    Config
	log    *slog.Logger
	procs  *actorx.Manager
	system *actor.ActorSystem
	ownSys bool
	slots  chan struct{} // evaluation slots (back-pressure)
	live   *memoryBudget
	close  sync.Once
	stats  stats
}

// stats are the counters behind Stats.
type stats struct {
	evaluations, failed, errors atomic.Uint64
	live                        atomic.Int64
}

// Stats are a CU's counters (for metrics).
type Stats struct {
	// Evaluations counts the messages and cron ticks evaluated since New
	// (results recorded, failed ones included; replays after a restart
	// count again, dry-runs do not).
	Evaluations uint64
	// Failed counts the evaluations whose result is an error (the
	// process's handler failed, or ran out of gas or memory): the
	// message is recorded as failed, the state rolled back.
	Failed uint64
	// Errors counts evaluations the vm could not complete (an
	// interrupted evaluation, an unavailable WeaveDrive read, a failed
	// rollback): nothing was recorded and the request that asked for it
	// failed.
	Errors uint64
	// LiveProcesses is the number of process instances held in memory
	// now (recomputations of pruned results included).
	LiveProcesses int64
	// LiveMemory is the sum of their Memory-Limits (as Status).
	LiveMemory uint64
}

// Stats returns the CU's counters; cheap and safe for concurrent use.
func (u *Unit) Stats() Stats {
	return Stats{
		Evaluations:   u.stats.evaluations.Load(),
		Failed:        u.stats.failed.Load(),
		Errors:        u.stats.errors.Load(),
		LiveProcesses: u.stats.live.Load(),
		LiveMemory:    u.live.used(),
	}
}

// New starts a CU.
func New(cfg Config) (*Unit, error) {
	switch {
	case cfg.Source == nil:
		return nil, errors.New("cu: Config.Source is required")
	case cfg.Store == nil:
		return nil, errors.New("cu: Config.Store is required")
	case cfg.Runtime == nil:
		return nil, errors.New("cu: Config.Runtime is required")
	case cfg.Results == nil:
		return nil, errors.New("cu: Config.Results is required")
	case cfg.Checkpoints == nil:
		return nil, errors.New("cu: Config.Checkpoints is required")
	}
	if cfg.Idle <= 0 {
		cfg.Idle = 5 * time.Minute
	}
	if cfg.CheckpointEvery <= 0 {
		cfg.CheckpointEvery = 1000
	}
	if cfg.CheckpointInterval <= 0 {
		cfg.CheckpointInterval = time.Minute
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 2 * runtime.GOMAXPROCS(0)
	}
	if cfg.MaxLiveMemory == 0 {
		cfg.MaxLiveMemory = 8 << 30
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	u := &Unit{
		cfg:    cfg,
		log:    logger.With("unit", "cu"),
		system: cfg.System,
		slots:  make(chan struct{}, cfg.MaxConcurrent),
		live:   newMemoryBudget(cfg.MaxLiveMemory),
	}
	if u.system == nil {
		u.system = actorx.NewSystem(logger)
		u.ownSys = true
	}
	u.procs = actorx.NewManager(u.system, actorx.ManagerConfig{
		Name:    "processes",
		Produce: func(pid string) actor.Actor { return &proc{u: u, pid: pid} },
		Idle:    cfg.Idle,
		Logger:  u.log,
	})
	return u, nil
}

// Close passivates every process (each writes a checkpoint) and stops.
// It does not close the stores or the vm runtime.
func (u *Unit) Close() error {
	u.close.Do(func() {
		u.procs.Stop()
		if u.ownSys {
			u.system.Shutdown()
		}
	})
	return nil
}

// Address is the CU wallet's address ("" without a wallet).
func (u *Unit) Address() string {
	if u.cfg.Signer == nil {
		return ""
	}
	return arweave.SignerAddress(u.cfg.Signer)
}

// Errors of the CU; match them with errors.Is.
var (
	// ErrNotFound: no such process, or no such message in its schedule.
	ErrNotFound = errors.New("not found")
	// ErrModule: the process's module cannot run here (unsupported
	// format or extension, missing encodings); ErrLimit (vm.ErrLimit)
	// is separate: limits missing or above this CU's maximum.
	ErrModule = errors.New("module not supported")
	// ErrHashChain: an entry of the schedule does not continue the hash
	// chain (or the nonces); the process cannot be evaluated past it.
	ErrHashChain = errors.New("HashChain invalid")
	// ErrBusy: the CU is at its evaluation limit; retry later.
	ErrBusy = errors.New("compute unit busy")
)

// ask sends a request to a process actor and waits for its answer.
func (u *Unit) ask(ctx context.Context, pid string, req *request) (*answer, error) {
	req.reply = make(chan answer, 1)
	u.procs.Send(pid, req)
	select {
	case a := <-req.reply:
		if a.err != nil {
			return nil, a.err
		}
		return &a, nil
	case <-ctx.Done():
		// Not answered in time: the process is busy (its evaluation goes
		// on, and its results are kept for the next request).
		return nil, fmt.Errorf("cu: %s: %w: %w", pid, ErrBusy, ctx.Err())
	}
}

// acquire takes an evaluation slot, waiting as long as ctx allows.
func (u *Unit) acquire(ctx context.Context) (func(), error) {
	select {
	case u.slots <- struct{}{}:
		return func() { <-u.slots }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("cu: %w: %w", ErrBusy, ctx.Err())
	}
}

// Result evaluates process pid up to and including the message (or
// assignment, or the process itself) with this id and returns its result.
func (u *Unit) Result(ctx context.Context, pid, id string) (*results.Record, error) {
	if r, err := u.cfg.Results.ByMessage(ctx, pid, id); err == nil {
		return r, nil
	}
	a, err := u.ask(ctx, pid, &request{kind: toMessage, id: id, ctx: ctx})
	if err != nil {
		return nil, err
	}
	return a.record, nil
}

// Advance evaluates process pid up to the SU's seal (scheduled messages and
// cron ticks) and returns the results it evaluated in this call, in order.
// The messenger's monitor calls it to wake monitored processes on schedule.
func (u *Unit) Advance(ctx context.Context, pid string) ([]results.Record, error) {
	a, err := u.ask(ctx, pid, &request{kind: toSeal, ctx: ctx})
	if err != nil {
		return nil, err
	}
	return a.evaluated, nil
}

// DryRun evaluates msg (the dry-run body, protocol.md 6.7) against the
// process's latest state without changing it.
func (u *Unit) DryRun(ctx context.Context, pid string, msg DryRunMessage) ([]byte, error) {
	a, err := u.ask(ctx, pid, &request{kind: dryRun, dry: &msg, ctx: ctx})
	if err != nil {
		return nil, err
	}
	return a.output, nil
}

// State evaluates the process to the SU's seal and returns its state.
func (u *Unit) State(ctx context.Context, pid string) (*vm.State, Position, error) {
	a, err := u.ask(ctx, pid, &request{kind: getState, ctx: ctx})
	if err != nil {
		return nil, Position{}, err
	}
	return a.state, a.pos, nil
}

// Results returns stored results of a process (no evaluation), as
// GET /results and GET /cron read them.
func (u *Unit) Results(ctx context.Context, pid string, q results.Query) ([]results.Record, bool, error) {
	return u.cfg.Results.Page(ctx, pid, q)
}

// LiveMemory is the sum of the Memory-Limits of the live processes.
func (u *Unit) LiveMemory() uint64 { return u.live.used() }

// memoryBudget is a counting semaphore over bytes.
type memoryBudget struct {
	mu    sync.Mutex
	max   uint64
	inUse uint64
	freed chan struct{} // closed and replaced whenever memory is released
}

func newMemoryBudget(max uint64) *memoryBudget {
	return &memoryBudget{max: max, freed: make(chan struct{})}
}

// acquire reserves n bytes, waiting while ctx allows.
func (b *memoryBudget) acquire(ctx context.Context, n uint64) error {
	for {
		b.mu.Lock()
		if b.inUse+n <= b.max {
			b.inUse += n
			b.mu.Unlock()
			return nil
		}
		if n > b.max {
			b.mu.Unlock()
			return fmt.Errorf("cu: %w: a Memory-Limit of %d bytes is above the live memory budget of %d", ErrBusy, n, b.max)
		}
		freed := b.freed
		b.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return fmt.Errorf("cu: %w: live memory budget of %d bytes in use: %w", ErrBusy, b.max, ctx.Err())
		}
	}
}

func (b *memoryBudget) release(n uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inUse -= n
	close(b.freed)
	b.freed = make(chan struct{})
}

func (b *memoryBudget) used() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.inUse
}

// Status is what a CU reports about its resources.
type Status struct {
	LiveMemory       uint64 `json:"live_memory"`       // Memory-Limits of the live processes
	ResultsBytes     int64  `json:"results_bytes"`     // disk used by stored results
	CheckpointsBytes int64  `json:"checkpoints_bytes"` // disk used by checkpoints
}

// Status reports the CU's memory and disk use.
func (u *Unit) Status() Status {
	st := Status{LiveMemory: u.live.used()}
	if n, err := u.cfg.Results.DiskUsage(); err == nil {
		st.ResultsBytes = n
	}
	if n, err := u.cfg.Checkpoints.DiskUsage(); err == nil {
		st.CheckpointsBytes = n
	}
	return st
}
