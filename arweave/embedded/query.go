package embedded

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/cockroachdb/pebble"
)

// encodeCursor makes the opaque cursor of an edge: base64url of the 8-byte
// big-endian sequence number (items) or height (blocks).
func encodeCursor(n uint64) string {
	return base64.RawURLEncoding.EncodeToString(binary.BigEndian.AppendUint64(nil, n))
}

func decodeCursor(c string) (uint64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) != 8 {
		return 0, fmt.Errorf("%w: %q was not returned by this store", arweave.ErrBadCursor, c)
	}
	return binary.BigEndian.Uint64(b), nil
}

// Query answers a transactions query. See the package documentation for
// the filter semantics and the strategy.
func (s *Store) Query(ctx context.Context, q arweave.TxQuery) (*arweave.TxPage, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	page, err := s.query(ctx, q)
	if err != nil {
		if errors.Is(err, arweave.ErrBadCursor) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		return nil, fmt.Errorf("embedded: query: %w", err)
	}
	return page, nil
}

func (s *Store) query(ctx context.Context, q arweave.TxQuery) (*arweave.TxPage, error) {
	dir := descending
	if q.Sort == arweave.HeightAsc {
		dir = ascending
	}
	lo, hi := uint64(firstSeq), uint64(maxSeq)
	if q.After != "" {
		c, err := decodeCursor(q.After)
		if err != nil {
			return nil, err
		}
		if dir == ascending {
			if c >= maxSeq {
				return emptyTxPage(), nil
			}
			lo = max(lo, c+1)
		} else {
			if c <= firstSeq {
				return emptyTxPage(), nil
			}
			hi = min(hi, c-1)
		}
	}

	snap := s.db.NewSnapshot()
	defer snap.Close()

	// Heights are ranges of sequence numbers (see doc.go), so a height
	// filter narrows the range. It excludes pending items.
	if q.MinHeight != nil || q.MaxHeight != nil {
		head, err := lastBlock(snap)
		if err != nil {
			return nil, err
		}
		if head == nil {
			return nil, fmt.Errorf("%w: no blocks", ErrCorrupt)
		}
		top := head.height
		if q.MaxHeight != nil {
			top = min(top, *q.MaxHeight)
		}
		if top < 0 {
			return emptyTxPage(), nil
		}
		r, err := readBlock(snap, top)
		if err != nil || r == nil {
			return nil, errors.Join(err, fmt.Errorf("%w: no block at height %d", ErrCorrupt, top))
		}
		hi = min(hi, r.lastSeq)
		if q.MinHeight != nil && *q.MinHeight > 0 {
			if *q.MinHeight > head.height {
				return emptyTxPage(), nil
			}
			r, err := readBlock(snap, *q.MinHeight-1)
			if err != nil || r == nil {
				return nil, errors.Join(err, fmt.Errorf("%w: no block at height %d", ErrCorrupt, *q.MinHeight-1))
			}
			lo = max(lo, r.lastSeq+1)
		}
	}
	if lo > hi {
		return emptyTxPage(), nil
	}

	plan, err := planQuery(snap, q, dir, lo, hi)
	if err != nil {
		return nil, err
	}
	if plan.empty {
		return emptyTxPage(), nil
	}
	defer plan.src.close()

	n := arweave.PageSize(q.First)
	page := emptyTxPage()
	bl := newBlockLookup(snap)
	defer bl.close()
	start := lo
	if dir == descending {
		start = hi
	}
	checked := 0
	for ok := plan.src.seek(start); ok; ok = plan.src.next() {
		if checked++; checked%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		id := plan.src.id()
		rec, err := readItemRecord(snap, id)
		if err != nil {
			return nil, err
		}
		if len(plan.post) > 0 {
			h, err := arweave.ParseDataItem(rec.header)
			if err != nil {
				return nil, fmt.Errorf("%w: header of %s: %v", ErrCorrupt, arweave.B64(id), err)
			}
			if !matchesAll(h.Tags, plan.post) {
				continue
			}
		}
		if len(page.Edges) == n {
			page.HasNextPage = true
			break
		}
		tx, err := transaction(slices.Clone(id), rec, bl)
		if err != nil {
			return nil, err
		}
		page.Edges = append(page.Edges, arweave.TxEdge{Cursor: encodeCursor(rec.seq), Node: tx})
	}
	if err := plan.src.err(); err != nil {
		return nil, err
	}
	return page, nil
}

