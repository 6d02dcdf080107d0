package arweave

import (
	"context"
	"errors"
)

// Store holds data items and answers the questions AO units and clients
// ask a gateway. Implementations: arweave/embedded (on-disk, the default)
// and arweave/remote (a real gateway or arlocal over HTTP).
//
// All methods are safe for concurrent use. Items handed to PutItems must
// already be verified (ParseDataItem + Verify); a Store does not re-check
// signatures. Returned values are owned by the caller.
type Store interface {
	// PutItems stores items. When it returns nil every item is durable and
	// readable through Item, Data, Transaction and Query (before any block
	// is mined: blocks only add height and confirmations). An item whose
	// tags mark an ANS-104 bundle (IsBundle) is unbundled and each nested
	// item is indexed with BundledIn set to the bundle's id, recursively.
	// Putting an id the store already holds is a no-op, not an error.
	PutItems(ctx context.Context, items ...*DataItem) error

	// PutBundle packs items (already verified) into one ANS-104 bundle and
	// stores it: the embedded store wraps it in a data item signed by its
	// wallet; the remote store posts it as an Arweave transaction (chunk
	// upload) or, against a bundler, as a signed bundle item. It returns
	// the id of the wrapping item or transaction. Every nested item is
	// readable by its own id afterwards (on a real gateway after mining).
	PutBundle(ctx context.Context, items []*DataItem) (string, error)

	// Item returns the ANS-104 item with this id, or ErrNotFound.
	Item(ctx context.Context, id string) (*DataItem, error)

	// Data returns the data of the item or transaction with this id, or
	// ErrNotFound.
	Data(ctx context.Context, id string) ([]byte, error)

	// Transaction returns what the gateway knows about an id: the item's
	// fields, its block (nil while pending) and its parent bundle; or
	// ErrNotFound.
	Transaction(ctx context.Context, id string) (*Transaction, error)

	// Query answers a GraphQL transactions query: filters are ANDed,
	// values within one filter ORed. A cursor the store did not issue
	// fails with ErrBadCursor.
	Query(ctx context.Context, q TxQuery) (*TxPage, error)

	// Blocks answers a GraphQL blocks query (ErrBadCursor as Query).
	Blocks(ctx context.Context, q BlockQuery) (*BlockPage, error)

	// Info returns the network info: the current height and block.
	Info(ctx context.Context) (*Info, error)
}

// Miner is implemented by stores that can produce a block on demand (the
// embedded store, and arlocal through the remote store): every pending
// item is put into a new block.
type Miner interface {
	Mine(ctx context.Context) (*Block, error)
}

// Transaction is the gateway view of an item or transaction, the node of
// a GraphQL transactions query.
type Transaction struct {
	ID           string
	Signature    []byte
	Owner        []byte // the public key
	OwnerAddress string // b64url(SHA-256(owner)), as gateways report it
	Target       string // b64url id of the recipient, or ""
	Anchor       []byte // raw anchor bytes, or nil
	Tags         Tags
	DataSize     int64
	ContentType  string // the Content-Type tag, or ""
	Block        *Block // nil while pending
	BundledIn    string // id of the bundle that holds this item, or ""
}

// Block is a block of the (possibly emulated) weave.
type Block struct {
	ID        string
	Height    int64
	Timestamp int64 // seconds since the Unix epoch, as Arweave reports it
	Previous  string
}

// Info is what GET /info reports.
type Info struct {
	Network string
	Height  int64
	Current string // id of the newest block
	Blocks  int64  // number of blocks, Height+1
}

// SortOrder orders query results by block height.
type SortOrder int

// The sort orders of the GraphQL schema. Within a height (and for pending
// items, which sort as newer than every block) results are in the order the
// store received them.
const (
	HeightDesc SortOrder = iota // HEIGHT_DESC, the default
	HeightAsc                   // HEIGHT_ASC
)

// TagFilter selects items with a tag named Name whose value is one of
// Values (or, with NotEqual, none of them).
type TagFilter struct {
	Name     string
	Values   []string
	NotEqual bool
}

// TxQuery is a GraphQL transactions query. Zero values mean "no filter".
type TxQuery struct {
	IDs        []string
	Owners     []string // addresses (b64url, or 0x for Ethereum keys)
	Recipients []string
	Tags       []TagFilter
	BundledIn  []string
	MinHeight  *int64
	MaxHeight  *int64
	First      int    // page size; 0 means DefaultPageSize, capped at MaxPageSize
	After      string // cursor of the last edge of the previous page
	Sort       SortOrder
}

// Page size limits of queries, as arweave.net applies them.
const (
	DefaultPageSize = 10
	MaxPageSize     = 1000
)

// TxPage is one page of query results.
type TxPage struct {
	Edges       []TxEdge
	HasNextPage bool
}

// TxEdge is one query result and the cursor that continues after it.
type TxEdge struct {
	Cursor string
	Node   *Transaction
}

// BlockQuery is a GraphQL blocks query.
type BlockQuery struct {
	IDs       []string
	MinHeight *int64
	MaxHeight *int64
	First     int
	After     string
	Sort      SortOrder
}

// BlockPage is one page of blocks.
type BlockPage struct {
	Edges       []BlockEdge
	HasNextPage bool
}

// BlockEdge is one block and its cursor.
type BlockEdge struct {
	Cursor string
	Node   *Block
}

// PageSize applies the default and the cap to a requested page size.
func PageSize(first int) int {
	switch {
	case first <= 0:
		return DefaultPageSize
	case first > MaxPageSize:
		return MaxPageSize
	}
	return first
}

// IsNotFound reports whether err means an id is unknown.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
