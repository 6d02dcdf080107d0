package pebblelog

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/scheduler"
	"github.com/aogo-dev/aogo/scheduler/pebblelog/internal/recordpb"
	"github.com/cockroachdb/pebble"
	"google.golang.org/protobuf/proto"
)

// Process returns a scheduled process; see scheduler.Log.
func (l *Log) Process(ctx context.Context, pid string) (*scheduler.Process, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	raw, err := rawID("process id", pid)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", scheduler.ErrUnknownProcess, err)
	}
	v, ok, err := get(l.db, key(tProcess, raw))
	if err != nil {
		return nil, fmt.Errorf("pebblelog: process %s: %w", pid, err)
	}
	if !ok {
		return nil, fmt.Errorf("process %s: %w", pid, scheduler.ErrUnknownProcess)
	}
	p, err := decodeProcess(v)
	if err != nil {
		return nil, err
	}
	if p.Seq > l.durable.Load() {
		return nil, fmt.Errorf("process %s (not yet durable): %w", pid, scheduler.ErrUnknownProcess)
	}
	return p, nil
}

// Last returns the newest entry of a process; see scheduler.Log.
func (l *Log) Last(ctx context.Context, pid string) (*scheduler.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	raw, err := rawID("process id", pid)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", scheduler.ErrNotFound, err)
	}
	prefix := key(tEntry, raw)
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: upperBound(prefix)})
	if err != nil {
		return nil, fmt.Errorf("pebblelog: last %s: %w", pid, err)
	}
	defer it.Close()
	durable := l.durable.Load()
	for ok := it.Last(); ok; ok = it.Prev() {
		e, err := decodeEntry(pid, it.Value())
		if err != nil {
			return nil, err
		}
		if e.Seq <= durable {
			return e, nil
		}
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("pebblelog: last %s: %w", pid, err)
	}
	return nil, fmt.Errorf("process %s has no entries: %w", pid, scheduler.ErrNotFound)
}

// Find returns the entry holding id; see scheduler.Log.
func (l *Log) Find(ctx context.Context, pid, id string) (*scheduler.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rawItem, err := rawID("id", id)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", scheduler.ErrNotFound, err)
	}
	var where []byte
	if pid == "" {
		v, ok, err := get(l.db, key(tGlobal, rawItem))
		if err != nil {
			return nil, fmt.Errorf("pebblelog: find %s: %w", id, err)
		}
		if !ok {
			return nil, fmt.Errorf("%s: %w", id, scheduler.ErrNotFound)
		}
		where = v
	} else {
		rawPID, err := rawID("process id", pid)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", scheduler.ErrNotFound, err)
		}
		nonce, ok, err := get(l.db, key(tHolds, rawPID, rawItem))
		if err != nil {
			return nil, fmt.Errorf("pebblelog: find %s: %w", id, err)
		}
		if !ok {
			return nil, fmt.Errorf("%s in process %s: %w", id, pid, scheduler.ErrNotFound)
		}
		where = append(rawPID, nonce...)
	}
	return l.entryAt(where)
}

// entryAt reads the entry at pid+nonce (40 bytes).
func (l *Log) entryAt(where []byte) (*scheduler.Entry, error) {
	if len(where) != idLen+8 {
		return nil, fmt.Errorf("pebblelog: corrupt index value of %d bytes", len(where))
	}
	v, ok, err := get(l.db, key(tEntry, where))
	if err != nil {
		return nil, fmt.Errorf("pebblelog: entry: %w", err)
	}
	pid := arweave.B64(where[:idLen])
	if !ok {
		return nil, fmt.Errorf("pebblelog: index points at a missing entry %d of %s", binary.BigEndian.Uint64(where[idLen:]), pid)
	}
	e, err := decodeEntry(pid, v)
	if err != nil {
		return nil, err
	}
	if e.Seq > l.durable.Load() {
		return nil, fmt.Errorf("entry %d of %s (not yet durable): %w", e.Nonce, pid, scheduler.ErrNotFound)
	}
	return e, nil
}

