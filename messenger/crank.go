package messenger

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aogo-dev/aogo/arweave"
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
	Address() string
}

// CrankerConfig configures NewCranker. All but Logger are required.
type CrankerConfig struct {
	Dir      string // the crank queue (pebble)
	Computer Computer
	SU       Pusher
	Signer   arweave.Signer // the MU wallet: it signs every pushed item
	// Store receives messages to targets that are not processes (a
	// wallet): they are stored, as the reference MU uploads them, and not
	// cranked. Nil drops them (logged).
	Store  arweave.Store
	Logger *slog.Logger
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
type Cranker struct {
	cfg  CrankerConfig
	db   *pebble.DB
	log  *slog.Logger
	wake chan struct{}
	mu   sync.Mutex
	seq  uint64
}

// Key prefixes of the crank queue.
const (
	kJob    = 'j' // j seq -> job JSON
	kDone   = 'd' // d message id -> (empty): cranked, or queued
	kItem   = 'i' // i message id / index -> signed item bytes
	kFailed = 'f' // f seq -> job JSON + error (dead letters)
)

type job struct {
	Process   string `json:"process"`
	Message   string `json:"message"`
	PushedFor string `json:"pushed_for,omitempty"`
}

// NewCranker opens the queue in cfg.Dir.
func NewCranker(cfg CrankerConfig) (*Cranker, error) {
	if cfg.Dir == "" || cfg.Computer == nil || cfg.SU == nil || cfg.Signer == nil {
		return nil, errors.New("messenger: CrankerConfig needs Dir, Computer, SU and Signer")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	db, err := pebble.Open(cfg.Dir, &pebble.Options{})
	if err != nil {
		return nil, fmt.Errorf("messenger: crank queue: %w", err)
	}
	c := &Cranker{cfg: cfg, db: db, log: cfg.Logger.With("unit", "mu"), wake: make(chan struct{}, 1)}
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: []byte{kJob}, UpperBound: []byte{kJob + 1}})
	if err != nil {
		db.Close()
		return nil, err
	}
	if it.Last() {
		c.seq = binary.BigEndian.Uint64(it.Key()[1:])
	}
	it.Close()
	return c, nil
}

// Close closes the queue (stop Run first).
func (c *Cranker) Close() error { return c.db.Close() }

// Crank queues message id of process pid for cranking (durably), unless it
// was queued before.
func (c *Cranker) Crank(pid, id, pushedFor string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	done := append([]byte{kDone}, id...)
	if _, closer, err := c.db.Get(done); err == nil {
		closer.Close()
		return nil
	}
	b, _ := json.Marshal(job{Process: pid, Message: id, PushedFor: pushedFor})
	c.seq++
	batch := c.db.NewBatch()
	batch.Set(binary.BigEndian.AppendUint64([]byte{kJob}, c.seq), b, nil)
	batch.Set(done, nil, nil)
	if err := batch.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("messenger: queue crank of %s: %w", id, err)
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

// Pending is the number of queued jobs.
func (c *Cranker) Pending() int {
	it, err := c.db.NewIter(&pebble.IterOptions{LowerBound: []byte{kJob}, UpperBound: []byte{kJob + 1}})
	if err != nil {
		return 0
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	return n
}

// Run cranks queued jobs in order until ctx is done. A job that keeps
// failing is retried with backoff; one that cannot succeed (its target is
// not a process this node schedules) goes to the dead letters.
func (c *Cranker) Run(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	for {
		key, j, ok := c.next()
		if !ok {
			select {
			case <-ctx.Done():
				return nil
			case <-c.wake:
			case <-time.After(time.Second):
			}
			continue
		}
		err := c.crank(ctx, j)
		switch {
		case err == nil:
			backoff = 100 * time.Millisecond
			c.finish(key, j, nil)
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, errPermanent):
			c.log.Warn("crank failed for good; dead letter", "message", j.Message, "err", err)
			c.finish(key, j, err)
		default:
			c.log.Warn("crank failed; retrying", "message", j.Message, "err", err, "in", backoff)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 30*time.Second)
		}
	}
}

var errPermanent = errors.New("permanent")

func (c *Cranker) next() ([]byte, job, bool) {
	it, err := c.db.NewIter(&pebble.IterOptions{LowerBound: []byte{kJob}, UpperBound: []byte{kJob + 1}})
	if err != nil {
		return nil, job{}, false
	}
	defer it.Close()
	if !it.First() {
		return nil, job{}, false
	}
	var j job
	if err := json.Unmarshal(it.Value(), &j); err != nil {
		return nil, job{}, false
	}
	return append([]byte(nil), it.Key()...), j, true
}

// finish removes a job (and its stored items); a failed one is kept as a
// dead letter.
func (c *Cranker) finish(key []byte, j job, failure error) {
	b := c.db.NewBatch()
	b.Delete(key, nil)
	prefix := append(append([]byte{kItem}, j.Message...), '/')
	b.DeleteRange(prefix, append(append([]byte{kItem}, j.Message...), '/'+1), nil)
	if failure != nil {
		v, _ := json.Marshal(map[string]any{"job": j, "error": failure.Error()})
		b.Set(append([]byte{kFailed}, key[1:]...), v, nil)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		c.log.Error("crank queue write failed", "err", err)
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
	} `json:"Assignments"`
}

