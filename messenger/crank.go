package messenger

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/internal/pebbleslog"
	"github.com/aogo-dev/aogo/runtime/results"
	"github.com/aogo-dev/aogo/scheduler"
	"github.com/cockroachdb/pebble"
)

// Computer is what the cranker needs of a CU: a message's result.
type Computer interface {
	Result(ctx context.Context, pid, id string) (*results.Record, error)
}

// Pusher is what the cranker needs of an SU: schedule an item it signed,
// assign a transaction, read a process.
type Pusher interface {
	Scheduler
	Process(ctx context.Context, pid string) (*scheduler.Process, error)
	// Find returns the entry of message (or assigned transaction) id in
	// pid's log.
	Find(ctx context.Context, pid, id string) (*scheduler.Entry, error)
	Address() string
}

// CronSource is what monitors need of a CU: evaluate a process up to the
// SU's seal (its cron ticks included), and read its stored results.
type CronSource interface {
	Advance(ctx context.Context, pid string) ([]results.Record, error)
	Results(ctx context.Context, pid string, q results.Query) ([]results.Record, bool, error)
}

// CrankerConfig configures NewCranker. Dir, Computer, SU and Signer are
// required.
type CrankerConfig struct {
	Dir      string // the crank queue (pebble)
	Computer Computer
	SU       Pusher
	Signer   arweave.Signer // the MU wallet: it signs every pushed item
	// Store receives messages to targets that are not processes (a
	// wallet): they are stored, as the reference MU uploads them, and not
	// cranked. Nil drops them (logged).
	Store arweave.Store
	// Cron, if set, lets processes be monitored (monitor.go): usually the
	// same CU as Computer.
	Cron CronSource
	// MaxAttempts is how often a job that fails with a transient error is
	// tried before it becomes a dead letter. Default 12 (with the backoff,
	// about three minutes).
	MaxAttempts int
	Logger      *slog.Logger
}

// Cranker delivers the outboxes of evaluated messages (protocol.md 5.4-5.6):
// Messages are signed by the MU wallet with From-Process, From-Module and
// Pushed-For and scheduled on their target; Spawns become processes plus a
// Spawned notice to the spawner; Assignments are scheduled. Every pushed
// message is cranked in turn.
//
// It is durable and idempotent. A job ("crank message M of process P") is
// stored before Crank returns; each signed item is stored before its first
// push, so a retry after a crash pushes the same bytes, which the SU
// recognises as a duplicate (RSA-PSS signatures are randomised: never
// re-sign); a message is cranked at most once (a done marker per message).
//
// Jobs run in lanes: a process's jobs always take the same lane, in order,
// so its outbox entries reach their targets in the order it sent them,
// while the jobs of other processes (and their evaluations) run in the
// other lanes. A job that keeps failing becomes a dead letter, which an
// operator can list and replay (DeadLetters, Replay).
type Cranker struct {
	cfg   CrankerConfig
	db    *pebble.DB
	log   *slog.Logger
	wake  [lanes]chan struct{}
	mu    sync.Mutex    // read-modify-writes of monitors and dead letters
	seq   atomic.Uint64 // the newest job's (or dead letter's) number
	dead  atomic.Int64  // dead letters
	jobs  atomic.Int64  // queued jobs
	mon   monitors
	start sync.Once
}

// lanes is the number of crank workers. It is part of the queue's key
// layout: changing it moves processes between lanes, which is safe only on
// an empty queue.
const lanes = 8

// Key prefixes of the crank queue.
const (
	kJob     = 'J' // J lane seq -> job JSON
	kOldJob  = 'j' // j seq -> job JSON: the layout before lanes, moved into lanes at open
	kDone    = 'd' // d message id -> (empty): cranked, or queued
	kItem    = 'i' // i message id / slot -> signed item bytes
	kFailed  = 'f' // f seq -> dead letter JSON
	kMonitor = 'm' // m pid -> monitor JSON
)

type job struct {
	Process   string `json:"process"`
	Message   string `json:"message"`
	PushedFor string `json:"pushed_for,omitempty"`
	// Result, for a cron tick's job, is the tick's result: ticks have no
	// message id to ask the CU for.
	Result   json.RawMessage `json:"result,omitempty"`
	Attempts int             `json:"attempts,omitempty"`
}

