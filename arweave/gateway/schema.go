package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"strconv"

	graphql "github.com/graph-gophers/graphql-go"
	gqllog "github.com/graph-gophers/graphql-go/log"

	"github.com/aogo-dev/aogo/arweave"
)

// schemaText is the subset of arweave.net's GraphQL schema that AO clients
// use (aoconnect, scheduler-utils, the reference CU), with the same names,
// types and defaults, so that their queries validate unchanged.
const schemaText = `
schema {
	query: Query
}

type Query {
	# One transaction or data item by id, or null.
	transaction(id: ID!): Transaction
	# Transactions matching every given filter; values within one filter are ORed.
	transactions(
		ids: [ID!]
		owners: [String!]
		recipients: [String!]
		tags: [TagFilter!]
		bundledIn: [ID!]
		block: BlockFilter
		first: Int = 10
		after: String
		sort: SortOrder = HEIGHT_DESC
	): TransactionConnection!
	# A block by id; the current block without an id.
	block(id: String): Block
	blocks(
		ids: [ID!]
		height: BlockFilter
		first: Int = 10
		after: String
		sort: SortOrder = HEIGHT_DESC
	): BlockConnection!
}

input TagFilter {
	name: String!
	values: [String!]!
	op: TagOperator = EQ
}

enum TagOperator {
	EQ
	NEQ
}

input BlockFilter {
	min: Int
	max: Int
}

enum SortOrder {
	HEIGHT_ASC
	HEIGHT_DESC
}

type PageInfo {
	hasNextPage: Boolean!
}

type TransactionConnection {
	pageInfo: PageInfo!
	edges: [TransactionEdge!]!
}

type TransactionEdge {
	cursor: String!
	node: Transaction!
}

type Transaction {
	id: ID!
	anchor: String!
	signature: String!
	recipient: String!
	owner: Owner!
	fee: Amount!
	quantity: Amount!
	data: MetaData!
	tags: [Tag!]!
	# Null while pending.
	block: Block
	# Deprecated alias of bundledIn.
	parent: Parent
	bundledIn: Bundle
}

type Owner {
	address: String!
	key: String!
}

type Amount {
	winston: String!
	ar: String!
}

type MetaData {
	size: String!
	type: String
}

type Tag {
	name: String!
	value: String!
}

type Block {
	id: ID!
	# Seconds since the Unix epoch.
	timestamp: Int!
	height: Int!
	previous: ID!
}

type Parent {
	id: ID!
}

type Bundle {
	id: ID!
}

type BlockConnection {
	pageInfo: PageInfo!
	edges: [BlockEdge!]!
}

type BlockEdge {
	cursor: String!
	node: Block!
}
`

func newSchema(store arweave.Store, log *slog.Logger) *graphql.Schema {
	panics := gqllog.LoggerFunc(func(ctx context.Context, v any) {
		log.ErrorContext(ctx, "gateway: graphql resolver panicked", "panic", v, "stack", string(debug.Stack()))
	})
	// NB: schemaText is a constant checked by every test; MustParseSchema
	// can only panic on a programming error.
	return graphql.MustParseSchema(schemaText, &resolver{store: store},
		graphql.MaxQueryLength(MaxGraphQLBytes),
		graphql.Logger(panics),
	)
}

// internalError wraps a store failure met by a resolver. Its text, which
// the client sees, says nothing about the cause; the HTTP handler finds it
// in the response, logs the cause and answers 500.
type internalError struct{ err error }

func (e *internalError) Error() string {
	return "internal error: the gateway's store failed (see its log)"
}
func (e *internalError) Unwrap() error { return e.err }

// resolverError turns a store error into the error a resolver returns.
func resolverError(err error) error {
	if errorStatus(err) == 500 {
		return &internalError{err: err}
	}
	return errors.New(trimPrefix(err.Error()))
}

type resolver struct {
	store arweave.Store
}

func (r *resolver) Transaction(ctx context.Context, args struct{ ID graphql.ID }) (*txResolver, error) {
	tx, err := r.store.Transaction(ctx, string(args.ID))
	if arweave.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, resolverError(err)
	}
	return &txResolver{tx}, nil
}

