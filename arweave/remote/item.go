package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aogo-dev/aogo/arweave"
)

// Bounds of the search for an item inside the bundles of its block (used
// only when the gateway neither reports the item's fields exactly nor names
// its bundle).
const (
	bundleSearchPages    = 10
	bundleSearchPageSize = 100
)

// Data implements arweave.Store: GET /raw/{id}, or GET /{id} on gateways
// that have no /raw (arlocal).
func (s *Store) Data(ctx context.Context, id string) ([]byte, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	return s.data(ctx, id, -1)
}

// data fetches the data of id. size is the data size GraphQL reported, or
// -1 when unknown.
func (s *Store) data(ctx context.Context, id string, size int64) ([]byte, error) {
	if _, err := arweave.DecodeID(id); err != nil {
		return nil, fmt.Errorf("remote: data of %q: %w", id, arweave.ErrNotFound)
	}
	if size == 0 {
		return []byte{}, nil
	}
	paths := []string{"/raw/" + id, "/" + id}
	if s.noRaw.Load() {
		paths = paths[1:]
	}
	var last error
	for i, path := range paths {
		r, err := s.do(ctx, http.MethodGet, path, "", nil, maxDataBody)
		if err != nil {
			return nil, err
		}
		switch r.status {
		case http.StatusOK:
			if i == 1 && !s.noRaw.Load() {
				s.noRaw.Store(true)
			}
			return r.body, nil
		case http.StatusNoContent:
			return []byte{}, nil
		case http.StatusNotFound:
			last = s.httpError(http.MethodGet, path, r, true)
			continue
		}
		return nil, fmt.Errorf("remote: data of %s: %w", id, s.httpError(http.MethodGet, path, r, false))
	}
	// arlocal answers 404 for the data of an item whose data is empty.
	if size < 0 {
		if n, err := s.node(ctx, id); err == nil && n.Data.Size.String() == "0" {
			return []byte{}, nil
		}
	}
	return nil, fmt.Errorf("remote: data of %s: %w", id, last)
}

// Item implements arweave.Store. It rebuilds the item from its GraphQL
// fields and its data and verifies it; when that does not give the signed
// item back, it reads the item out of its bundle (see the package comment).
func (s *Store) Item(ctx context.Context, id string) (*arweave.DataItem, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	n, err := s.node(ctx, id)
	if err != nil {
		return nil, err
	}
	tx, err := n.transaction()
	if err != nil {
		return nil, err
	}
	data, err := s.data(ctx, id, tx.DataSize)
	if err != nil {
		return nil, fmt.Errorf("remote: item %s: %w", id, err)
	}
	item, rerr := rebuild(tx, n.Anchor, data)
	if rerr == nil {
		return item, nil
	}
	s.log.Debug("remote: item not rebuilt from its fields, searching its bundle", "id", id, "err", rerr)
	item, err = s.fromBundle(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("remote: item %s: rebuilt from its fields: %v; %w", id, rerr, err)
	}
	return item, nil
}

// rebuild assembles the binary of a data item from the gateway's view of it
// and checks that it is the signed item with that id. anchor is the anchor
// as the gateway wrote it.
func rebuild(tx *arweave.Transaction, anchor string, data []byte) (*arweave.DataItem, error) {
	t, ok := arweave.SignatureTypeFor(len(tx.Owner), len(tx.Signature))
	if !ok {
		return nil, fmt.Errorf("%w: no data item signature type has a %d-byte owner and a %d-byte signature", arweave.ErrUnsupportedSignatureType, len(tx.Owner), len(tx.Signature))
	}
	var target []byte
	if tx.Target != "" {
		var err error
		if target, err = arweave.DecodeID(tx.Target); err != nil {
			return nil, fmt.Errorf("recipient: %w", err)
		}
	}
	// Gateways write the anchor as b64url of its bytes; some as the string
	// itself. Try what fits in 32 bytes.
	var anchors [][]byte
	switch {
	case anchor == "":
		anchors = [][]byte{nil}
	default:
		if b, err := arweave.DecodeB64(anchor); err == nil && len(b) == 32 {
			anchors = append(anchors, b)
		}
		if len(anchor) == 32 {
			anchors = append(anchors, []byte(anchor))
		}
	}
	if len(anchors) == 0 {
		return nil, fmt.Errorf("anchor %q is not 32 bytes", anchor)
	}
	var last error
	for _, a := range anchors {
		item, err := arweave.NewDataItem(t, tx.Signature, tx.Owner, target, a, tx.Tags, data)
		if err != nil {
			last = err
			continue
		}
		if item.ID() != tx.ID {
			last = fmt.Errorf("rebuilt item has id %s", item.ID())
			continue
		}
		if err := item.Verify(); err != nil {
			last = err
			continue
		}
		return item, nil
	}
	return nil, last
}

// errNotInBundle reports that no bundle searched holds the item.
var errNotInBundle = errors.New("no bundle the gateway reports holds it")

// fromBundle finds the item tx describes inside a bundle: the one the
// gateway names in bundledIn, else the bundles of the item's block (or the
// pending bundles, for a pending item).
func (s *Store) fromBundle(ctx context.Context, tx *arweave.Transaction) (*arweave.DataItem, error) {
	if tx.BundledIn != "" {
		return s.findInBundle(ctx, tx.BundledIn, tx.ID)
	}
	q := arweave.TxQuery{
		Tags:  []arweave.TagFilter{{Name: "Bundle-Format", Values: []string{"binary"}}, {Name: "Bundle-Version", Values: []string{"2.0.0"}}},
		First: bundleSearchPageSize,
	}
	if tx.Block != nil {
		h := tx.Block.Height
		q.MinHeight, q.MaxHeight = &h, &h
	}
	for range bundleSearchPages {
		page, err := s.query(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("search bundles: %w", err)
		}
		for _, e := range page.Edges {
			if e.Node.ID == tx.ID || (tx.Block == nil && e.Node.Block != nil) {
				continue
			}
			if tx.Block != nil && (e.Node.Block == nil || e.Node.Block.Height != tx.Block.Height) {
				continue
			}
			item, err := s.findInBundle(ctx, e.Node.ID, tx.ID)
			if err == nil {
				return item, nil
			}
			if !errors.Is(err, errNotInBundle) {
				s.log.Debug("remote: bundle search", "bundle", e.Node.ID, "err", err)
			}
		}
		if !page.HasNextPage || len(page.Edges) == 0 {
			break
		}
		q.After = page.Edges[len(page.Edges)-1].Cursor
	}
	return nil, errNotInBundle
}

// findInBundle reads bundle bundleID and returns its verified item id.
func (s *Store) findInBundle(ctx context.Context, bundleID, id string) (*arweave.DataItem, error) {
	b, err := s.data(ctx, bundleID, -1)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", bundleID, err)
	}
	items, err := arweave.DecodeBundle(b)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", bundleID, err)
	}
	for _, it := range items {
		if it.ID() == id {
			if err := it.Verify(); err != nil {
				return nil, fmt.Errorf("bundle %s: %w", bundleID, err)
			}
			// A copy, so that the item does not keep the whole bundle.
			return arweave.ParseDataItem(bytes.Clone(it.Bytes()))
		}
	}
	return nil, fmt.Errorf("bundle %s: %w", bundleID, errNotInBundle)
}