// DeadLetter is a crank job that failed for good (or too often).
type DeadLetter struct {
	Seq       uint64 `json:"seq"`
	Process   string `json:"process"`
	Message   string `json:"message"`
	PushedFor string `json:"pushed_for,omitempty"`
	Error     string `json:"error"`
	Attempts  int    `json:"attempts"`
	// Cron marks the job of a cron tick (Message is then a name, not an
	// id).
	Cron bool `json:"cron,omitempty"`
	job  job  // what Replay queues again
}

// NewCranker opens the queue in cfg.Dir.
func NewCranker(cfg CrankerConfig) (*Cranker, error) {
	if cfg.Dir == "" || cfg.Computer == nil || cfg.SU == nil || cfg.Signer == nil {
		return nil, errors.New("messenger: CrankerConfig needs Dir, Computer, SU and Signer")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 12
	}
	opts := &pebble.Options{
		// Pinned so that a pebble upgrade never ratchets the disk format.
		FormatMajorVersion: pebble.FormatPrePebblev1MarkedCompacted,
	}
	pebbleslog.Options(opts, cfg.Logger.With("component", "messenger/crank"), "messenger")
	db, err := pebble.Open(cfg.Dir, opts)
	if err != nil {
		return nil, fmt.Errorf("messenger: crank queue: %w", err)
	}
	c := &Cranker{cfg: cfg, db: db, log: cfg.Logger.With("unit", "mu")}
	for i := range c.wake {
		c.wake[i] = make(chan struct{}, 1)
	}
	if err := c.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("messenger: crank queue: %w", err)
	}
	return c, nil
}

// load finds the newest sequence number, counts the dead letters, moves
// jobs of the old layout into lanes and reads the monitors.
func (c *Cranker) load() error {
	err := c.scan([]byte{kJob}, func(k, _ []byte) error {
		c.seq.Store(max(c.seq.Load(), binary.BigEndian.Uint64(k[2:])))
		c.jobs.Add(1)
		return nil
	})
	if err != nil {
		return err
	}
	err = c.scan([]byte{kFailed}, func(k, _ []byte) error {
		c.seq.Store(max(c.seq.Load(), binary.BigEndian.Uint64(k[1:])))
		c.dead.Add(1)
		return nil
	})
	if err != nil {
		return err
	}
	b := c.db.NewBatch()
	err = c.scan([]byte{kOldJob}, func(k, v []byte) error {
		var j job
		if err := json.Unmarshal(v, &j); err != nil {
			return err
		}
		b.Set(c.jobKey(j.Process, c.seq.Add(1)), v, nil)
		b.Delete(k, nil)
		c.jobs.Add(1)
		return nil
	})
	if err != nil {
		return err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return err
	}
	return c.loadMonitors()
}

// scan calls fn with each key and value under prefix, in order.
func (c *Cranker) scan(prefix []byte, fn func(k, v []byte) error) error {
	it, err := c.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: upper(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			return err
		}
	}
	return it.Error()
}

// upper is the smallest key after every key with prefix p.
func upper(p []byte) []byte {
	u := append([]byte(nil), p...)
	for i := len(u) - 1; i >= 0; i-- {
		if u[i] < 0xff {
			u[i]++
			return u[:i+1]
		}
	}
	return nil
}

// Close closes the queue (stop Run first).
func (c *Cranker) Close() error { return c.db.Close() }

func laneOf(pid string) byte {
	h := fnv.New32a()
	h.Write([]byte(pid))
	return byte(h.Sum32() % lanes)
}

func (c *Cranker) jobKey(pid string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{kJob, laneOf(pid)}, seq)
}

func (c *Cranker) signal(lane byte) {
	select {
	case c.wake[lane] <- struct{}{}:
	default:
	}
}