// crank delivers one message's outbox.
func (c *Cranker) crank(ctx context.Context, j job) error {
	rec, err := c.cfg.Computer.Result(ctx, j.Process, j.Message)
	if err != nil {
		return fmt.Errorf("result of %s: %w", j.Message, err)
	}
	var out outbox
	if err := json.Unmarshal(rec.Result, &out); err != nil {
		return fmt.Errorf("%w: result of %s: %v", errPermanent, j.Message, err)
	}
	if len(out.Messages)+len(out.Spawns)+len(out.Assignments) == 0 {
		return nil
	}
	proc, err := c.cfg.SU.Process(ctx, j.Process)
	if err != nil {
		return fmt.Errorf("process %s: %w", j.Process, err)
	}
	module := proc.Item.Tags.Value("Module")
	pushedFor := j.PushedFor
	if pushedFor == "" {
		pushedFor = j.Message
	}
	for i, m := range out.Messages {
		tags, ok := stringTags(m.Tags)
		if !ok || m.Target == nil || m.Anchor == nil {
			continue // the reference MU skips these too (protocol.md 5.3)
		}
		tags = append(without(tags, "Data-Protocol", "Type", "From-Process", "From-Module", "Assignments"),
			arweave.Tag{Name: "Data-Protocol", Value: "ao"}, arweave.Tag{Name: "Type", Value: "Message"},
			arweave.Tag{Name: "From-Process", Value: j.Process}, arweave.Tag{Name: "From-Module", Value: module},
			arweave.Tag{Name: "Pushed-For", Value: pushedFor})
		item, err := c.item(j.Message, fmt.Sprintf("m%d", i), arweave.ItemOptions{Target: *m.Target, Anchor: *m.Anchor, Tags: tags, Data: dataOf(m.Data)})
		if err != nil {
			return err
		}
		if err := c.push(ctx, item, pushedFor); err != nil {
			return err
		}
	}
	for i, s := range out.Spawns {
		tags, ok := stringTags(s.Tags)
		if !ok {
			continue
		}
		ptags := append(without(tags, "Data-Protocol", "Type", "From-Module"),
			arweave.Tag{Name: "Data-Protocol", Value: "ao"}, arweave.Tag{Name: "Type", Value: "Process"},
			arweave.Tag{Name: "From-Process", Value: j.Process}, arweave.Tag{Name: "From-Module", Value: module},
			arweave.Tag{Name: "Pushed-For", Value: pushedFor})
		if _, ok := arweave.Tags(ptags).Get("Scheduler"); !ok {
			ptags = append(ptags, arweave.Tag{Name: "Scheduler", Value: c.cfg.SU.Address()})
		}
		child, err := c.item(j.Message, fmt.Sprintf("s%d", i), arweave.ItemOptions{Tags: ptags, Data: dataOf(s.Data)})
		if err != nil {
			return err
		}
		if _, err := c.cfg.SU.Schedule(ctx, child); err != nil && !errors.Is(err, scheduler.ErrDuplicate) {
			return c.classify(fmt.Errorf("spawn: %w", err))
		}
		notice := append(without(tags, "Data-Protocol", "Variant", "Type"),
			arweave.Tag{Name: "Data-Protocol", Value: "ao"}, arweave.Tag{Name: "Type", Value: "Message"},
			arweave.Tag{Name: "Process", Value: child.ID()}, arweave.Tag{Name: "Action", Value: "Spawned"},
			arweave.Tag{Name: "Variant", Value: "ao.TN.1"})
		spawned, err := c.item(j.Message, fmt.Sprintf("s%d-spawned", i), arweave.ItemOptions{Target: j.Process, Tags: notice, Data: []byte(" ")})
		if err != nil {
			return err
		}
		if err := c.push(ctx, spawned, pushedFor); err != nil {
			return err
		}
	}
	for _, a := range out.Assignments {
		for _, pid := range a.Processes {
			res, err := c.cfg.SU.Assign(ctx, scheduler.AssignRequest{Process: pid, Transaction: a.Message})
			if errors.Is(err, scheduler.ErrDuplicate) {
				continue
			}
			if err != nil {
				return c.classify(fmt.Errorf("assign %s to %s: %w", a.Message, pid, err))
			}
			if err := c.Crank(pid, res.ID, pushedFor); err != nil {
				return err
			}
		}
	}
	return nil
}

// item returns the signed item stored for (message, slot), signing and
// storing it (synced) first if there is none: a retry pushes the same bytes.
func (c *Cranker) item(msg, slot string, opts arweave.ItemOptions) (*arweave.DataItem, error) {
	key := append(append(append([]byte{kItem}, msg...), '/'), slot...)
	if v, closer, err := c.db.Get(key); err == nil {
		defer closer.Close()
		return arweave.ParseDataItem(append([]byte(nil), v...))
	}
	if len(opts.Data) == 0 {
		opts.Data = []byte(" ") // as the reference MU: data " " when empty
	}
	item, err := arweave.SignDataItem(c.cfg.Signer, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: sign: %v", errPermanent, err)
	}
	if err := c.db.Set(key, item.Bytes(), pebble.Sync); err != nil {
		return nil, err
	}
	return item, nil
}

// push schedules an item on its target's SU and queues its own crank.
func (c *Cranker) push(ctx context.Context, item *arweave.DataItem, pushedFor string) error {
	_, err := c.cfg.SU.Schedule(ctx, item)
	switch {
	case errors.Is(err, scheduler.ErrUnknownProcess):
		// A wallet, not a process: the message is stored, not scheduled.
		if c.cfg.Store == nil {
			c.log.Info("dropping a message to a target that is not a process", "target", item.TargetID())
			return nil
		}
		if err := c.cfg.Store.PutItems(ctx, item); err != nil {
			return fmt.Errorf("store message to %s: %w", item.TargetID(), err)
		}
		return nil
	case err != nil && !errors.Is(err, scheduler.ErrDuplicate):
		return c.classify(fmt.Errorf("push to %s: %w", item.TargetID(), err))
	}
	return c.Crank(item.TargetID(), item.ID(), pushedFor)
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
