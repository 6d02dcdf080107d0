package pebblelog

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/aogo-dev/aogo/scheduler"
	"github.com/aogo-dev/aogo/scheduler/pebblelog/internal/recordpb"
	"github.com/cockroachdb/pebble"
)

// Append writes rec; see scheduler.Log. The batch is applied (readable)
// before Append returns and synced by the returned wait function.
func (l *Log) Append(ctx context.Context, rec scheduler.Record) (func() error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b := l.db.NewBatch()
	if err := l.apply(b, rec); err != nil {
		b.Close()
		return nil, err
	}
	seq := rec.Seq()
	return func() error {
		defer b.Close()
		if err := b.SyncWait(); err != nil {
			l.fail(err)
			return fmt.Errorf("pebblelog: sync: %w: %w", scheduler.ErrLogFailed, err)
		}
		l.markDurable(seq)
		return nil
	}, nil
}

// Sync makes every record appended so far durable; see scheduler.Log.
func (l *Log) Sync(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	seq, failed := l.mu.seq, l.mu.failed
	l.mu.Unlock()
	if failed != nil {
		return fmt.Errorf("pebblelog: sync: %w: %w", scheduler.ErrLogFailed, failed)
	}
	if l.durable.Load() >= seq {
		return nil
	}
	// An empty synced WAL record: the WAL is written in apply order, so
	// its sync covers every batch applied before it.
	if err := l.db.LogData(nil, pebble.Sync); err != nil {
		l.fail(err)
		return fmt.Errorf("pebblelog: sync: %w: %w", scheduler.ErrLogFailed, err)
	}
	l.markDurable(seq)
	return nil
}

func (l *Log) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.failed == nil {
		l.mu.failed = err
		l.log.Error("log failed; refusing appends until restart", "err", err)
	}
}

