package scheduler

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aogo-dev/aogo/arweave"
)

// UploaderConfig configures NewUploader. Log and Store are required.
type UploaderConfig struct {
	// Log is the scheduler's log; the uploader reads it in global order
	// and keeps its progress in it (named values, see Uploader).
	Log Log
	// Store receives the bundles (arweave/embedded on one node, or
	// arweave/remote for a gateway or arlocal).
	Store arweave.Store
	// MaxBundleBytes bounds a bundle: the current bundle is flushed when
	// adding the next record would make it larger. A single record larger
	// than this still goes, alone, into one bundle. Default 4 MiB.
	MaxBundleBytes int64
	// MaxAge flushes a partial bundle once its oldest record has waited
	// this long (measured from the record's scheduled timestamp, or from
	// when the uploader first read it if that is later). Default 2 s.
	MaxAge time.Duration
	// PollInterval is how often the log is read for new records when the
	// uploader is idle and nobody calls Notify. Default 200 ms.
	PollInterval time.Duration
	// Logger receives the uploader's records: failures (they are retried)
	// at Warn, recoveries at Info, every bundle at Debug. Default nil:
	// discard.
	Logger *slog.Logger
}

// Defaults of UploaderConfig.
const (
	DefaultMaxBundleBytes = 4 << 20
	DefaultMaxAge         = 2 * time.Second
	DefaultPollInterval   = 200 * time.Millisecond
)

// Retries of a failed upload (or log read) wait from uploadRetryMin,
// doubling, up to uploadRetryMax.
const (
	uploadRetryMin = 250 * time.Millisecond
	uploadRetryMax = 30 * time.Second
)

// readPage is how many records one Log.Since call reads.
const readPage = 256

// Names of the uploader's values in the Log.
//
// NB: these names and the encodings of their values (see encodeCursor and
// encodeIntent) are a durable format and must not change.
const (
	uploadCursorValue = "upload-cursor"
	uploadIntentValue = "upload-intent"
)

// Uploader copies the scheduler's log to permanent storage: every record,
// in the log's global order, packed into ANS-104 bundles put with
// Store.PutBundle. A Process record contributes its Process item; an Entry
// contributes its Assignment item and then its Message item (none for an
// assignment of an existing transaction), the order of the reference SU's
// bundles (protocol.md 1.5). Consecutive records share a bundle up to
// MaxBundleBytes or MaxAge; a record is never split across bundles.
//
// # Progress and crash safety
//
// The uploader's progress is a cursor, the global sequence number of the
// last record uploaded, kept in the Log as the named value
// "upload-cursor". Before each PutBundle it durably records an intent, the
// range of sequence numbers the bundle holds ("upload-intent"); after
// PutBundle succeeds it advances the cursor to the end of that range. An
// intent whose range ends at or below the cursor is spent, so it is never
// cleared (that would cost a third fsync per bundle).
//
// Delivery is at least once, and effectively exactly once in the store:
// when Run starts and finds an intent beyond the cursor, the process was
// stopped between the intent and the cursor write, perhaps after PutBundle
// had stored the bundle. It then asks Store.Transaction about each item of
// that range and uploads again only those the store does not hold, so the
// store never receives a bundle twice. A failed PutBundle (which may have
// stored the bundle before the error reached us, e.g. on a timeout) is
// retried the same way. Process items are put into the store directly when
// they are scheduled (so that GraphQL finds new processes at once), so they
// are always checked first and left out when held. A bundle whose items
// are all held is not put at all; the cursor just moves on.
//
// The check sees only what the store reports: a remote gateway that
// indexes a bundle's items only after the bundle is mined (arweave.net;
// arlocal for signers without balance) cannot report a bundle posted just
// before a crash, and that bundle is posted again. Against such a store
// delivery is at least once.
//
// # Failures
//
// Errors of the store or the log are logged, shown in Status().LastError
// and retried with exponential backoff (from 250 ms up to 30 s), forever:
// a record is never skipped, so a record the store refuses for good stops
// the uploader at that record (Status().Lag grows) until an operator
// steps in.
//
// # Durability of records
//
// Log.Since returns durable records only (see Log), so nothing uploaded
// can be lost by a crash of the scheduler and its nonce given again.
type Uploader struct {
	cfg     UploaderConfig
	log     *slog.Logger
	notify  chan struct{} // capacity 1: a pending hint
	running atomic.Bool

	mu struct {
		sync.Mutex
		uploaded uint64 // the cursor
		lastErr  string
	}
}

