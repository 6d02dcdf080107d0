package results

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"

	"github.com/aogo-dev/aogo/internal/pebbleslog"
	"github.com/aogo-dev/aogo/runtime/results/internal/resultpb"
	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"
	"google.golang.org/protobuf/proto"
)

// Errors. They are wrapped with context; test with errors.Is.
var (
	// ErrNotFound: no such record.
	ErrNotFound = errors.New("results: not found")
	// ErrBadRecord: Put refused a record (nothing of the batch was
	// written).
	ErrBadRecord = errors.New("results: bad record")
	// ErrBadCursor: ParseBound or DecodeCursor got neither a cursor nor a
	// plain timestamp.
	ErrBadCursor = errors.New("results: bad cursor")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("results: closed")
)

// Key is a record's place in its process's evaluation order: timestamp,
// then ordinate, then cron.
type Key struct {
	Timestamp int64 // ms
	// Ordinate is the nonce of the message, or for a cron tick the nonce of
	// the last scheduled message before it (-1 before any).
	Ordinate int64
	// Cron is -1 for a scheduled message, the cron index for a tick. It
	// orders ticks that fall at the same timestamp and ordinate, so it must
	// be unique among a process's crons and follow their evaluation order.
	Cron int
}

// Compare returns -1, 0 or +1 as k sorts before, with or after o.
func (k Key) Compare(o Key) int {
	switch {
	case k.Timestamp != o.Timestamp:
		return cmp64(k.Timestamp, o.Timestamp)
	case k.Ordinate != o.Ordinate:
		return cmp64(k.Ordinate, o.Ordinate)
	default:
		return cmp64(int64(k.Cron), int64(o.Cron))
	}
}

func cmp64(a, b int64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// endOf is the key after every record at timestamp ts (and before every
// record after it).
func endOf(ts int64) Key { return Key{Timestamp: ts, Ordinate: math.MaxInt64, Cron: math.MaxInt} }

// Record is one evaluation's result.
type Record struct {
	Process string
	Key     Key
	// MessageID is the evaluated message's id (the process id for the
	// process message); "" for a cron tick.
	MessageID string
	// CronID is a tick's cron id, "<index>-<interval>" as the reference
	// names it (e.g. "0-10-seconds"); "" for a message. Cursors take the
	// interval from it (see the package doc).
	CronID string
	// Result is the result JSON as the CU serves it ({"Messages",
	// "Assignments","Spawns","Output",...}).
	Result []byte
	// Error reports that the evaluation failed (the result has an Error).
	Error bool
}

// Config configures Open.
type Config struct {
	// Dir is the database directory, created if missing. Required.
	Dir string
	// Logger receives pebble's records (routine ones at Debug). Nil
	// discards them.
	Logger *slog.Logger

	// fs replaces the operating system's file system in tests.
	fs vfs.FS
}

// Store is the result store. Use Open. Its methods are safe for concurrent
// use, except Close, which must come after every other call has returned.
type Store struct {
	db     *pebble.DB
	log    *slog.Logger
	closed atomic.Bool
}

// Open opens (or creates) the store in cfg.Dir.
func Open(cfg Config) (*Store, error) {
	if cfg.Dir == "" {
		return nil, errors.New("results: Config.Dir is required")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "runtime/results")
	opts := &pebble.Options{
		// Pinned so that a pebble upgrade never ratchets the disk format.
		FormatMajorVersion: pebble.FormatPrePebblev1MarkedCompacted,
		FS:                 cfg.fs,
	}
	pebbleslog.Options(opts, logger, "results")
	db, err := pebble.Open(cfg.Dir, opts)
	if err != nil {
		return nil, fmt.Errorf("results: open %s: %w", cfg.Dir, err)
	}
	return &Store{db: db, log: logger}, nil
}

// Close closes the database.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return ErrClosed
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("results: close: %w", err)
	}
	return nil
}

// Table prefixes.
const (
	tRecord  = 'r'
	tMessage = 'm'
)