// Crank queues message id of process pid for cranking (durably), unless it
// was queued before.
//
// It takes no lock: concurrent calls share pebble's group commit. (Two
// calls for one id could both queue it; the SU takes a message once, so
// that cannot happen from the MU's POST, and a second job would only push
// duplicates the SU refuses.)
func (c *Cranker) Crank(pid, id, pushedFor string) error {
	done := append([]byte{kDone}, id...)
	if _, closer, err := c.db.Get(done); err == nil {
		closer.Close()
		return nil
	}
	b, _ := json.Marshal(job{Process: pid, Message: id, PushedFor: pushedFor})
	batch := c.db.NewBatch()
	batch.Set(c.jobKey(pid, c.seq.Add(1)), b, nil)
	batch.Set(done, nil, nil)
	if err := batch.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("messenger: queue crank of %s: %w", id, err)
	}
	c.jobs.Add(1)
	c.signal(laneOf(pid))
	return nil
}

// Pending is the number of queued jobs.
func (c *Cranker) Pending() int { return int(c.jobs.Load()) }

// Run cranks queued jobs until ctx is done, one worker per lane, and
// advances monitored processes. A job that fails is retried with backoff;
// one that cannot succeed (its target is not a process), or fails
// MaxAttempts times, becomes a dead letter.
func (c *Cranker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for lane := range byte(lanes) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.work(ctx, lane)
		}()
	}
	if c.cfg.Cron != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.runMonitors(ctx)
		}()
	}
	wg.Wait()
	return nil
}

// work cranks one lane's jobs in order.
func (c *Cranker) work(ctx context.Context, lane byte) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		key, j, ok := c.next(lane)
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-c.wake[lane]:
			case <-time.After(time.Second):
			}
			continue
		}
		next, err := c.crank(ctx, j)
		switch {
		case err == nil:
			backoff = 100 * time.Millisecond
			c.finish(key, j, next, nil)
		case ctx.Err() != nil:
			return
		case errors.Is(err, errPermanent):
			c.log.Warn("crank failed for good; dead letter", "message", j.Message, "err", err)
			c.finish(key, j, nil, err)
		case j.Attempts+1 >= c.cfg.MaxAttempts:
			c.log.Warn("crank failed too often; dead letter", "message", j.Message, "attempts", j.Attempts+1, "err", err)
			j.Attempts++
			c.finish(key, j, nil, err)
		default:
			j.Attempts++
			v, _ := json.Marshal(j)
			if err := c.db.Set(key, v, pebble.NoSync); err != nil {
				c.log.Error("crank queue write failed", "err", err)
			}
			c.log.Warn("crank failed; retrying", "message", j.Message, "err", err, "in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 30*time.Second)
		}
	}
}

var errPermanent = errors.New("permanent")

func (c *Cranker) next(lane byte) ([]byte, job, bool) {
	prefix := []byte{kJob, lane}
	it, err := c.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: upper(prefix)})
	if err != nil {
		return nil, job{}, false
	}
	defer it.Close()
	if !it.First() {
		return nil, job{}, false
	}
	var j job
	if err := json.Unmarshal(it.Value(), &j); err != nil {
		c.log.Error("unreadable crank job", "key", it.Key(), "err", err)
		return nil, job{}, false
	}
	return append([]byte(nil), it.Key()...), j, true
}

// finish removes a job; a failed one is kept as a dead letter, with the
// items it signed (a replay pushes the same bytes), a done one without,
// and the jobs it calls for queued in the same batch. (Until then a crash
// runs the job again: its pushes are recognised as duplicates and the
// follow-up jobs are found again.)
func (c *Cranker) finish(key []byte, j job, next []follow, failure error) {
	b := c.db.NewBatch()
	b.Delete(key, nil)
	wake := map[byte]bool{}
	queued := int64(0)
	for _, f := range next {
		done := append([]byte{kDone}, f.message...)
		if _, closer, err := c.db.Get(done); err == nil {
			closer.Close()
			continue
		}
		v, _ := json.Marshal(job{Process: f.process, Message: f.message, PushedFor: f.pushedFor})
		b.Set(c.jobKey(f.process, c.seq.Add(1)), v, nil)
		b.Set(done, nil, nil)
		wake[laneOf(f.process)] = true
		queued++
	}
	if failure != nil {
		v, _ := json.Marshal(struct {
			DeadLetter
			Result json.RawMessage `json:"result,omitempty"`
		}{DeadLetter{Process: j.Process, Message: j.Message, PushedFor: j.PushedFor,
			Error: failure.Error(), Attempts: max(j.Attempts, 1), Cron: j.Result != nil}, j.Result})
		b.Set(append([]byte{kFailed}, key[2:]...), v, nil)
	} else {
		prefix := append(append([]byte{kItem}, j.Message...), '/')
		b.DeleteRange(prefix, upper(prefix), nil)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		c.log.Error("crank queue write failed", "err", err)
		return
	}
	c.jobs.Add(queued - 1)
	if failure != nil {
		c.dead.Add(1)
	}
	for lane := range wake {
		c.signal(lane)
	}
}