// UploadStatus is a snapshot of the uploader's progress.
type UploadStatus struct {
	// LogSeq is the newest record's sequence number in the log.
	LogSeq uint64 `json:"log_seq"`
	// Uploaded is the cursor: every record up to it is in the store. It
	// is 0 until Run has read the cursor from the log.
	Uploaded uint64 `json:"uploaded"`
	// Lag is the number of records in the log not yet uploaded
	// (LogSeq - Uploaded).
	Lag uint64 `json:"lag"`
	// LastError is the last failure, "" once an upload succeeds again.
	LastError string `json:"last_error,omitempty"`
}

// NewUploader checks cfg and fills its defaults. It does no I/O: Run
// reads the cursor.
func NewUploader(cfg UploaderConfig) (*Uploader, error) {
	switch {
	case cfg.Log == nil:
		return nil, errors.New("scheduler: UploaderConfig.Log is required")
	case cfg.Store == nil:
		return nil, errors.New("scheduler: UploaderConfig.Store is required")
	}
	if cfg.MaxBundleBytes <= 0 {
		cfg.MaxBundleBytes = DefaultMaxBundleBytes
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Uploader{
		cfg:    cfg,
		log:    logger.With("unit", "su", "component", "uploader"),
		notify: make(chan struct{}, 1),
	}, nil
}

// Notify tells the uploader that new records may exist, so that it reads
// the log now rather than at the next PollInterval. It never blocks.
func (u *Uploader) Notify() {
	select {
	case u.notify <- struct{}{}:
	default:
	}
}

// Status reports the uploader's progress. It is safe for concurrent use.
func (u *Uploader) Status() UploadStatus {
	// NB: LastSeq first: the cursor never passes a LastSeq read before
	// it, so Lag cannot underflow.
	logSeq := u.cfg.Log.LastSeq()
	u.mu.Lock()
	s := UploadStatus{LogSeq: logSeq, Uploaded: u.mu.uploaded, LastError: u.mu.lastErr}
	u.mu.Unlock()
	if s.LogSeq > s.Uploaded {
		s.Lag = s.LogSeq - s.Uploaded
	}
	return s
}

// Run uploads the log until ctx is done, then returns nil. It first
// finishes an upload a previous run left unfinished (see Uploader). It
// returns an error only when the uploader's values in the log cannot be
// decoded, or when Run is already running.
func (u *Uploader) Run(ctx context.Context) error {
	if !u.running.CompareAndSwap(false, true) {
		return errors.New("scheduler: uploader: Run is already running")
	}
	defer u.running.Store(false)

	var cursor, intentFirst, intentLast uint64
	err := u.retry(ctx, "read the upload cursor", func() error {
		var err error
		cursor, intentFirst, intentLast, err = u.loadProgress(ctx)
		return err
	})
	switch {
	case ctx.Err() != nil:
		return nil
	case err != nil:
		return err
	}
	u.setUploaded(cursor)
	if intentLast > cursor {
		u.log.Info("resuming an interrupted upload", "cursor", cursor, "intent_first", intentFirst, "intent_last", intentLast)
		var ok bool
		if cursor, ok = u.recover(ctx, cursor, intentLast); !ok {
			return nil
		}
	}

	var b pendingBundle
	read := cursor // the last record read into b
	for ctx.Err() == nil {
		var recs []Record
		if u.retry(ctx, "read the log", func() error {
			var err error
			recs, err = u.cfg.Log.Since(ctx, read, readPage)
			return err
		}) != nil {
			return nil
		}
		now := time.Now()
		for _, r := range recs {
			size := recordBundleBytes(r)
			if len(b.recs) > 0 && b.bytes+size > u.cfg.MaxBundleBytes {
				if !u.flush(ctx, &b, false) {
					return nil
				}
			}
			b.add(r, size, now)
			read = r.Seq()
		}
		if len(recs) == readPage {
			continue // more records are waiting
		}
		wait := u.cfg.PollInterval
		if len(b.recs) > 0 {
			due := time.Until(b.oldest.Add(u.cfg.MaxAge))
			if due <= 0 {
				if !u.flush(ctx, &b, false) {
					return nil
				}
				continue
			}
			wait = min(wait, due)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-u.notify:
		case <-t.C:
		}
		t.Stop()
	}
	return nil
}

// pendingBundle is the bundle being filled.
type pendingBundle struct {
	recs   []Record
	bytes  int64     // size of the bundle the records make
	oldest time.Time // when its oldest record entered the log
}

func (b *pendingBundle) add(r Record, size int64, now time.Time) {
	arrived := now
	if ts := time.UnixMilli(recordTimestamp(r)); ts.Before(now) {
		arrived = ts
	}
	if len(b.recs) == 0 {
		b.bytes = bundleHeaderBytes
		b.oldest = arrived
	}
	b.recs = append(b.recs, r)
	b.bytes += size
	if arrived.Before(b.oldest) {
		b.oldest = arrived
	}
}

// The ANS-104 bundle layout: a 32-byte item count, then a 64-byte header
// per item (protocol.md 1.5).
const (
	bundleHeaderBytes     = 32
	bundleItemHeaderBytes = 64
)

// recordBundleBytes is what a record adds to a bundle.
func recordBundleBytes(r Record) int64 {
	var n int64
	for _, it := range recordItems(r) {
		n += bundleItemHeaderBytes + int64(it.Size())
	}
	return n
}

// recordItems are the items a record contributes to a bundle, in order.
func recordItems(r Record) []*arweave.DataItem {
	if r.Process != nil {
		return []*arweave.DataItem{r.Process.Item}
	}
	if r.Entry.Message != nil {
		return []*arweave.DataItem{r.Entry.Assignment, r.Entry.Message}
	}
	return []*arweave.DataItem{r.Entry.Assignment}
}

func recordTimestamp(r Record) int64 {
	if r.Process != nil {
		return r.Process.Timestamp
	}
	return r.Entry.Timestamp
}

// flush uploads b (retrying until it succeeds) and empties it. It
// reports false if ctx ended first.
func (u *Uploader) flush(ctx context.Context, b *pendingBundle, recovering bool) bool {
	err := u.retry(ctx, "upload", func() error {
		err := u.upload(ctx, b.recs, recovering)
		// After a failure the bundle may have been stored all the same:
		// the next attempt checks what the store holds.
		recovering = true
		return err
	})
	if err != nil {
		return false
	}
	*b = pendingBundle{}
	return true
}

// recover finishes the upload of the records (cursor, last] that a
// previous run recorded as its intent, checking each item against the
// store. It returns the new cursor, or false if ctx ended first.
func (u *Uploader) recover(ctx context.Context, cursor, last uint64) (uint64, bool) {
	var recs []Record
	if u.retry(ctx, "read the log", func() error {
		recs = recs[:0]
		for after := cursor; after < last; {
			page, err := u.cfg.Log.Since(ctx, after, int(min(last-after, readPage)))
			if err != nil {
				return err
			}
			for _, r := range page {
				if r.Seq() <= last {
					recs = append(recs, r)
				}
			}
			if len(page) == 0 {
				break
			}
			after = page[len(page)-1].Seq()
		}
		return nil
	}) != nil {
		return 0, false
	}
	if len(recs) == 0 {
		// The records are gone (the log was replaced): nothing to finish.
		u.log.Warn("the interrupted upload's records are not in the log", "cursor", cursor, "intent_last", last)
		return cursor, true
	}
	b := pendingBundle{recs: recs}
	if !u.flush(ctx, &b, true) {
		return 0, false
	}
	return recs[len(recs)-1].Seq(), true
}

// upload puts the items of recs into the store as one bundle and advances
// the cursor to the last record. With recovering, or for Process items,
// items the store already holds are left out.
func (u *Uploader) upload(ctx context.Context, recs []Record, recovering bool) error {
	first, last := recs[0].Seq(), recs[len(recs)-1].Seq()
	var items []*arweave.DataItem
	seen := make(map[string]bool)
	held := 0
	for _, r := range recs {
		for _, it := range recordItems(r) {
			id := it.ID()
			if seen[id] {
				continue
			}
			seen[id] = true
			if recovering || r.Process != nil {
				ok, err := u.held(ctx, id)
				if err != nil {
					return err
				}
				if ok {
					held++
					continue
				}
			}
			items = append(items, it)
		}
	}
	if len(items) > 0 {
		if err := u.cfg.Log.SetValue(ctx, uploadIntentValue, encodeIntent(first, last)); err != nil {
			return fmt.Errorf("scheduler: uploader: record the intent %d-%d: %w", first, last, err)
		}
		wrapper, err := u.cfg.Store.PutBundle(ctx, items)
		if err != nil {
			return fmt.Errorf("scheduler: uploader: put the bundle of records %d-%d: %w", first, last, err)
		}
		u.log.Debug("bundle uploaded", "bundle", wrapper, "first", first, "last", last, "items", len(items), "held", held)
	} else {
		u.log.Debug("records already in the store", "first", first, "last", last, "items", held)
	}
	if err := u.cfg.Log.SetValue(ctx, uploadCursorValue, encodeCursor(last)); err != nil {
		return fmt.Errorf("scheduler: uploader: advance the cursor to %d: %w", last, err)
	}
	u.setUploaded(last)
	return nil
}

// held reports whether the store holds id.
func (u *Uploader) held(ctx context.Context, id string) (bool, error) {
	_, err := u.cfg.Store.Transaction(ctx, id)
	switch {
	case err == nil:
		return true, nil
	case arweave.IsNotFound(err):
		return false, nil
	}
	return false, fmt.Errorf("scheduler: uploader: look up %s: %w", id, err)
}

// retry calls f until it succeeds or ctx is done (then it returns
// ctx.Err()), logging each failure and waiting with exponential backoff
// between attempts. An errPermanent failure is returned at once.
func (u *Uploader) retry(ctx context.Context, what string, f func() error) error {
	wait := uploadRetryMin
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil {
			u.setError("")
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, errPermanent) {
			return err
		}
		u.setError(err.Error())
		u.log.Warn("uploader: "+what+" failed; retrying", "attempt", attempt, "in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, uploadRetryMax)
	}
}

// errPermanent marks failures retrying cannot cure.
var errPermanent = errors.New("permanent")

func (u *Uploader) setUploaded(seq uint64) {
	u.mu.Lock()
	u.mu.uploaded = seq
	u.mu.Unlock()
}

func (u *Uploader) setError(s string) {
	u.mu.Lock()
	u.mu.lastErr = s
	u.mu.Unlock()
}

// loadProgress reads the cursor and the last intent (0s when unset).
func (u *Uploader) loadProgress(ctx context.Context) (cursor, first, last uint64, err error) {
	v, err := u.cfg.Log.Value(ctx, uploadCursorValue)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("scheduler: uploader: read %s: %w", uploadCursorValue, err)
	}
	if cursor, err = decodeCursor(v); err != nil {
		return 0, 0, 0, err
	}
	v, err = u.cfg.Log.Value(ctx, uploadIntentValue)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("scheduler: uploader: read %s: %w", uploadIntentValue, err)
	}
	if first, last, err = decodeIntent(v); err != nil {
		return 0, 0, 0, err
	}
	return cursor, first, last, nil
}

// The cursor is 8 bytes, the intent 16 (first, last), big-endian, like
// the scheduler's clock value.
func encodeCursor(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func encodeIntent(first, last uint64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, first), last)
}

func decodeCursor(v []byte) (uint64, error) {
	switch len(v) {
	case 0:
		return 0, nil
	case 8:
		return binary.BigEndian.Uint64(v), nil
	}
	return 0, fmt.Errorf("scheduler: uploader: %w: corrupt %s value of %d bytes", errPermanent, uploadCursorValue, len(v))
}

func decodeIntent(v []byte) (first, last uint64, err error) {
	switch len(v) {
	case 0:
		return 0, 0, nil
	case 16:
		return binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:]), nil
	}
	return 0, 0, fmt.Errorf("scheduler: uploader: %w: corrupt %s value of %d bytes", errPermanent, uploadIntentValue, len(v))
}
