package embedded

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/cockroachdb/pebble"
)

// Item returns the item with this id, byte-identical to what was put.
func (s *Store) Item(ctx context.Context, id string) (*arweave.DataItem, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	raw, err := decodeID(id)
	if err != nil {
		return nil, err
	}
	b, err := itemBytes(s.db, raw)
	if err != nil {
		return nil, fmt.Errorf("embedded: item %s: %w", id, err)
	}
	it, err := arweave.ParseDataItem(b)
	if err != nil {
		return nil, fmt.Errorf("embedded: item %s: %w: %v", id, ErrCorrupt, err)
	}
	return it, nil
}

// Data returns the data of the item with this id.
func (s *Store) Data(ctx context.Context, id string) ([]byte, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	raw, err := decodeID(id)
	if err != nil {
		return nil, err
	}
	d, err := itemData(s.db, raw)
	if err != nil {
		return nil, fmt.Errorf("embedded: data %s: %w", id, err)
	}
	return d, nil
}

// Transaction returns the gateway view of the item with this id.
func (s *Store) Transaction(ctx context.Context, id string) (*arweave.Transaction, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	raw, err := decodeID(id)
	if err != nil {
		return nil, err
	}
	rec, err := readItemRecord(s.db, raw)
	if err != nil {
		return nil, fmt.Errorf("embedded: transaction %s: %w", id, err)
	}
	bl := newBlockLookup(s.db)
	defer bl.close()
	tx, err := transaction(raw, rec, bl)
	if err != nil {
		return nil, fmt.Errorf("embedded: transaction %s: %w", id, err)
	}
	return tx, nil
}

// decodeID decodes an item id; an id that cannot be one is not found.
func decodeID(id string) ([]byte, error) {
	raw, err := arweave.DecodeID(id)
	if err != nil {
		return nil, fmt.Errorf("embedded: %w: %s (%v)", arweave.ErrNotFound, id, err)
	}
	return raw, nil
}

func readItemRecord(r pebble.Reader, id []byte) (*itemRecord, error) {
	v, ok, err := get(r, itemKey(id))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s", arweave.ErrNotFound, arweave.B64(id))
	}
	return decodeItemRecord(v)
}

// itemBytes reassembles an item's binary: its header and its data.
func itemBytes(r pebble.Reader, id []byte) ([]byte, error) {
	rec, err := readItemRecord(r, id)
	if err != nil {
		return nil, err
	}
	data, err := itemData(r, id)
	if err != nil {
		return nil, err
	}
	if uint64(len(data)) != rec.dataSize {
		return nil, fmt.Errorf("%w: item %s has %d data bytes, its record says %d", ErrCorrupt, arweave.B64(id), len(data), rec.dataSize)
	}
	return append(rec.header, data...), nil
}

// itemData reads an item's data, rebuilding bundles stored by reference.
func itemData(r pebble.Reader, id []byte) ([]byte, error) {
	v, ok, err := get(r, dataKey(id))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s", arweave.ErrNotFound, arweave.B64(id))
	}
	if len(v) == 0 {
		return nil, fmt.Errorf("%w: empty data record for %s", ErrCorrupt, arweave.B64(id))
	}
	switch v[0] {
	case dataRaw:
		return v[1:], nil
	case dataBundle:
		refs := v[1:]
		if len(refs)%idLen != 0 {
			return nil, fmt.Errorf("%w: bundle record of %s", ErrCorrupt, arweave.B64(id))
		}
		items := make([]*arweave.DataItem, 0, len(refs)/idLen)
		for i := 0; i < len(refs); i += idLen {
			b, err := itemBytes(r, refs[i:i+idLen])
			if err != nil {
				return nil, fmt.Errorf("%w: bundle %s: %v", ErrCorrupt, arweave.B64(id), err)
			}
			it, err := arweave.ParseDataItem(b)
			if err != nil {
				return nil, fmt.Errorf("%w: bundle %s: %v", ErrCorrupt, arweave.B64(id), err)
			}
			items = append(items, it)
		}
		return arweave.EncodeBundle(items), nil
	}
	return nil, fmt.Errorf("%w: data record kind %d for %s", ErrCorrupt, v[0], arweave.B64(id))
}

// transaction builds the gateway view of an item from its record.
func transaction(id []byte, rec *itemRecord, bl *blockLookup) (*arweave.Transaction, error) {
	h, err := arweave.ParseDataItem(rec.header)
	if err != nil {
		return nil, fmt.Errorf("%w: header of %s: %v", ErrCorrupt, arweave.B64(id), err)
	}
	tx := &arweave.Transaction{
		ID:           arweave.B64(id),
		Signature:    h.Signature,
		Owner:        h.Owner,
		OwnerAddress: arweave.NativeAddress(h.Owner),
		Target:       h.TargetID(),
		Tags:         h.Tags,
		DataSize:     int64(rec.dataSize),
		ContentType:  h.Tags.Value("Content-Type"),
	}
	if len(h.Anchor) > 0 {
		tx.Anchor = h.Anchor
	}
	if rec.bundledIn != nil {
		tx.BundledIn = arweave.B64(rec.bundledIn)
	}
	if tx.Block, err = bl.blockOf(rec.seq); err != nil {
		return nil, err
	}
	return tx, nil
}

// blockLookup finds the block that confirms a sequence number, through the
// c/ index, and caches the blocks it has read. Not safe for concurrent use.
type blockLookup struct {
	r      pebble.Reader
	it     *pebble.Iterator
	blocks map[int64]*arweave.Block
}

func newBlockLookup(r pebble.Reader) *blockLookup {
	return &blockLookup{r: r, blocks: map[int64]*arweave.Block{}}
}

// blockOf returns the block confirming seq, or nil if seq is pending. The
// first block whose lastSeq is >= seq confirms it (several empty blocks can
// share a lastSeq; the key orders them by height).
func (l *blockLookup) blockOf(seq uint64) (*arweave.Block, error) {
	if l.it == nil {
		it, err := l.r.NewIter(&pebble.IterOptions{LowerBound: []byte(prefixConfirm), UpperBound: prefixEnd([]byte(prefixConfirm))})
		if err != nil {
			return nil, err
		}
		l.it = it
	}
	if !l.it.SeekGE(binary.BigEndian.AppendUint64([]byte(prefixConfirm), seq)) {
		return nil, l.it.Error()
	}
	k := l.it.Key()
	if len(k) != len(prefixConfirm)+16 {
		return nil, fmt.Errorf("%w: confirmation key %x", ErrCorrupt, k)
	}
	height := int64(binary.BigEndian.Uint64(k[len(prefixConfirm)+8:]))
	return l.block(height)
}

func (l *blockLookup) block(height int64) (*arweave.Block, error) {
	if b, ok := l.blocks[height]; ok {
		c := *b
		return &c, nil
	}
	rec, err := readBlock(l.r, height)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, fmt.Errorf("%w: no block at height %d", ErrCorrupt, height)
	}
	b := rec.block()
	l.blocks[height] = b
	c := *b
	return &c, nil
}

func (l *blockLookup) close() {
	if l.it != nil {
		l.it.Close()
	}
}
