package embedded

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/cockroachdb/pebble"
)

// newBlock builds the block at height after previous (nil for genesis)
// that confirms the items ids, the items with sequence numbers up to
// lastSeq. Its id is SHA-256(previous id || height || ids), so that it is
// determined by the chain and the items it confirms.
func newBlock(previous []byte, height int64, timestamp int64, lastSeq uint64, ids [][]byte) *blockRecord {
	h := sha256.New()
	h.Write(previous)
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(height)))
	for _, id := range ids {
		h.Write(id)
	}
	return &blockRecord{
		height:    height,
		id:        h.Sum(nil),
		timestamp: timestamp,
		lastSeq:   lastSeq,
		previous:  previous,
	}
}

// writeBlock writes a block's record and index keys to b.
func writeBlock(b *pebble.Batch, r *blockRecord) {
	b.Set(blockKey(r.height), r.encode(), nil)
	b.Set(blockIDKey(r.id), binary.BigEndian.AppendUint64(nil, uint64(r.height)), nil)
	b.Set(confirmKey(r.lastSeq, r.height), []byte{}, nil)
}

// readBlock returns the block at height, or nil.
func readBlock(r pebble.Reader, height int64) (*blockRecord, error) {
	v, ok, err := get(r, blockKey(height))
	if err != nil || !ok {
		return nil, err
	}
	return decodeBlockRecord(height, v)
}

// lastBlock returns the block with the greatest height, or nil.
func lastBlock(r pebble.Reader) (*blockRecord, error) {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: []byte(prefixBlock), UpperBound: prefixEnd([]byte(prefixBlock))})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	if !it.Last() {
		return nil, it.Error()
	}
	return blockFromIter(it)
}

func blockFromIter(it *pebble.Iterator) (*blockRecord, error) {
	k := it.Key()
	if len(k) != len(prefixBlock)+8 {
		return nil, fmt.Errorf("%w: block key %x", ErrCorrupt, k)
	}
	return decodeBlockRecord(int64(binary.BigEndian.Uint64(k[len(prefixBlock):])), slices.Clone(it.Value()))
}

func (r *blockRecord) block() *arweave.Block {
	b := &arweave.Block{ID: arweave.B64(r.id), Height: r.height, Timestamp: r.timestamp}
	if len(r.previous) > 0 {
		b.Previous = arweave.B64(r.previous)
	}
	return b
}

// Mine makes a new block that confirms every pending item (every item put
// before Mine was called that no block confirms yet), and returns it. It
// makes a block even when nothing is pending, as arlocal does. The block
// is durable when Mine returns.
func (s *Store) Mine(ctx context.Context) (*arweave.Block, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	s.mineMu.Lock()
	defer s.mineMu.Unlock()

	// Every item with seq <= last is applied (PutItems applies under mu),
	// so it is visible below and the WAL holds it before this block: a
	// durable block implies durable items.
	s.mu.Lock()
	last, head := s.mu.seq, s.mu.head
	s.mu.Unlock()

	var ids [][]byte
	it, err := s.db.NewIter(&pebble.IterOptions{
		LowerBound: binary.BigEndian.AppendUint64([]byte(prefixSeq), head.lastSeq+1),
		UpperBound: binary.BigEndian.AppendUint64([]byte(prefixSeq), last+1),
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: mine: %w", err)
	}
	for valid := it.First(); valid; valid = it.Next() {
		_, id, err := splitTail(it.Key())
		if err != nil {
			it.Close()
			return nil, fmt.Errorf("embedded: mine: %w", err)
		}
		ids = append(ids, slices.Clone(id))
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("embedded: mine: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	blk := newBlock(head.id, head.height+1, s.cfg.Now().Unix(), last, ids)
	b := s.db.NewBatch()
	defer b.Close()
	writeBlock(b, blk)
	if err := b.Commit(pebble.Sync); err != nil {
		return nil, fmt.Errorf("embedded: mine: %w", err)
	}
	s.mu.Lock()
	s.mu.head = blk
	s.mu.Unlock()
	s.log.Debug("mined", "height", blk.height, "items", len(ids))
	return blk.block(), nil
}

// Blocks answers a blocks query: blocks with one of q.IDs (if any) within
// the height range, newest first by default. Cursors are opaque.
func (s *Store) Blocks(ctx context.Context, q arweave.BlockQuery) (*arweave.BlockPage, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	asc := q.Sort == arweave.HeightAsc
	lo, hi := int64(0), int64(1<<62)
	if q.MinHeight != nil {
		lo = max(lo, *q.MinHeight)
	}
	if q.MaxHeight != nil {
		hi = min(hi, *q.MaxHeight)
	}
	if q.After != "" {
		c, err := decodeCursor(q.After)
		if err != nil {
			return nil, err
		}
		if c > 1<<62 {
			return nil, fmt.Errorf("%w: %q is not a block cursor", arweave.ErrBadCursor, q.After)
		}
		if asc {
			lo = max(lo, int64(c)+1)
		} else {
			hi = min(hi, int64(c)-1)
		}
	}
	n := arweave.PageSize(q.First)
	page := &arweave.BlockPage{Edges: []arweave.BlockEdge{}}
	if lo > hi {
		return page, nil
	}
	add := func(r *blockRecord) bool {
		if len(page.Edges) == n {
			page.HasNextPage = true
			return false
		}
		page.Edges = append(page.Edges, arweave.BlockEdge{Cursor: encodeCursor(uint64(r.height)), Node: r.block()})
		return true
	}

	if len(q.IDs) > 0 {
		snap := s.db.NewSnapshot()
		defer snap.Close()
		var found []*blockRecord
		seen := map[int64]bool{}
		for _, id := range q.IDs {
			raw, err := arweave.DecodeID(id)
			if err != nil {
				continue // not an id: matches nothing
			}
			v, ok, err := get(snap, blockIDKey(raw))
			if err != nil {
				return nil, fmt.Errorf("embedded: blocks: %w", err)
			}
			if !ok || len(v) != 8 {
				continue
			}
			h := int64(binary.BigEndian.Uint64(v))
			if h < lo || h > hi || seen[h] {
				continue
			}
			seen[h] = true
			r, err := readBlock(snap, h)
			if err != nil {
				return nil, fmt.Errorf("embedded: blocks: %w", err)
			}
			if r != nil {
				found = append(found, r)
			}
		}
		slices.SortFunc(found, func(a, b *blockRecord) int {
			if asc {
				return cmp.Compare(a.height, b.height)
			}
			return cmp.Compare(b.height, a.height)
		})
		for _, r := range found {
			if !add(r) {
				break
			}
		}
		return page, nil
	}

	it, err := s.db.NewIter(&pebble.IterOptions{
		LowerBound: blockKey(lo),
		UpperBound: blockKey(hi + 1),
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: blocks: %w", err)
	}
	defer it.Close()
	valid, step := it.Last, it.Prev
	if asc {
		valid, step = it.First, it.Next
	}
	for ok := valid(); ok; ok = step() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r, err := blockFromIter(it)
		if err != nil {
			return nil, fmt.Errorf("embedded: blocks: %w", err)
		}
		if !add(r) {
			break
		}
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("embedded: blocks: %w", err)
	}
	return page, nil
}
