// Package pebblelog is the scheduler's embedded Log: processes and their
// entries in a pebble database on local disk, group-committed (concurrent
// appends share an fsync) and synced before an append is acknowledged.
//
// # Layout
//
// Keys start with one byte naming the table; ids are raw 32-byte values,
// integers big-endian so that keys sort numerically.
//
//	p pid                 -> ProcessRecord (protobuf)
//	e pid nonce           -> EntryRecord (protobuf)
//	t pid timestamp       -> nonce        (timestamp index of a process)
//	x pid id              -> nonce        (ids a process holds: message, assigned tx, assignment)
//	g id                  -> pid nonce    (message and assignment ids across processes)
//	s seq                 -> pid [nonce]  (global append order; no nonce for a process record)
//	v name                -> value        (named values: clock reservation, uploader cursor)
package pebblelog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/internal/pebbleslog"
	"github.com/aogo-dev/aogo/scheduler"
	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/bloom"
	"github.com/cockroachdb/pebble/vfs"
	"google.golang.org/protobuf/proto"
)

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

// Log is the pebble-backed scheduler.Log. Use Open.
type Log struct {
	db  *pebble.DB
	log *slog.Logger

	// durable is the highest sequence number known to be synced: every
	// record at or below it is durable (the WAL is synced in apply
	// order). Readers see only those.
	durable atomic.Uint64

	// mu orders appends: sequence numbers are given and batches applied
	// under it; the fsync wait happens outside it, so that appends that
	// arrive during one fsync share the next.
	mu struct {
		sync.Mutex
		seq    uint64
		failed error
	}
}

var _ scheduler.Log = (*Log)(nil)

const idLen = 32

// Open opens (or creates) the log in cfg.Dir.
func Open(cfg Config) (*Log, error) {
	if cfg.Dir == "" {
		return nil, errors.New("pebblelog: Config.Dir is required")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "scheduler/pebblelog")
	opts := &pebble.Options{
		// Pinned so that a pebble upgrade never ratchets the disk format.
		FormatMajorVersion: pebble.FormatPrePebblev1MarkedCompacted,
		FS:                 cfg.fs,
		MemTableSize:       32 << 20,
	}
	// Appends look up ids that are usually absent: bloom filters keep
	// those lookups off the disk.
	opts.Levels = make([]pebble.LevelOptions, 7)
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	pebbleslog.Options(opts, logger, "pebblelog")
	db, err := pebble.Open(cfg.Dir, opts)
	if err != nil {
		return nil, fmt.Errorf("pebblelog: open %s: %w", cfg.Dir, err)
	}
	l := &Log{db: db, log: logger}
	seq, err := l.lastSeq()
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("pebblelog: open %s: %w", cfg.Dir, err)
	}
	l.mu.seq = seq
	l.durable.Store(seq)
	return l, nil
}

// Close closes the database.
func (l *Log) Close() error {
	if err := l.db.Close(); err != nil {
		return fmt.Errorf("pebblelog: close: %w", err)
	}
	return nil
}

// DiskUsage is the number of bytes the log's database uses on disk (live
// and obsolete files, WAL included), from pebble's metrics: no scan. It
// must not be called after Close.
func (l *Log) DiskUsage() uint64 { return l.db.Metrics().DiskSpaceUsage() }

// Table prefixes.
const (
	tProcess = 'p'
	tEntry   = 'e'
	tTime    = 't'
	tHolds   = 'x'
	tGlobal  = 'g'
	tSeq     = 's'
	tValue   = 'v'
)

func key(table byte, parts ...[]byte) []byte {
	n := 1
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 1, n)
	k[0] = table
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// upperBound is the smallest key greater than every key with this prefix.
func upperBound(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

func rawID(what, id string) ([]byte, error) {
	b, err := arweave.DecodeID(id)
	if err != nil {
		return nil, fmt.Errorf("pebblelog: %s: %w", what, err)
	}
	return b, nil
}

func get(r pebble.Reader, k []byte) ([]byte, bool, error) {
	v, closer, err := r.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out := append([]byte(nil), v...)
	closer.Close()
	return out, true, nil
}

func (l *Log) lastSeq() (uint64, error) {
	it, err := l.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tSeq}, UpperBound: []byte{tSeq + 1}})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	if !it.Last() {
		return 0, it.Error()
	}
	return binary.BigEndian.Uint64(it.Key()[1:]), nil
}

// LastSeq returns the sequence number of the newest durable record.
func (l *Log) LastSeq() uint64 { return l.durable.Load() }

// markDurable records that every record up to seq is durable.
func (l *Log) markDurable(seq uint64) {
	for {
		old := l.durable.Load()
		if seq <= old || l.durable.CompareAndSwap(old, seq) {
			return
		}
	}
}

func marshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		// Marshal of these flat records fails only on invalid UTF-8 in a
		// string field, which our hash chains (base64url) never contain.
		panic(fmt.Sprintf("pebblelog: marshal %T: %v", m, err))
	}
	return b
}