const keyLen = 24 // timestamp, ordinate, cron

// prefix is table, len(pid), pid.
func prefix(table byte, pid string) []byte {
	b := make([]byte, 0, 2+len(pid)+keyLen)
	b = append(b, table, byte(len(pid)))
	return append(b, pid...)
}

// appendKey appends k, big-endian with the sign bits flipped so that byte
// order is numeric order.
func appendKey(b []byte, k Key) []byte {
	const flip = 1 << 63
	b = binary.BigEndian.AppendUint64(b, uint64(k.Timestamp)^flip)
	b = binary.BigEndian.AppendUint64(b, uint64(k.Ordinate)^flip)
	return binary.BigEndian.AppendUint64(b, uint64(int64(k.Cron))^flip)
}

func decodeKey(b []byte) Key {
	const flip = 1 << 63
	return Key{
		Timestamp: int64(binary.BigEndian.Uint64(b) ^ flip),
		Ordinate:  int64(binary.BigEndian.Uint64(b[8:]) ^ flip),
		Cron:      int(int64(binary.BigEndian.Uint64(b[16:]) ^ flip)),
	}
}

func recordKey(pid string, k Key) []byte { return appendKey(prefix(tRecord, pid), k) }

func messageKey(pid, id string) []byte { return append(prefix(tMessage, pid), id...) }

// upperBound is the smallest key greater than every key with this prefix.
func upperBound(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

func checkPID(pid string) error {
	if pid == "" || len(pid) > 255 {
		return fmt.Errorf("%w: process id of %d bytes", ErrBadRecord, len(pid))
	}
	return nil
}

func (s *Store) usable(pid string) error {
	if s.closed.Load() {
		return ErrClosed
	}
	return checkPID(pid)
}

func validate(r *Record) error {
	if err := checkPID(r.Process); err != nil {
		return err
	}
	switch {
	case r.Key.Cron < -1:
		return fmt.Errorf("%w: cron %d", ErrBadRecord, r.Key.Cron)
	case r.Key.Cron == -1 && r.MessageID == "":
		return fmt.Errorf("%w: a message's record without a message id", ErrBadRecord)
	case r.Key.Cron == -1 && r.CronID != "":
		return fmt.Errorf("%w: a message's record with cron id %q", ErrBadRecord, r.CronID)
	case r.Key.Cron >= 0 && r.MessageID != "":
		return fmt.Errorf("%w: a cron tick's record with message id %q", ErrBadRecord, r.MessageID)
	}
	return nil
}

// Put stores recs in one atomic batch, replacing records with the same
// process and key (an evaluation done again gives the same result). A
// record whose key is a message's (Cron -1) is also found by ByMessage.
// Put does not sync: a crash may lose the latest batches, whole.
func (s *Store) Put(ctx context.Context, recs ...Record) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("results: put: %w", err)
	}
	if len(recs) == 0 {
		return nil
	}
	b := s.db.NewBatch()
	defer b.Close()
	for i := range recs {
		r := &recs[i]
		if err := validate(r); err != nil {
			return err
		}
		v, err := proto.Marshal(&resultpb.Record{MessageId: r.MessageID, CronId: r.CronID, Error: r.Error, Result: r.Result})
		if err != nil {
			return fmt.Errorf("%w: %v", ErrBadRecord, err)
		}
		rk := recordKey(r.Process, r.Key)
		if err := b.Set(rk, v, nil); err != nil {
			return fmt.Errorf("results: put: %w", err)
		}
		if r.Key.Cron == -1 {
			if err := b.Set(messageKey(r.Process, r.MessageID), rk[len(rk)-keyLen:], nil); err != nil {
				return fmt.Errorf("results: put: %w", err)
			}
		}
	}
	if err := s.db.Apply(b, pebble.NoSync); err != nil {
		return fmt.Errorf("results: put: %w", err)
	}
	return nil
}

