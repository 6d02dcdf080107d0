package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/aogo-dev/aogo/arweave"
)

// txFields are the Transaction fields every transactions query asks for.
const txFields = `id anchor signature recipient owner { address key } data { size type } tags { name value } block { id height timestamp previous } bundledIn { id }`

// blockFields are the Block fields every blocks query asks for.
const blockFields = `id height timestamp previous`

// gqlRequest is a GraphQL request body.
type gqlRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
}

// gqlError is one entry of a GraphQL errors list.
type gqlError struct {
	Message string `json:"message"`
}

// graphql posts a query and decodes its data into v.
func (s *Store) graphql(ctx context.Context, req gqlRequest, v any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("remote: encode GraphQL request: %w", err)
	}
	r, err := s.do(ctx, http.MethodPost, "/graphql", "application/json", body, maxJSONBody)
	if err != nil {
		return err
	}
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	jerr := json.Unmarshal(r.body, &resp)
	if r.status != http.StatusOK || jerr != nil || len(resp.Errors) > 0 {
		herr := s.httpError(http.MethodPost, "/graphql", r, false)
		if jerr == nil && len(resp.Errors) > 0 {
			gerr := &GraphQLError{HTTP: herr.(*HTTPError)}
			for _, e := range resp.Errors {
				gerr.Messages = append(gerr.Messages, e.Message)
			}
			return gerr
		}
		if r.status == http.StatusOK {
			return fmt.Errorf("remote: GraphQL answer is not JSON: %v (%w)", jerr, herr)
		}
		return herr
	}
	if err := json.Unmarshal(resp.Data, v); err != nil {
		return fmt.Errorf("remote: GraphQL answer has unexpected data: %w", err)
	}
	return nil
}

// GraphQLError is a GraphQL answer that holds errors.
type GraphQLError struct {
	Messages []string
	HTTP     *HTTPError // the answer
}

func (e *GraphQLError) Error() string {
	return fmt.Sprintf("remote: GraphQL error: %s (%s %s: %s)", strings.Join(e.Messages, "; "), e.HTTP.Method, e.HTTP.URL, e.HTTP.Status)
}

// badCursor wraps err with arweave.ErrBadCursor when it is the gateway's
// complaint about the "after" cursor of a query that has one.
func badCursor(err error, after string) error {
	var gerr *GraphQLError
	if after == "" || !errors.As(err, &gerr) {
		return err
	}
	for _, m := range gerr.Messages {
		if strings.Contains(strings.ToLower(m), "cursor") {
			return fmt.Errorf("%w %q: %w", arweave.ErrBadCursor, after, err)
		}
	}
	return err
}

// gqlTransaction is a Transaction node as gateways report it.
type gqlTransaction struct {
	ID        string `json:"id"`
	Anchor    string `json:"anchor"`
	Signature string `json:"signature"`
	Recipient string `json:"recipient"`
	Owner     struct {
		Address string `json:"address"`
		Key     string `json:"key"`
	} `json:"owner"`
	Data struct {
		Size json.Number `json:"size"`
		Type *string     `json:"type"`
	} `json:"data"`
	Tags      []arweave.Tag `json:"tags"`
	Block     *gqlBlock     `json:"block"`
	BundledIn *struct {
		ID string `json:"id"`
	} `json:"bundledIn"`
}

type gqlBlock struct {
	ID        string      `json:"id"`
	Height    json.Number `json:"height"`
	Timestamp json.Number `json:"timestamp"`
	Previous  string      `json:"previous"`
}

type gqlPageInfo struct {
	HasNextPage bool `json:"hasNextPage"`
}

func (b *gqlBlock) block() (*arweave.Block, error) {
	if b == nil {
		return nil, nil
	}
	h, err := strconv.ParseInt(b.Height.String(), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("block %s: height %q: %w", b.ID, b.Height, err)
	}
	var ts int64
	if b.Timestamp != "" {
		if ts, err = strconv.ParseInt(b.Timestamp.String(), 10, 64); err != nil {
			return nil, fmt.Errorf("block %s: timestamp %q: %w", b.ID, b.Timestamp, err)
		}
	}
	return &arweave.Block{ID: b.ID, Height: h, Timestamp: ts, Previous: b.Previous}, nil
}

