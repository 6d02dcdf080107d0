package scheduler

import (
	"context"
	"errors"

	"github.com/aogo-dev/aogo/arweave"
)

// Log is the durable, ordered store of a scheduler: processes, the
// entries (assignment + message) of each process in nonce order, a global
// append order for the uploader, and a few named values. The embedded
// implementation is scheduler/pebblelog.
//
// Concurrency: every method is safe for concurrent use. Append is called
// by the process's sequencer only, in nonce order.
//
// Durability: readers (Process, Last, Find, Entries, Since) see a record
// only once it is durable, so that nothing anyone reads can be lost by a
// crash (and its nonce given to another message). Append itself checks
// duplicates and nonces against every appended record, durable or not.
type Log interface {
	// Process returns the scheduled process with this id, or an error
	// wrapping ErrUnknownProcess.
	Process(ctx context.Context, pid string) (*Process, error)

	// Last returns the newest entry of process pid, or an error wrapping
	// ErrNotFound when it has none (the process may still exist).
	Last(ctx context.Context, pid string) (*Entry, error)

	// Find returns the entry of process pid that holds id as its message,
	// its assigned transaction or its assignment; with pid "" it looks
	// the id up across processes (message and assignment ids only). An
	// unknown id gives an error wrapping ErrNotFound.
	Find(ctx context.Context, pid, id string) (*Entry, error)

	// Entries returns the entries of process pid that r selects, in nonce
	// order, at most r.Limit of them, and whether more follow.
	Entries(ctx context.Context, pid string, r Range) (entries []*Entry, more bool, err error)

	// Append writes one record; appends of one process must not run
	// concurrently (its sequencer makes them one at a time), different
	// processes append in parallel. The returned wait function blocks
	// until the record is durable (fsync'd), after which readers see it;
	// it must be called before the record is acknowledged to anyone.
	// Concurrent appends share fsyncs (group commit). An Entry must
	// continue its process's log (nonce = last + 1, or 0); an id the
	// process already holds fails with ErrDuplicate. After a failed sync
	// the log refuses every later append (ErrLogFailed): the node must be
	// restarted, and continues from what reached the disk.
	Append(ctx context.Context, rec Record) (wait func() error, err error)

	// Sync returns once every record appended before the call is durable
	// (and readable). The sequencer uses it before it answers that an
	// item already exists: the existing record may still be in flight.
	Sync(ctx context.Context) error

	// Since returns up to limit records in global append order whose
	// sequence number is greater than after.
	Since(ctx context.Context, after uint64, limit int) ([]Record, error)

	// LastSeq is the sequence number of the newest appended record.
	LastSeq() uint64

	// Value returns a named value written by SetValue (nil if unset).
	Value(ctx context.Context, name string) ([]byte, error)

	// SetValue durably (fsync'd) stores a named value.
	SetValue(ctx context.Context, name string, value []byte) error

	// Close closes the log.
	Close() error
}

// Process is a scheduled Process data item with the time and height the
// scheduler gave it.
type Process struct {
	Item        *arweave.DataItem
	Timestamp   int64 // ms
	BlockHeight int64
	Seq         uint64 // position in the log's global order
}

// ID is the process id.
func (p *Process) ID() string { return p.Item.ID() }

// Entry is one assignment of a process's log: the signed Assignment item
// and the Message it orders (nil for an assignment of an existing
// transaction, whose id is AssignedID).
type Entry struct {
	Process     string
	Nonce       int64
	Epoch       int64
	Timestamp   int64 // ms
	BlockHeight int64
	HashChain   string
	Assignment  *arweave.DataItem
	Message     *arweave.DataItem // nil for POST /?assign=
	Seq         uint64            // position in the log's global order
}

// MessageID is the id of the message the entry orders: the Message item's
// id, or the assigned transaction's.
func (e *Entry) MessageID() string {
	if e.Message != nil {
		return e.Message.ID()
	}
	return e.Assignment.Tags.Value("Message")
}

// Record is one thing appended to a Log: exactly one of Process and Entry.
type Record struct {
	Process *Process
	Entry   *Entry
}

// Seq is the record's global sequence number.
func (r Record) Seq() uint64 {
	if r.Process != nil {
		return r.Process.Seq
	}
	return r.Entry.Seq
}

// Range selects entries of one process. With FromNonce or ToNonce set it
// selects by nonce (FromNonce exclusive, ToNonce inclusive), otherwise by
// timestamp (From exclusive, To inclusive), as the SU's GET /{pid} does.
// Nil bounds are open. Limit <= 0 means DefaultPageSize.
type Range struct {
	From, To           *int64
	FromNonce, ToNonce *int64
	Limit              int
}

// ByNonce reports whether r selects by nonce.
func (r Range) ByNonce() bool { return r.FromNonce != nil || r.ToNonce != nil }

// Errors of the Log and the Scheduler. Match them with errors.Is.
var (
	ErrNotFound       = errors.New("not found")
	ErrUnknownProcess = errors.New("unknown process")
	ErrDuplicate      = errors.New("already exists")
	ErrLogFailed      = errors.New("scheduler log failed; restart the node")
)