type tagFilterArg struct {
	Name   string
	Values []string
	Op     string
}

type blockFilterArg struct {
	Min *int32
	Max *int32
}

type txArgs struct {
	IDs        *[]graphql.ID
	Owners     *[]string
	Recipients *[]string
	Tags       *[]tagFilterArg
	BundledIn  *[]graphql.ID
	Block      *blockFilterArg
	First      int32
	After      *string
	Sort       string
}

func (r *resolver) Transactions(ctx context.Context, args txArgs) (*txConnection, error) {
	q := arweave.TxQuery{
		IDs:        idStrings(args.IDs),
		Owners:     deref(args.Owners),
		Recipients: deref(args.Recipients),
		BundledIn:  idStrings(args.BundledIn),
		First:      pageSize(args.First),
		After:      deref(args.After),
		Sort:       sortOrder(args.Sort),
	}
	if args.Tags != nil {
		for _, t := range *args.Tags {
			q.Tags = append(q.Tags, arweave.TagFilter{
				Name:     t.Name,
				Values:   t.Values,
				NotEqual: t.Op == "NEQ",
			})
		}
	}
	if args.Block != nil {
		q.MinHeight, q.MaxHeight = heights(args.Block)
	}
	page, err := r.store.Query(ctx, q)
	if err != nil {
		return nil, resolverError(err)
	}
	return &txConnection{page}, nil
}

func (r *resolver) Block(ctx context.Context, args struct{ ID *string }) (*blockResolver, error) {
	id := deref(args.ID)
	if id == "" {
		in, err := r.store.Info(ctx)
		if err != nil {
			return nil, resolverError(err)
		}
		if in.Current == "" {
			return nil, nil
		}
		id = in.Current
	}
	page, err := r.store.Blocks(ctx, arweave.BlockQuery{IDs: []string{id}, First: 1})
	if arweave.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, resolverError(err)
	}
	if len(page.Edges) == 0 || page.Edges[0].Node == nil {
		return nil, nil
	}
	return &blockResolver{page.Edges[0].Node}, nil
}

type blocksArgs struct {
	IDs    *[]graphql.ID
	Height *blockFilterArg
	First  int32
	After  *string
	Sort   string
}

func (r *resolver) Blocks(ctx context.Context, args blocksArgs) (*blockConnection, error) {
	q := arweave.BlockQuery{
		IDs:   idStrings(args.IDs),
		First: pageSize(args.First),
		After: deref(args.After),
		Sort:  sortOrder(args.Sort),
	}
	if args.Height != nil {
		q.MinHeight, q.MaxHeight = heights(args.Height)
	}
	page, err := r.store.Blocks(ctx, q)
	if err != nil {
		return nil, resolverError(err)
	}
	return &blockConnection{page}, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func idStrings(ids *[]graphql.ID) []string {
	if ids == nil {
		return nil
	}
	out := make([]string, len(*ids))
	for i, id := range *ids {
		out[i] = string(id)
	}
	return out
}

// pageSize maps the first argument to TxQuery.First. An explicit first of 0
// or less asks for the default page, as TxQuery's zero value does.
func pageSize(first int32) int { return arweave.PageSize(int(first)) }

func sortOrder(s string) arweave.SortOrder {
	if s == "HEIGHT_ASC" {
		return arweave.HeightAsc
	}
	return arweave.HeightDesc
}

func heights(f *blockFilterArg) (minHeight, maxHeight *int64) {
	if f.Min != nil {
		v := int64(*f.Min)
		minHeight = &v
	}
	if f.Max != nil {
		v := int64(*f.Max)
		maxHeight = &v
	}
	return minHeight, maxHeight
}

// toInt32 converts a height or timestamp for GraphQL's 32-bit Int.
func toInt32(v int64, what string) (int32, error) {
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, fmt.Errorf("%s %d does not fit in a GraphQL Int", what, v)
	}
	return int32(v), nil
}

type pageInfo struct{ hasNext bool }

func (p pageInfo) HasNextPage() bool { return p.hasNext }

type txConnection struct{ page *arweave.TxPage }