// outbox is the part of a result the cranker reads.
type outbox struct {
	Messages []struct {
		Target *string          `json:"Target"`
		Anchor *string          `json:"Anchor"`
		Data   json.RawMessage  `json:"Data"`
		Tags   []map[string]any `json:"Tags"`
	} `json:"Messages"`
	Spawns []struct {
		Anchor *string          `json:"Anchor"`
		Data   json.RawMessage  `json:"Data"`
		Tags   []map[string]any `json:"Tags"`
	} `json:"Spawns"`
	Assignments []struct {
		Processes []string `json:"Processes"`
		Message   string   `json:"Message"`
		BaseLayer bool     `json:"BaseLayer"`
		Exclude   []string `json:"Exclude"`
	} `json:"Assignments"`
}

// delivery is one thing an outbox asks for, in the order it is done: an
// item the MU signed (a message, a spawned process, a Spawned notice), or
// an assignment.
type delivery struct {
	slot    string // the item's name among the job's items
	opts    arweave.ItemOptions
	process bool // a spawned Process item: scheduled, not cranked
	item    *arweave.DataItem
	assign  *scheduler.AssignRequest
}

// follow is a crank job that a delivery calls for: the pushed message's
// (or assignment's) own outbox.
type follow struct{ process, message, pushedFor string }

// crank delivers one job's outbox and returns the jobs to queue next.
func (c *Cranker) crank(ctx context.Context, j job) ([]follow, error) {
	result := []byte(j.Result)
	if result == nil {
		rec, err := c.cfg.Computer.Result(ctx, j.Process, j.Message)
		if err != nil {
			return nil, fmt.Errorf("result of %s: %w", j.Message, err)
		}
		result = rec.Result
	}
	var out outbox
	if err := json.Unmarshal(result, &out); err != nil {
		return nil, fmt.Errorf("%w: result of %s: %v", errPermanent, j.Message, err)
	}
	if len(out.Messages)+len(out.Spawns)+len(out.Assignments) == 0 {
		return nil, nil
	}
	proc, err := c.cfg.SU.Process(ctx, j.Process)
	if err != nil {
		return nil, c.classify(fmt.Errorf("process %s: %w", j.Process, err))
	}
	// Pushed-For names the user message at the start of the chain; a cron
	// tick's outbox has none (as the reference's).
	pushedFor := j.PushedFor
	if pushedFor == "" && j.Result == nil {
		pushedFor = j.Message
	}
	plan, err := c.plan(j, out, proc.Item.Tags.Value("Module"), pushedFor)
	if err != nil {
		return nil, err
	}
	var next []follow
	for _, d := range plan {
		switch {
		case d.assign != nil:
			res, err := c.cfg.SU.Assign(ctx, *d.assign)
			if errors.Is(err, scheduler.ErrDuplicate) {
				if !c.cranks(ctx, nil, d.assign.Process) {
					continue
				}
				// Assigned before a crash: crank the assignment it made.
				e, ferr := c.cfg.SU.Find(ctx, d.assign.Process, d.assign.Transaction)
				if ferr != nil {
					return nil, fmt.Errorf("assign %s to %s: find the assignment: %w", d.assign.Transaction, d.assign.Process, ferr)
				}
				next = append(next, follow{d.assign.Process, e.Assignment.ID(), pushedFor})
				continue
			}
			if err != nil {
				return nil, c.classify(fmt.Errorf("assign %s to %s: %w", d.assign.Transaction, d.assign.Process, err))
			}
			if c.cranks(ctx, res, d.assign.Process) {
				next = append(next, follow{d.assign.Process, res.ID, pushedFor})
			}
		case d.process:
			if _, err := c.cfg.SU.Schedule(ctx, d.item); err != nil && !errors.Is(err, scheduler.ErrDuplicate) {
				return nil, c.classify(fmt.Errorf("spawn: %w", err))
			}
		default:
			pushed, err := c.push(ctx, d.item)
			if err != nil {
				return nil, err
			}
			if pushed {
				next = append(next, follow{d.item.TargetID(), d.item.ID(), pushedFor})
			}
		}
	}
	return next, nil
}

