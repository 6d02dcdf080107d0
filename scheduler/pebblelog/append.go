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

// apply checks rec against what the log holds, gives it the next sequence
// number and applies b, all under l.mu so that checks and sequence numbers
// follow apply order.
func (l *Log) apply(b *pebble.Batch, rec scheduler.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.failed != nil {
		return fmt.Errorf("pebblelog: append: %w: %w", scheduler.ErrLogFailed, l.mu.failed)
	}
	seq := l.mu.seq + 1
	var err error
	switch {
	case rec.Process != nil && rec.Entry == nil:
		err = l.writeProcess(b, rec.Process, seq)
	case rec.Entry != nil && rec.Process == nil:
		err = l.writeEntry(b, rec.Entry, seq)
	default:
		err = fmt.Errorf("pebblelog: append: a record holds exactly one of Process and Entry")
	}
	if err != nil {
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

func (l *Log) writeProcess(b *pebble.Batch, p *scheduler.Process, seq uint64) error {
	pid, err := rawID("process id", p.ID())
	if err != nil {
		return err
	}
	if _, held, err := get(l.db, key(tProcess, pid)); err != nil {
		return fmt.Errorf("pebblelog: append: %w", err)
	} else if held {
		return fmt.Errorf("pebblelog: append: process %s: %w", p.ID(), scheduler.ErrDuplicate)
	}
	rec := &recordpb.ProcessRecord{Item: p.Item.Bytes(), Timestamp: p.Timestamp, BlockHeight: p.BlockHeight, Seq: seq}
	b.Set(key(tProcess, pid), marshal(rec), nil)
	b.Set(key(tSeq, be64(seq)), pid, nil)
	return nil
}

func (l *Log) writeEntry(b *pebble.Batch, e *scheduler.Entry, seq uint64) error {
	pid, err := rawID("process id", e.Process)
	if err != nil {
		return err
	}
	msgID, err := rawID("message id", e.MessageID())
	if err != nil {
		return err
	}
	asgID, err := rawID("assignment id", e.Assignment.ID())
	if err != nil {
		return err
	}
	if _, held, err := get(l.db, key(tProcess, pid)); err != nil {
		return fmt.Errorf("pebblelog: append: %w", err)
	} else if !held {
		return fmt.Errorf("pebblelog: append: process %s: %w", e.Process, scheduler.ErrUnknownProcess)
	}
	last, ok, err := l.lastNonce(pid)
	if err != nil {
		return fmt.Errorf("pebblelog: append: %w", err)
	}
	if want := last + 1; (ok && e.Nonce != want) || (!ok && e.Nonce != 0) {
		return fmt.Errorf("pebblelog: append: process %s: nonce %d does not continue the log (last %d)", e.Process, e.Nonce, last)
	}
	for _, id := range [][]byte{msgID, asgID} {
		if _, held, err := get(l.db, key(tHolds, pid, id)); err != nil {
			return fmt.Errorf("pebblelog: append: %w", err)
		} else if held {
			return fmt.Errorf("pebblelog: append: %s in process %s: %w", e.MessageID(), e.Process, scheduler.ErrDuplicate)
		}
	}
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