func (c *txConnection) PageInfo() pageInfo { return pageInfo{c.page.HasNextPage} }

func (c *txConnection) Edges() []*txEdge {
	edges := make([]*txEdge, 0, len(c.page.Edges))
	for _, e := range c.page.Edges {
		if e.Node != nil {
			edges = append(edges, &txEdge{e})
		}
	}
	return edges
}

type txEdge struct{ e arweave.TxEdge }

func (e *txEdge) Cursor() string    { return e.e.Cursor }
func (e *txEdge) Node() *txResolver { return &txResolver{e.e.Node} }

type txResolver struct{ tx *arweave.Transaction }

func (t *txResolver) ID() graphql.ID       { return graphql.ID(t.tx.ID) }
func (t *txResolver) Anchor() string       { return arweave.B64(t.tx.Anchor) }
func (t *txResolver) Signature() string    { return arweave.B64(t.tx.Signature) }
func (t *txResolver) Recipient() string    { return t.tx.Target }
func (t *txResolver) Owner() ownerResolver { return ownerResolver{t.tx} }
func (t *txResolver) Fee() amount          { return amount{} }
func (t *txResolver) Quantity() amount     { return amount{} }
func (t *txResolver) Data() metaData       { return metaData{t.tx} }

func (t *txResolver) Tags() []tagResolver {
	tags := make([]tagResolver, len(t.tx.Tags))
	for i, tag := range t.tx.Tags {
		tags[i] = tagResolver{tag}
	}
	return tags
}

func (t *txResolver) Block() *blockResolver {
	if t.tx.Block == nil {
		return nil
	}
	return &blockResolver{t.tx.Block}
}

func (t *txResolver) Parent() *idResolver    { return t.bundle() }
func (t *txResolver) BundledIn() *idResolver { return t.bundle() }

func (t *txResolver) bundle() *idResolver {
	if t.tx.BundledIn == "" {
		return nil
	}
	return &idResolver{t.tx.BundledIn}
}

type ownerResolver struct{ tx *arweave.Transaction }

func (o ownerResolver) Address() string { return o.tx.OwnerAddress }
func (o ownerResolver) Key() string     { return arweave.B64(o.tx.Owner) }

// amount is a fee or quantity: always zero, as data items carry neither.
type amount struct{}

func (amount) Winston() string { return "0" }
func (amount) Ar() string      { return "0.000000000000" }

type metaData struct{ tx *arweave.Transaction }

func (m metaData) Size() string { return strconv.FormatInt(m.tx.DataSize, 10) }

func (m metaData) Type() *string {
	if m.tx.ContentType == "" {
		return nil
	}
	ct := m.tx.ContentType
	return &ct
}

type tagResolver struct{ t arweave.Tag }

func (t tagResolver) Name() string  { return t.t.Name }
func (t tagResolver) Value() string { return t.t.Value }

type idResolver struct{ id string }

func (r *idResolver) ID() graphql.ID { return graphql.ID(r.id) }

type blockResolver struct{ b *arweave.Block }

func (b *blockResolver) ID() graphql.ID       { return graphql.ID(b.b.ID) }
func (b *blockResolver) Previous() graphql.ID { return graphql.ID(b.b.Previous) }

func (b *blockResolver) Height() (int32, error) { return toInt32(b.b.Height, "block height") }

func (b *blockResolver) Timestamp() (int32, error) {
	return toInt32(b.b.Timestamp, "block timestamp")
}

type blockConnection struct{ page *arweave.BlockPage }

func (c *blockConnection) PageInfo() pageInfo { return pageInfo{c.page.HasNextPage} }

func (c *blockConnection) Edges() []*blockEdge {
	edges := make([]*blockEdge, 0, len(c.page.Edges))
	for _, e := range c.page.Edges {
		if e.Node != nil {
			edges = append(edges, &blockEdge{e})
		}
	}
	return edges
}

type blockEdge struct{ e arweave.BlockEdge }

func (e *blockEdge) Cursor() string       { return e.e.Cursor }
func (e *blockEdge) Node() *blockResolver { return &blockResolver{e.e.Node} }