// plan turns an outbox into deliveries (protocol.md 5.4-5.6), with every
// item signed and stored (synced, in one batch) before the first push.
func (c *Cranker) plan(j job, out outbox, module, pushedFor string) ([]delivery, error) {
	var plan []delivery
	for i, m := range out.Messages {
		tags, ok := stringTags(m.Tags)
		if !ok || m.Tags == nil || m.Target == nil || m.Anchor == nil {
			continue // the reference MU skips these too (protocol.md 5.3)
		}
		tags = append(without(tags, "Data-Protocol", "Type", "From-Process", "From-Module", "Assignments"),
			arweave.Tag{Name: "Data-Protocol", Value: "ao"}, arweave.Tag{Name: "Type", Value: "Message"},
			arweave.Tag{Name: "From-Process", Value: j.Process}, arweave.Tag{Name: "From-Module", Value: module})
		if pushedFor != "" {
			tags = append(tags, arweave.Tag{Name: "Pushed-For", Value: pushedFor})
		}
		plan = append(plan, delivery{slot: fmt.Sprintf("m%d", i),
			opts: arweave.ItemOptions{Target: *m.Target, Anchor: *m.Anchor, Tags: tags, Data: dataOf(m.Data)}})
	}
	for i, s := range out.Spawns {
		tags, ok := stringTags(s.Tags)
		if !ok || s.Tags == nil || s.Anchor == nil {
			continue
		}
		// The reference MU keeps the spawn's Variant and appends another
		// (two Variant tags); aogo moves it to the end instead.
		variant := "ao.TN.1"
		if v, ok := arweave.Tags(tags).Get("Variant"); ok && v == "ao.N.1" {
			variant = v
		}
		ptags := without(tags, "Data-Protocol", "Type", "Variant")
		for k := range ptags {
			if ptags[k].Name == "From-Module" {
				ptags[k].Value = module
			}
		}
		ptags = append(ptags, arweave.Tag{Name: "Variant", Value: variant},
			arweave.Tag{Name: "Data-Protocol", Value: "ao"}, arweave.Tag{Name: "Type", Value: "Process"},
			arweave.Tag{Name: "From-Process", Value: j.Process})
		if pushedFor != "" {
			ptags = append(ptags, arweave.Tag{Name: "Pushed-For", Value: pushedFor})
		}
		if _, ok := arweave.Tags(ptags).Get("Scheduler"); !ok {
			ptags = append(ptags, arweave.Tag{Name: "Scheduler", Value: c.cfg.SU.Address()})
		}
		plan = append(plan, delivery{slot: fmt.Sprintf("s%d", i), process: true,
			opts: arweave.ItemOptions{Tags: ptags, Data: dataOf(s.Data)}})
		// The notice names the child, so its tags wait for the child's id
		// (see sign).
		notice := append(without(tags, "Data-Protocol", "Variant", "Type"),
			arweave.Tag{Name: "Data-Protocol", Value: "ao"}, arweave.Tag{Name: "Type", Value: "Message"},
			arweave.Tag{Name: "Process", Value: ""}, arweave.Tag{Name: "Action", Value: "Spawned"},
			arweave.Tag{Name: "Variant", Value: variant})
		plan = append(plan, delivery{slot: fmt.Sprintf("s%d-spawned", i),
			opts: arweave.ItemOptions{Target: j.Process, Tags: notice, Data: []byte(" ")}})
	}
	for _, a := range out.Assignments {
		for _, pid := range a.Processes {
			plan = append(plan, delivery{assign: &scheduler.AssignRequest{Process: pid, Transaction: a.Message,
				BaseLayer: a.BaseLayer, Exclude: a.Exclude}})
		}
	}
	return plan, c.sign(j.Message, plan)
}

