package embedded

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/internal/pebbleslog"
	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/bloom"
	"github.com/cockroachdb/pebble/vfs"
)

// Errors returned by this package, in addition to arweave.ErrNotFound,
// arweave.ErrMalformed and arweave.ErrBadCursor. They are wrapped with
// details: test with errors.Is.
var (
	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("embedded: store is closed")
	// ErrNoSigner is returned by PutBundle when Config.Signer is nil.
	ErrNoSigner = errors.New("embedded: no signer configured")
	// ErrCorrupt reports stored bytes that do not decode: the directory was
	// damaged or written by something else.
	ErrCorrupt = errors.New("embedded: corrupt store")
)

// Network is the network name Info reports.
const Network = "aogo.embedded"

// Config configures Open. Only Dir is required.
type Config struct {
	// Dir is the directory of the pebble database; it is created if it does
	// not exist. Required. One Store at a time may use a directory (pebble
	// holds a lock file).
	Dir string

	// Signer signs the data item that wraps the bundles PutBundle builds.
	// Default nil: PutBundle fails with ErrNoSigner, everything else works.
	// Recommended: the node's wallet.
	Signer arweave.Signer

	// Logger receives the store's and pebble's log lines (pebble's routine
	// messages at Debug, background errors at Error). Default nil: discard.
	Logger *slog.Logger

	// Now is the clock for block timestamps. Default nil: time.Now.
	Now func() time.Time

	// CacheSize is the size in bytes of pebble's block cache, which keeps
	// recently read index and item blocks in memory. Default 0: 64 MiB.
	// Recommended: the default, or more for a read-heavy gateway.
	CacheSize int64

	// testing holds knobs only tests set.
	testing struct {
		// fs replaces the operating system's file system (a vfs.NewStrictMem
		// in power-loss tests).
		fs vfs.FS
	}
}

// Store is the embedded arweave.Store: items and their index in a pebble
// database on local disk. It also implements arweave.Miner. All methods are
// safe for concurrent use. See the package documentation for the layout.
type Store struct {
	cfg Config
	db  *pebble.DB
	log *slog.Logger

	// closeMu is held for reading by every operation and for writing by
	// Close, so that pebble is never used after it is closed.
	//
	// Lock order: closeMu, then mineMu, then mu.
	closeMu sync.RWMutex
	closed  bool

	// mineMu serializes Mine.
	mineMu sync.Mutex

	mu struct {
		sync.Mutex
		// seq is the last sequence number applied to pebble. Items with
		// seq <= mu.seq are visible to readers (maybe not yet synced).
		seq uint64
		// head is the newest block.
		head *blockRecord
	}
}

var (
	_ arweave.Store = (*Store)(nil)
	_ arweave.Miner = (*Store)(nil)
)

// Open opens (or creates) the store in cfg.Dir. A new store starts with a
// genesis block at height 0.
func Open(cfg Config) (*Store, error) {
	if cfg.Dir == "" {
		return nil, errors.New("embedded: Config.Dir is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 64 << 20
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "arweave/embedded")

	opts := &pebble.Options{
		// NB: pinned rather than FormatNewest, so that upgrading pebble never
		// silently ratchets the on-disk format. Move it only forward.
		FormatMajorVersion: pebble.FormatPrePebblev1MarkedCompacted,
		FS:                 cfg.testing.fs,
		Cache:              pebble.NewCache(cfg.CacheSize),
		// Larger than pebble's 4 MiB default: fewer, larger flushes under a
		// steady stream of puts.
		MemTableSize: 32 << 20,
	}
	defer opts.Cache.Unref()
	// Every put checks whether each id is already held: bloom filters keep
	// those point lookups of absent keys off the disk.
	opts.Levels = make([]pebble.LevelOptions, 7)
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	pebbleslog.Options(opts, logger, "embedded")

	db, err := pebble.Open(cfg.Dir, opts)
	if err != nil {
		return nil, fmt.Errorf("embedded: open %s: %w", cfg.Dir, err)
	}
	s := &Store{cfg: cfg, db: db, log: logger}
	if err := s.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("embedded: open %s: %w", cfg.Dir, err)
	}
	logger.Debug("opened", "dir", cfg.Dir, "height", s.mu.head.height, "seq", s.mu.seq)
	return s, nil
}

// load initializes a new store or reads the sequence number and head block
// of an existing one.
func (s *Store) load() error {
	v, ok, err := get(s.db, keyFormat)
	if err != nil {
		return err
	}
	if !ok {
		return s.initialize()
	}
	if len(v) != 8 || binary.BigEndian.Uint64(v) != formatVersion {
		return fmt.Errorf("%w: unknown format %x (this build reads format %d)", ErrCorrupt, v, formatVersion)
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte(prefixSeq), UpperBound: prefixEnd([]byte(prefixSeq))})
	if err != nil {
		return err
	}
	if it.Last() {
		seq, _, err := splitTail(it.Key())
		if err != nil {
			it.Close()
			return err
		}
		s.mu.seq = seq
	}
	if err := it.Close(); err != nil {
		return err
	}
	head, err := lastBlock(s.db)
	if err != nil {
		return err
	}
	if head == nil {
		return fmt.Errorf("%w: no genesis block", ErrCorrupt)
	}
	s.mu.head = head
	return nil
}

// initialize writes the format marker and the genesis block of an empty
// database, in one synced batch.
func (s *Store) initialize() error {
	it, err := s.db.NewIter(nil)
	if err != nil {
		return err
	}
	nonEmpty := it.First()
	if err := it.Close(); err != nil {
		return err
	}
	if nonEmpty {
		return fmt.Errorf("%w: the directory holds a pebble database that is not an aogo store", ErrCorrupt)
	}
	genesis := newBlock(nil, 0, s.cfg.Now().Unix(), 0, nil)
	b := s.db.NewBatch()
	defer b.Close()
	b.Set(keyFormat, binary.BigEndian.AppendUint64(nil, formatVersion), nil)
	writeBlock(b, genesis)
	if err := b.Commit(pebble.Sync); err != nil {
		return err
	}
	s.mu.head = genesis
	return nil
}

// Close closes the store. It waits for running calls to finish; later calls
// return ErrClosed. Closing twice is a no-op.
func (s *Store) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("embedded: close: %w", err)
	}
	return nil
}

// acquire guards an operation against Close; release must follow.
func (s *Store) acquire() error {
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return ErrClosed
	}
	return nil
}

func (s *Store) release() { s.closeMu.RUnlock() }

// DiskUsage is the number of bytes the database uses on disk (live and
// obsolete files, WAL included), from pebble's metrics; 0 once closed.
func (s *Store) DiskUsage() uint64 {
	if s.acquire() != nil {
		return 0
	}
	defer s.release()
	return s.db.Metrics().DiskSpaceUsage()
}

// Info returns the current height and block.
func (s *Store) Info(ctx context.Context) (*arweave.Info, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	s.mu.Lock()
	head := s.mu.head
	s.mu.Unlock()
	return &arweave.Info{
		Network: Network,
		Height:  head.height,
		Current: arweave.B64(head.id),
		Blocks:  head.height + 1,
	}, nil
}

// get reads a key and returns a copy of its value.
func get(r pebble.Reader, key []byte) ([]byte, bool, error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out := slices.Clone(v)
	if out == nil {
		out = []byte{}
	}
	return out, true, closer.Close()
}

// has reports whether a key exists.
func has(r pebble.Reader, key []byte) (bool, error) {
	_, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, closer.Close()
}