// transaction converts a node into an arweave.Transaction.
func (n *gqlTransaction) transaction() (*arweave.Transaction, error) {
	fail := func(field string, err error) (*arweave.Transaction, error) {
		return nil, fmt.Errorf("remote: GraphQL transaction %s: %s: %w", n.ID, field, err)
	}
	tx := &arweave.Transaction{
		ID:           n.ID,
		OwnerAddress: n.Owner.Address,
		Target:       n.Recipient,
		Tags:         arweave.Tags(n.Tags),
	}
	var err error
	if n.Signature != "" {
		if tx.Signature, err = arweave.DecodeB64(n.Signature); err != nil {
			return fail("signature", err)
		}
	}
	if n.Owner.Key != "" {
		if tx.Owner, err = arweave.DecodeB64(n.Owner.Key); err != nil {
			return fail("owner key", err)
		}
	}
	if tx.OwnerAddress == "" && len(tx.Owner) > 0 {
		tx.OwnerAddress = arweave.NativeAddress(tx.Owner)
	}
	tx.Anchor = decodeAnchor(n.Anchor)
	if n.Data.Size != "" {
		if tx.DataSize, err = strconv.ParseInt(n.Data.Size.String(), 10, 64); err != nil {
			return fail("data size", err)
		}
	}
	tx.ContentType = tx.Tags.Value("Content-Type")
	if tx.ContentType == "" && n.Data.Type != nil {
		tx.ContentType = *n.Data.Type
	}
	if tx.Block, err = n.Block.block(); err != nil {
		return fail("block", err)
	}
	if n.BundledIn != nil {
		tx.BundledIn = n.BundledIn.ID
	}
	return tx, nil
}

// decodeAnchor reads an anchor as gateways report it: b64url of the raw
// bytes; a value that is not b64url is taken as the raw string.
func decodeAnchor(s string) []byte {
	if s == "" {
		return nil
	}
	if b, err := arweave.DecodeB64(s); err == nil {
		return b
	}
	return []byte(s)
}

// buildTxQuery writes q as a GraphQL transactions query with variables.
// Only the filters q sets are sent: an explicit null would replace the
// schema's defaults.
func buildTxQuery(q arweave.TxQuery) gqlRequest {
	a := newGQLArgs()
	add := a.add
	if len(q.IDs) > 0 {
		add("ids", "[ID!]", q.IDs)
	}
	if len(q.Owners) > 0 {
		add("owners", "[String!]", q.Owners)
	}
	if len(q.Recipients) > 0 {
		add("recipients", "[String!]", q.Recipients)
	}
	if len(q.Tags) > 0 {
		tags := make([]map[string]any, len(q.Tags))
		for i, t := range q.Tags {
			f := map[string]any{"name": t.Name, "values": nonNil(t.Values)}
			if t.NotEqual {
				f["op"] = "NEQ"
			}
			tags[i] = f
		}
		add("tags", "[TagFilter!]", tags)
	}
	if len(q.BundledIn) > 0 {
		add("bundledIn", "[ID!]", q.BundledIn)
	}
	if q.MinHeight != nil || q.MaxHeight != nil {
		add("block", "BlockFilter", heightFilter(q.MinHeight, q.MaxHeight))
	}
	return a.connection("Transactions", "transactions", txFields, q.First, q.After, q.Sort)
}

// buildBlockQuery writes q as a GraphQL blocks query with variables.
func buildBlockQuery(q arweave.BlockQuery) gqlRequest {
	a := newGQLArgs()
	if len(q.IDs) > 0 {
		a.add("ids", "[ID!]", q.IDs)
	}
	if q.MinHeight != nil || q.MaxHeight != nil {
		a.add("height", "BlockFilter", heightFilter(q.MinHeight, q.MaxHeight))
	}
	return a.connection("Blocks", "blocks", blockFields, q.First, q.After, q.Sort)
}

// gqlArgs collects the arguments of one GraphQL field, each passed as a
// variable ($name) so that values need no escaping.
type gqlArgs struct {
	params, args []string
	vars         map[string]any
}

func newGQLArgs() *gqlArgs { return &gqlArgs{vars: map[string]any{}} }

func (a *gqlArgs) add(name, typ string, v any) {
	a.params = append(a.params, "$"+name+": "+typ)
	a.args = append(a.args, name+": $"+name)
	a.vars[name] = v
}