// apply checks rec against what the log holds, then, under l.mu, gives it
// the next sequence number and applies b, so that sequence numbers follow
// apply order. The checks run outside l.mu: they read only the record's
// own process, whose appends the scheduler makes one at a time (its
// sequencer), and l.mu is the one lock every process's append takes.
func (l *Log) apply(b *pebble.Batch, rec scheduler.Record) error {
	var (
		write func(seq uint64) error
		err   error
	)
	switch {
	case rec.Process != nil && rec.Entry == nil:
		write, err = l.checkProcess(b, rec.Process)
	case rec.Entry != nil && rec.Process == nil:
		write, err = l.checkEntry(b, rec.Entry)
	default:
		err = fmt.Errorf("pebblelog: append: a record holds exactly one of Process and Entry")
	}
	if err != nil {
		return err
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.failed != nil {
		return fmt.Errorf("pebblelog: append: %w: %w", scheduler.ErrLogFailed, l.mu.failed)
	}
	seq := l.mu.seq + 1
	if err := write(seq); err != nil {
		return err
	}
	// NB: ApplyNoSyncWait (experimental in pebble v1.1, also used by
	// arweave/embedded) applies and publishes the batch, leaving the fsync
	// to SyncWait outside l.mu: appends arriving during one fsync share
	// the next (group commit), while sequence numbers stay in apply order.
	if err := l.db.ApplyNoSyncWait(b, pebble.Sync); err != nil {
		l.mu.failed = err
		return fmt.Errorf("pebblelog: append: %w: %w", scheduler.ErrLogFailed, err)
	}
	l.mu.seq = seq
	switch {
	case rec.Process != nil:
		rec.Process.Seq = seq
	default:
		rec.Entry.Seq = seq
	}
	return nil
}

// checkProcess refuses a process the log holds, and returns the function
// that writes it to b with its sequence number.
func (l *Log) checkProcess(b *pebble.Batch, p *scheduler.Process) (func(uint64) error, error) {
	pid, err := rawID("process id", p.ID())
	if err != nil {
		return nil, err
	}
	if _, held, err := get(l.db, key(tProcess, pid)); err != nil {
		return nil, fmt.Errorf("pebblelog: append: %w", err)
	} else if held {
		return nil, fmt.Errorf("pebblelog: append: process %s: %w", p.ID(), scheduler.ErrDuplicate)
	}
	return func(seq uint64) error {
		rec := &recordpb.ProcessRecord{Item: p.Item.Bytes(), Timestamp: p.Timestamp, BlockHeight: p.BlockHeight, Seq: seq}
		b.Set(key(tProcess, pid), marshal(rec), nil)
		b.Set(key(tSeq, be64(seq)), pid, nil)
		return nil
	}, nil
}

// checkEntry refuses an entry that does not continue its process's log or
// holds an id the process holds, and returns the function that writes it
// to b with its sequence number.
func (l *Log) checkEntry(b *pebble.Batch, e *scheduler.Entry) (func(uint64) error, error) {
	pid, err := rawID("process id", e.Process)
	if err != nil {
		return nil, err
	}
	msgID, err := rawID("message id", e.MessageID())
	if err != nil {
		return nil, err
	}
	asgID, err := rawID("assignment id", e.Assignment.ID())
	if err != nil {
		return nil, err
	}
	if _, held, err := get(l.db, key(tProcess, pid)); err != nil {
		return nil, fmt.Errorf("pebblelog: append: %w", err)
	} else if !held {
		return nil, fmt.Errorf("pebblelog: append: process %s: %w", e.Process, scheduler.ErrUnknownProcess)
	}
	// The assignment is new (signed for this entry, with a random
	// anchor): only the message's id can be held already.
	if _, held, err := get(l.db, key(tHolds, pid, msgID)); err != nil {
		return nil, fmt.Errorf("pebblelog: append: %w", err)
	} else if held {
		return nil, fmt.Errorf("pebblelog: append: %s in process %s: %w", e.MessageID(), e.Process, scheduler.ErrDuplicate)
	}
	last, ok, err := l.lastNonce(pid)
	if err != nil {
		return nil, fmt.Errorf("pebblelog: append: %w", err)
	}
	if want := last + 1; (ok && e.Nonce != want) || (!ok && e.Nonce != 0) {
		return nil, fmt.Errorf("pebblelog: append: process %s: nonce %d does not continue the log (last %d)", e.Process, e.Nonce, last)
	}
	return func(seq uint64) error {
		rec := &recordpb.EntryRecord{
			Nonce: e.Nonce, Epoch: e.Epoch, Timestamp: e.Timestamp, BlockHeight: e.BlockHeight,
			HashChain: e.HashChain, Assignment: e.Assignment.Bytes(), Seq: seq,
		}
		if e.Message != nil {
			rec.Message = e.Message.Bytes()
		}
		nonce := be64(uint64(e.Nonce))
		where := append(append([]byte(nil), pid...), nonce...)
		b.Set(key(tEntry, pid, nonce), marshal(rec), nil)
		b.Set(key(tTime, pid, be64(uint64(e.Timestamp))), nonce, nil)
		b.Set(key(tHolds, pid, msgID), nonce, nil)
		b.Set(key(tHolds, pid, asgID), nonce, nil)
		b.Set(key(tGlobal, asgID), where, nil)
		if e.Message != nil {
			b.Set(key(tGlobal, msgID), where, nil)
		}
		b.Set(key(tSeq, be64(seq)), where, nil)
		return nil
	}, nil
}

// lastNonce returns the newest nonce of a process, if it has entries.
func (l *Log) lastNonce(pid []byte) (int64, bool, error) {
	prefix := key(tEntry, pid)
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: upperBound(prefix)})
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	if !it.Last() {
		return -1, false, it.Error()
	}
	return int64(binary.BigEndian.Uint64(it.Key()[len(prefix):])), true, nil
}

// SetValue durably stores a named value.
func (l *Log) SetValue(ctx context.Context, name string, value []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := l.db.Set(key(tValue, []byte(name)), value, pebble.Sync); err != nil {
		return fmt.Errorf("pebblelog: set %s: %w", name, err)
	}
	return nil
}

// Value returns a named value, or nil if it was never set.
func (l *Log) Value(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, _, err := get(l.db, key(tValue, []byte(name)))
	if err != nil {
		return nil, fmt.Errorf("pebblelog: get %s: %w", name, err)
	}
	return v, nil
}