// Sync makes every record put so far durable. A CU calls it before it
// writes a checkpoint: a restart from the checkpoint does not evaluate the
// messages before it again, so their results must survive the crash the
// checkpoint survives.
func (s *Store) Sync(ctx context.Context) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("results: sync: %w", err)
	}
	// An empty synced WAL record: the WAL is written in order, so its
	// sync covers every batch applied before it.
	if err := s.db.LogData(nil, pebble.Sync); err != nil {
		return fmt.Errorf("results: sync: %w", err)
	}
	return nil
}

func get(r pebble.Reader, k []byte) ([]byte, error) {
	v, closer, err := r.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), v...)
	return out, closer.Close()
}

func decodeRecord(pid string, k Key, v []byte) (Record, error) {
	var pb resultpb.Record
	if err := proto.Unmarshal(v, &pb); err != nil {
		return Record{}, fmt.Errorf("results: record %s %+v: %w", pid, k, err)
	}
	return Record{Process: pid, Key: k, MessageID: pb.MessageId, CronID: pb.CronId, Result: pb.Result, Error: pb.Error}, nil
}

// ByMessage returns the record of message id of process pid (id may be the
// process id, for the process message), or an error wrapping ErrNotFound.
func (s *Store) ByMessage(ctx context.Context, pid, id string) (*Record, error) {
	if err := s.usable(pid); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	suffix, err := get(s.db, messageKey(pid, id))
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: message %s of process %s", ErrNotFound, id, pid)
	}
	if err != nil {
		return nil, fmt.Errorf("results: message %s of process %s: %w", id, pid, err)
	}
	if len(suffix) != keyLen {
		return nil, fmt.Errorf("results: message %s of process %s: index entry of %d bytes", id, pid, len(suffix))
	}
	k := decodeKey(suffix)
	v, err := get(s.db, recordKey(pid, k))
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: message %s of process %s", ErrNotFound, id, pid)
	}
	if err != nil {
		return nil, fmt.Errorf("results: message %s of process %s: %w", id, pid, err)
	}
	rec, err := decodeRecord(pid, k, v)
	if err != nil {
		return nil, err
	}
	if rec.MessageID != id {
		// The record at that key was replaced by another message's (a
		// stale index entry): the message has no record.
		return nil, fmt.Errorf("%w: message %s of process %s", ErrNotFound, id, pid)
	}
	return &rec, nil
}

// Query selects a page of a process's records.
type Query struct {
	// From (exclusive) and To (inclusive) bound the page in its direction:
	// ascending, records after From up to To; descending, records before
	// From down to To. Nil is unbounded. So the key of a page's last record
	// as the next From continues the page, in either direction.
	From, To *Key
	// Desc returns the newest records first.
	Desc bool
	// Limit is the most records returned (<= 0: no limit).
	Limit int
	// CronOnly keeps cron ticks only.
	CronOnly bool
	// SkipErrors leaves out the evaluations that failed.
	SkipErrors bool
}

// Page returns pid's records selected by q, in order, and whether more
// records matching q follow the last one returned. Records are new
// values, owned by the caller.
func (s *Store) Page(ctx context.Context, pid string, q Query) ([]Record, bool, error) {
	if err := s.usable(pid); err != nil {
		return nil, false, err
	}
	p := prefix(tRecord, pid)
	lo, hi := p, upperBound(p)
	// All record keys of a process have one length, so key+"\x00" is the
	// smallest key after key.
	after := func(k Key) []byte { return append(recordKey(pid, k), 0) }
	if q.Desc {
		if q.From != nil {
			hi = recordKey(pid, *q.From)
		}
		if q.To != nil {
			lo = recordKey(pid, *q.To)
		}
	} else {
		if q.From != nil {
			lo = after(*q.From)
		}
		if q.To != nil {
			hi = after(*q.To)
		}
	}
	if bytes.Compare(lo, hi) >= 0 {
		return nil, false, nil
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, false, fmt.Errorf("results: page of %s: %w", pid, err)
	}
	defer it.Close()
	first, next := it.First, it.Next
	if q.Desc {
		first, next = it.Last, it.Prev
	}
	var out []Record
	n := 0
	for ok := first(); ok; ok = next() {
		if n++; n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, false, fmt.Errorf("results: page of %s: %w", pid, err)
			}
		}
		k := decodeKey(it.Key()[len(p):])
		if q.CronOnly && k.Cron < 0 {
			continue
		}
		rec, err := decodeRecord(pid, k, it.Value())
		if err != nil {
			return nil, false, err
		}
		if q.SkipErrors && rec.Error {
			continue
		}
		if q.Limit > 0 && len(out) == q.Limit {
			return out, true, nil
		}
		out = append(out, rec)
	}
	if err := it.Error(); err != nil {
		return nil, false, fmt.Errorf("results: page of %s: %w", pid, err)
	}
	return out, false, nil
}