func emptyTxPage() *arweave.TxPage { return &arweave.TxPage{Edges: []arweave.TxEdge{}} }

// queryPlan is the stream of candidates and the tag filters to check on
// each (those no index answers).
type queryPlan struct {
	src   stream
	post  []arweave.TagFilter
	empty bool // some filter can match nothing
}

// planQuery turns the filters into index streams, intersected: each
// filter is a union of the index ranges of its values, and the
// intersection leapfrogs between them, so the most selective filter drives
// the scan without statistics.
func planQuery(r pebble.Reader, q arweave.TxQuery, dir direction, lo, hi uint64) (*queryPlan, error) {
	p := &queryPlan{}
	var parts []stream
	fail := func(err error) (*queryPlan, error) {
		for _, s := range parts {
			s.close()
		}
		return nil, err
	}
	addUnion := func(prefixes [][]byte) error {
		if len(prefixes) == 0 {
			p.empty = true
			return nil
		}
		var leaves []stream
		for _, pre := range prefixes {
			l, err := newLeaf(r, pre, dir, lo, hi)
			if err != nil {
				for _, s := range leaves {
					s.close()
				}
				return err
			}
			leaves = append(leaves, l)
		}
		if len(leaves) == 1 {
			parts = append(parts, leaves[0])
		} else {
			parts = append(parts, &union{dir: dir, c: leaves})
		}
		return nil
	}

	if len(q.IDs) > 0 {
		l, err := newIDStream(r, q.IDs, dir, lo, hi)
		if err != nil {
			return fail(err)
		}
		parts = append(parts, l)
	}
	if len(q.Owners) > 0 {
		var ps [][]byte
		for _, o := range dedupe(q.Owners) {
			if pre, ok := ownerPrefix(o); ok {
				ps = append(ps, pre)
			}
		}
		if err := addUnion(dedupeBytes(ps)); err != nil {
			return fail(err)
		}
	}
	if len(q.Recipients) > 0 {
		if err := addUnion(idPrefixes(prefixRecipient, q.Recipients)); err != nil {
			return fail(err)
		}
	}
	if len(q.BundledIn) > 0 {
		if err := addUnion(idPrefixes(prefixBundled, q.BundledIn)); err != nil {
			return fail(err)
		}
	}
	for _, f := range q.Tags {
		if f.NotEqual || len(f.Values) == 0 {
			p.post = append(p.post, f)
			continue
		}
		var ps [][]byte
		for _, v := range dedupe(f.Values) {
			if pre, ok := tagPrefix(f.Name, v); ok {
				ps = append(ps, pre)
			}
		}
		if err := addUnion(ps); err != nil {
			return fail(err)
		}
	}
	if p.empty {
		for _, s := range parts {
			s.close()
		}
		return p, nil
	}
	switch len(parts) {
	case 0:
		l, err := newLeaf(r, []byte(prefixSeq), dir, lo, hi)
		if err != nil {
			return nil, err
		}
		p.src = l
	case 1:
		p.src = parts[0]
	default:
		p.src = &intersection{dir: dir, c: parts}
	}
	return p, nil
}

// matchesAll checks the tag filters that no index answered:
//   - Values empty, NotEqual false: the item has a tag named Name.
//   - NotEqual: the item has a tag named Name, and none of its tags named
//     Name has a value in Values.
func matchesAll(tags arweave.Tags, filters []arweave.TagFilter) bool {
	for _, f := range filters {
		named, hit := false, false
		for _, t := range tags {
			if t.Name != f.Name {
				continue
			}
			named = true
			if slices.Contains(f.Values, t.Value) {
				hit = true
			}
		}
		if !named || (f.NotEqual && hit) {
			return false
		}
	}
	return true
}

func idPrefixes(prefix string, ids []string) [][]byte {
	var ps [][]byte
	for _, id := range dedupe(ids) {
		raw, err := arweave.DecodeID(id)
		if err != nil {
			continue // not an id: matches nothing
		}
		ps = append(ps, append([]byte(prefix), raw...))
	}
	return ps
}

func dedupe(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}

func dedupeBytes(bs [][]byte) [][]byte {
	slices.SortFunc(bs, bytes.Compare)
	return slices.CompactFunc(bs, bytes.Equal)
}