// sign sets each delivery's item: the one stored for (message, slot), or a
// newly signed one; the new ones are stored in one synced batch, so a
// retry pushes the same bytes.
func (c *Cranker) sign(msg string, plan []delivery) error {
	batch := c.db.NewBatch()
	defer batch.Close()
	child := ""
	for k := range plan {
		d := &plan[k]
		if d.assign != nil {
			continue
		}
		if d.process {
			child = ""
		} else if strings.HasSuffix(d.slot, "-spawned") {
			for t := range d.opts.Tags {
				if d.opts.Tags[t].Name == "Process" && d.opts.Tags[t].Value == "" {
					d.opts.Tags[t].Value = child
				}
			}
		}
		key := append(append(append([]byte{kItem}, msg...), '/'), d.slot...)
		if v, closer, err := c.db.Get(key); err == nil {
			d.item, err = arweave.ParseDataItem(append([]byte(nil), v...))
			closer.Close()
			if err != nil {
				return fmt.Errorf("stored item %s: %w", key, err)
			}
		} else {
			if len(d.opts.Data) == 0 {
				d.opts.Data = []byte(" ") // as the reference MU: data " " when empty
			}
			if d.item, err = arweave.SignDataItem(c.cfg.Signer, d.opts); err != nil {
				return fmt.Errorf("%w: sign: %v", errPermanent, err)
			}
			batch.Set(key, d.item.Bytes(), nil)
		}
		if d.process {
			child = d.item.ID()
		}
	}
	if batch.Empty() {
		return nil
	}
	return batch.Commit(pebble.Sync)
}

// push schedules a message on its target's SU. It reports whether the
// message is to be cranked here: not for a target that is not a process
// (a wallet: the message is stored then, as the reference MU uploads it),
// nor for a process of another scheduler (see Router).
func (c *Cranker) push(ctx context.Context, item *arweave.DataItem) (bool, error) {
	res, err := c.cfg.SU.Schedule(ctx, item)
	switch {
	case err == nil:
		return c.cranks(ctx, res, item.TargetID()), nil
	case errors.Is(err, scheduler.ErrDuplicate):
		return c.cranks(ctx, nil, item.TargetID()), nil
	case errors.Is(err, scheduler.ErrUnknownProcess):
		if c.cfg.Store == nil {
			c.log.Info("dropping a message to a target that is not a process", "target", item.TargetID())
			return false, nil
		}
		if err := c.cfg.Store.PutItems(ctx, item); err != nil {
			return false, fmt.Errorf("store message to %s: %w", item.TargetID(), err)
		}
		return false, nil
	default:
		return false, c.classify(fmt.Errorf("push to %s: %w", item.TargetID(), err))
	}
}

// cranks reports whether messages scheduled on process pid are cranked
// here: those of the SU the cranker works with (res has the entry when it
// scheduled them), not another scheduler's (see Router), which the CU
// cannot compute.
func (c *Cranker) cranks(ctx context.Context, res *scheduler.Scheduled, pid string) bool {
	if res != nil && res.Entry != nil {
		return true
	}
	_, err := c.cfg.SU.Process(ctx, pid)
	return err == nil
}

// classify marks errors no retry can fix.
func (c *Cranker) classify(err error) error {
	if errors.Is(err, scheduler.ErrUnknownProcess) || errors.Is(err, scheduler.ErrInvalid) {
		return fmt.Errorf("%w: %w", errPermanent, err)
	}
	return err
}

func stringTags(raw []map[string]any) ([]arweave.Tag, bool) {
	out := make([]arweave.Tag, 0, len(raw))
	for _, t := range raw {
		n, ok1 := t["name"].(string)
		v, ok2 := t["value"].(string)
		if !ok1 || !ok2 {
			return nil, false
		}
		out = append(out, arweave.Tag{Name: n, Value: v})
	}
	return out, true
}

func without(tags []arweave.Tag, names ...string) []arweave.Tag {
	out := make([]arweave.Tag, 0, len(tags))
outer:
	for _, t := range tags {
		for _, n := range names {
			if t.Name == n {
				continue outer
			}
		}
		out = append(out, t)
	}
	return out
}

func dataOf(raw json.RawMessage) []byte {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []byte(s)
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}