// Last returns pid's newest record (failed evaluations and ticks included),
// or an error wrapping ErrNotFound.
func (s *Store) Last(ctx context.Context, pid string) (*Record, error) {
	recs, _, err := s.Page(ctx, pid, Query{Desc: true, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w: process %s has no results", ErrNotFound, pid)
	}
	return &recs[0], nil
}

// pruneBatch is how many records Prune deletes per batch.
const pruneBatch = 1000

// Prune deletes pid's records at or before keepAfter (and their message
// index entries) and returns how many it deleted. It commits in batches:
// if it fails or its context ends, what it deleted so far stays deleted.
func (s *Store) Prune(ctx context.Context, pid string, keepAfter Key) (int, error) {
	if err := s.usable(pid); err != nil {
		return 0, err
	}
	p := prefix(tRecord, pid)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: append(recordKey(pid, keepAfter), 0)})
	if err != nil {
		return 0, fmt.Errorf("results: prune %s: %w", pid, err)
	}
	defer it.Close()
	deleted := 0
	b := s.db.NewBatch()
	defer func() { b.Close() }()
	inBatch := 0
	commit := func() error {
		if inBatch == 0 {
			return nil
		}
		if err := s.db.Apply(b, pebble.NoSync); err != nil {
			return err
		}
		b.Close()
		b = s.db.NewBatch()
		deleted += inBatch
		inBatch = 0
		return nil
	}
	for ok := it.First(); ok; ok = it.Next() {
		if err := ctx.Err(); err != nil {
			return deleted, fmt.Errorf("results: prune %s: %w", pid, err)
		}
		rk := append([]byte(nil), it.Key()...)
		k := decodeKey(rk[len(p):])
		if k.Cron == -1 {
			rec, err := decodeRecord(pid, k, it.Value())
			if err != nil {
				return deleted, err
			}
			mk := messageKey(pid, rec.MessageID)
			// The index entry goes only if it still points here.
			if v, err := get(s.db, mk); err == nil && bytes.Equal(v, rk[len(p):]) {
				if err := b.Delete(mk, nil); err != nil {
					return deleted, fmt.Errorf("results: prune %s: %w", pid, err)
				}
			}
		}
		if err := b.Delete(rk, nil); err != nil {
			return deleted, fmt.Errorf("results: prune %s: %w", pid, err)
		}
		if inBatch++; inBatch == pruneBatch {
			if err := commit(); err != nil {
				return deleted, fmt.Errorf("results: prune %s: %w", pid, err)
			}
		}
	}
	if err := it.Error(); err != nil {
		return deleted, fmt.Errorf("results: prune %s: %w", pid, err)
	}
	if err := commit(); err != nil {
		return deleted, fmt.Errorf("results: prune %s: %w", pid, err)
	}
	return deleted, nil
}

// DiskUsage returns the bytes the database takes on disk.
func (s *Store) DiskUsage() (int64, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	return int64(s.db.Metrics().DiskSpaceUsage()), nil
}