// connection adds the paging arguments and writes the query of a
// connection field (transactions or blocks) selecting fields on each node.
func (a *gqlArgs) connection(op, field, fields string, first int, after string, sort arweave.SortOrder) gqlRequest {
	a.add("first", "Int", arweave.PageSize(first))
	if after != "" {
		a.add("after", "String", after)
	}
	a.add("sort", "SortOrder", sortName(sort))
	return gqlRequest{
		Query: "query " + op + "(" + strings.Join(a.params, ", ") + ") { " + field + "(" + strings.Join(a.args, ", ") +
			") { pageInfo { hasNextPage } edges { cursor node { " + fields + " } } } }",
		Variables: a.vars,
	}
}

func heightFilter(minH, maxH *int64) map[string]any {
	f := map[string]any{}
	if minH != nil {
		f["min"] = *minH
	}
	if maxH != nil {
		f["max"] = *maxH
	}
	return f
}

func sortName(o arweave.SortOrder) string {
	if o == arweave.HeightAsc {
		return "HEIGHT_ASC"
	}
	return "HEIGHT_DESC"
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// Query implements arweave.Store.
func (s *Store) Query(ctx context.Context, q arweave.TxQuery) (*arweave.TxPage, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	return s.query(ctx, q)
}

// gqlConnection is a GraphQL connection (transactions or blocks) of nodes N.
type gqlConnection[N any] struct {
	PageInfo gqlPageInfo `json:"pageInfo"`
	Edges    []struct {
		Cursor string `json:"cursor"`
		Node   N      `json:"node"`
	} `json:"edges"`
}

func (s *Store) query(ctx context.Context, q arweave.TxQuery) (*arweave.TxPage, error) {
	var data struct {
		Transactions gqlConnection[gqlTransaction] `json:"transactions"`
	}
	if err := s.graphql(ctx, buildTxQuery(q), &data); err != nil {
		return nil, badCursor(err, q.After)
	}
	page := &arweave.TxPage{HasNextPage: data.Transactions.PageInfo.HasNextPage, Edges: make([]arweave.TxEdge, 0, len(data.Transactions.Edges))}
	for _, e := range data.Transactions.Edges {
		tx, err := e.Node.transaction()
		if err != nil {
			return nil, err
		}
		page.Edges = append(page.Edges, arweave.TxEdge{Cursor: e.Cursor, Node: tx})
	}
	return page, nil
}

// node returns the GraphQL node of one id, or arweave.ErrNotFound.
func (s *Store) node(ctx context.Context, id string) (*gqlTransaction, error) {
	var data struct {
		Transactions gqlConnection[gqlTransaction] `json:"transactions"`
	}
	if err := s.graphql(ctx, buildTxQuery(arweave.TxQuery{IDs: []string{id}, First: 1}), &data); err != nil {
		return nil, err
	}
	for _, e := range data.Transactions.Edges {
		if e.Node.ID == id {
			n := e.Node
			return &n, nil
		}
	}
	return nil, fmt.Errorf("remote: %s: %w", id, arweave.ErrNotFound)
}

// Transaction implements arweave.Store.
func (s *Store) Transaction(ctx context.Context, id string) (*arweave.Transaction, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	n, err := s.node(ctx, id)
	if err != nil {
		return nil, err
	}
	return n.transaction()
}

// Blocks implements arweave.Store.
func (s *Store) Blocks(ctx context.Context, q arweave.BlockQuery) (*arweave.BlockPage, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	return s.blocks(ctx, q)
}

func (s *Store) blocks(ctx context.Context, q arweave.BlockQuery) (*arweave.BlockPage, error) {
	var data struct {
		Blocks gqlConnection[gqlBlock] `json:"blocks"`
	}
	if err := s.graphql(ctx, buildBlockQuery(q), &data); err != nil {
		return nil, badCursor(err, q.After)
	}
	page := &arweave.BlockPage{HasNextPage: data.Blocks.PageInfo.HasNextPage, Edges: make([]arweave.BlockEdge, 0, len(data.Blocks.Edges))}
	for _, e := range data.Blocks.Edges {
		b, err := e.Node.block()
		if err != nil {
			return nil, fmt.Errorf("remote: GraphQL %w", err)
		}
		page.Edges = append(page.Edges, arweave.BlockEdge{Cursor: e.Cursor, Node: b})
	}
	return page, nil
}