// Entries returns a page of a process's entries; see scheduler.Log.
func (l *Log) Entries(ctx context.Context, pid string, r scheduler.Range) ([]*scheduler.Entry, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	limit := r.Limit
	if limit <= 0 {
		limit = scheduler.DefaultPageSize
	}
	raw, err := rawID("process id", pid)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", scheduler.ErrUnknownProcess, err)
	}
	snap := l.db.NewSnapshot()
	defer snap.Close()

	// The first nonce to read.
	var start uint64
	switch {
	case r.ByNonce():
		if r.FromNonce != nil && *r.FromNonce >= 0 {
			start = uint64(*r.FromNonce) + 1
		}
	case r.From != nil:
		if *r.From >= 0 {
			n, ok, err := firstAtOrAfter(snap, key(tTime, raw), uint64(*r.From)+1)
			if err != nil {
				return nil, false, fmt.Errorf("pebblelog: entries of %s: %w", pid, err)
			}
			if !ok {
				return []*scheduler.Entry{}, false, nil
			}
			start = n
		}
	}

	prefix := key(tEntry, raw)
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: key(tEntry, raw, be64(start)), UpperBound: upperBound(prefix)})
	if err != nil {
		return nil, false, fmt.Errorf("pebblelog: entries of %s: %w", pid, err)
	}
	defer it.Close()
	entries := make([]*scheduler.Entry, 0, min(limit, 1024))
	durable := l.durable.Load()
	for ok := it.First(); ok; ok = it.Next() {
		e, err := decodeEntry(pid, it.Value())
		if err != nil {
			return nil, false, err
		}
		if e.Seq > durable { // the rest of the process's log is in flight
			break
		}
		if (r.ByNonce() && r.ToNonce != nil && e.Nonce > *r.ToNonce) ||
			(!r.ByNonce() && r.To != nil && e.Timestamp > *r.To) {
			break
		}
		if len(entries) == limit {
			return entries, true, nil
		}
		entries = append(entries, e)
	}
	if err := it.Error(); err != nil {
		return nil, false, fmt.Errorf("pebblelog: entries of %s: %w", pid, err)
	}
	return entries, false, nil
}

// firstAtOrAfter returns the value (a nonce) of the first key at or after
// prefix+be64(from) within prefix.
func firstAtOrAfter(r pebble.Reader, prefix []byte, from uint64) (uint64, bool, error) {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: append(append([]byte(nil), prefix...), be64(from)...), UpperBound: upperBound(prefix)})
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	if !it.First() {
		return 0, false, it.Error()
	}
	if len(it.Value()) != 8 {
		return 0, false, fmt.Errorf("corrupt timestamp index value of %d bytes", len(it.Value()))
	}
	return binary.BigEndian.Uint64(it.Value()), true, nil
}

// Since returns records in global order; see scheduler.Log.
func (l *Log) Since(ctx context.Context, after uint64, limit int) ([]scheduler.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = scheduler.DefaultPageSize
	}
	durable := l.durable.Load()
	if after >= durable {
		return nil, nil
	}
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: key(tSeq, be64(after+1)), UpperBound: key(tSeq, be64(durable+1))})
	if err != nil {
		return nil, fmt.Errorf("pebblelog: since %d: %w", after, err)
	}
	defer it.Close()
	var out []scheduler.Record
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		v := it.Value()
		switch len(v) {
		case idLen:
			p, err := l.Process(ctx, arweave.B64(v))
			if err != nil {
				return nil, err
			}
			out = append(out, scheduler.Record{Process: p})
		case idLen + 8:
			e, err := l.entryAt(v)
			if err != nil {
				return nil, err
			}
			out = append(out, scheduler.Record{Entry: e})
		default:
			return nil, fmt.Errorf("pebblelog: corrupt sequence record of %d bytes", len(v))
		}
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("pebblelog: since %d: %w", after, err)
	}
	return out, nil
}

func decodeProcess(v []byte) (*scheduler.Process, error) {
	var rec recordpb.ProcessRecord
	if err := proto.Unmarshal(v, &rec); err != nil {
		return nil, fmt.Errorf("pebblelog: corrupt process record: %w", err)
	}
	item, err := arweave.ParseDataItem(rec.Item)
	if err != nil {
		return nil, fmt.Errorf("pebblelog: corrupt process record: %w", err)
	}
	return &scheduler.Process{Item: item, Timestamp: rec.Timestamp, BlockHeight: rec.BlockHeight, Seq: rec.Seq}, nil
}

func decodeEntry(pid string, v []byte) (*scheduler.Entry, error) {
	var rec recordpb.EntryRecord
	if err := proto.Unmarshal(v, &rec); err != nil {
		return nil, fmt.Errorf("pebblelog: corrupt entry record of %s: %w", pid, err)
	}
	asg, err := arweave.ParseDataItem(rec.Assignment)
	if err != nil {
		return nil, fmt.Errorf("pebblelog: corrupt entry %d of %s: assignment: %w", rec.Nonce, pid, err)
	}
	e := &scheduler.Entry{
		Process: pid, Nonce: rec.Nonce, Epoch: rec.Epoch, Timestamp: rec.Timestamp,
		BlockHeight: rec.BlockHeight, HashChain: rec.HashChain, Assignment: asg, Seq: rec.Seq,
	}
	if len(rec.Message) > 0 {
		if e.Message, err = arweave.ParseDataItem(rec.Message); err != nil {
			return nil, fmt.Errorf("pebblelog: corrupt entry %d of %s: message: %w", rec.Nonce, pid, err)
		}
	}
	return e, nil
}
