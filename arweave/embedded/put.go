package embedded

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/cockroachdb/pebble"
)

// entry is one item of a PutItems call: a top-level item or, recursively,
// an item nested in a bundle.
type entry struct {
	item     *arweave.DataItem
	id       []byte
	parent   *entry   // the bundle holding this item, or nil
	children []*entry // the bundle's items, if item is a bundle
	isBundle bool

	// Decided under Store.mu:
	store bool   // not held yet: write it
	seq   uint64 // when store
}

// PutItems stores items and their nested bundle items; see arweave.Store.
// The whole call is one pebble batch, synced before PutItems returns nil.
// If any bundle (at any depth) fails to decode, nothing is stored and the
// error wraps arweave.ErrMalformed. Items are not verified.
//
// # Visibility
//
// New items become visible to readers when the batch is applied, which is
// a moment before it is synced; PutItems returns only after the sync. A
// reader may therefore see an item that a crash at that instant loses. Its
// writer was never told it was stored, and will put it again.
func (s *Store) PutItems(ctx context.Context, items ...*arweave.DataItem) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(items) == 0 {
		return nil
	}

	// Decode outside the lock. A bundle already held is not decoded again:
	// a held id is held for good (and durable once our own synced write,
	// which the WAL orders after it, completes).
	var roots []*entry
	for i, it := range items {
		// Items come from ParseDataItem or SignDataItem; a hand-built
		// DataItem has no binary to store.
		if it == nil || it.Size() < arweave.MinItemSize || len(it.Data) > it.Size() {
			return fmt.Errorf("embedded: put: %w: item %d was not parsed or signed", arweave.ErrMalformed, i)
		}
		e := newEntry(it, nil)
		if e.isBundle {
			held, err := has(s.db, itemKey(e.id))
			if err != nil {
				return fmt.Errorf("embedded: put: %w", err)
			}
			if held {
				continue
			}
		}
		if err := e.unbundle(); err != nil {
			return fmt.Errorf("embedded: put: %w", err)
		}
		roots = append(roots, e)
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	b := s.db.NewBatch()
	defer b.Close()
	n, err := s.applyBatch(b, roots)
	if err != nil {
		return fmt.Errorf("embedded: put: %w", err)
	}
	if n == 0 {
		// Every id was held already, but perhaps only by a batch that is
		// applied and not yet synced. A synced write after it in the WAL
		// makes it durable before we report success.
		if err := s.db.LogData(nil, pebble.Sync); err != nil {
			return fmt.Errorf("embedded: put: sync: %w", err)
		}
		return nil
	}
	if err := b.SyncWait(); err != nil {
		return fmt.Errorf("embedded: put: sync: %w", err)
	}
	return nil
}

// applyBatch decides which entries are new, gives them sequence numbers,
// writes them to b and applies b, all under s.mu so that sequence numbers
// are applied in order and an id is never indexed twice. It returns the
// number of items written; if it is > 0 the caller must b.SyncWait().
func (s *Store) applyBatch(b *pebble.Batch, roots []*entry) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := make(map[[idLen]byte]bool)
	var order []*entry
	var visit func(e *entry) error
	visit = func(e *entry) error {
		key := [idLen]byte(e.id)
		if seen[key] {
			return nil
		}
		seen[key] = true
		held, err := has(s.db, itemKey(e.id))
		if err != nil || held {
			return err
		}
		e.store = true
		order = append(order, e)
		for _, c := range e.children {
			if err := visit(c); err != nil {
				return err
			}
		}
		return nil
	}
	for _, e := range roots {
		if err := visit(e); err != nil {
			return 0, err
		}
	}
	if len(order) == 0 {
		return 0, nil
	}
	seq := s.mu.seq
	for _, e := range order {
		seq++
		e.seq = seq
	}
	for _, e := range order {
		if err := writeEntry(b, e); err != nil {
			return 0, err
		}
	}
	// NB: ApplyNoSyncWait is marked experimental in pebble v1.1. It is what
	// lets the fsync wait happen outside s.mu, so that concurrent puts
	// share fsyncs while sequence numbers stay in apply order. A plain
	// Apply with Sync here would serialize every fsync behind s.mu.
	// TestPowerLoss and TestPowerLossDuplicate check the contract we rely
	// on; re-run them when upgrading pebble.
	if err := s.db.ApplyNoSyncWait(b, pebble.Sync); err != nil {
		return 0, err
	}
	s.mu.seq = seq
	return len(order), nil
}

func newEntry(it *arweave.DataItem, parent *entry) *entry {
	h := sha256.Sum256(it.Signature)
	return &entry{item: it, id: h[:], parent: parent, isBundle: arweave.IsBundle(it.Tags)}
}

// unbundle decodes e's bundle data, recursively.
func (e *entry) unbundle() error {
	if !e.isBundle {
		return nil
	}
	nested, err := arweave.DecodeBundle(e.item.Data)
	if err != nil {
		return fmt.Errorf("bundle %s: %w", arweave.B64(e.id), err)
	}
	e.children = make([]*entry, len(nested))
	for i, it := range nested {
		c := newEntry(it, e)
		if err := c.unbundle(); err != nil {
			return fmt.Errorf("bundle %s: %w", arweave.B64(e.id), err)
		}
		e.children[i] = c
	}
	return nil
}

// byReference reports whether a bundle's data can be stored as the list of
// its items' ids: when every one of them is written by this bundle (not
// held before, not earlier in the call), their stored bytes are exactly
// the bytes in this bundle, and arweave.EncodeBundle of them reproduces the
// data byte for byte, because DecodeBundle accepted it: the count and
// sizes are canonical little-endian numbers, the header ids are the items'
// ids, and nothing follows the last item.
func (e *entry) byReference() bool {
	if !e.isBundle {
		return false
	}
	for _, c := range e.children {
		if !c.store || c.parent != e {
			return false
		}
	}
	return true
}

// writeEntry writes an item's records and index keys to b.
func writeEntry(b *pebble.Batch, e *entry) error {
	it := e.item
	raw := it.Bytes()
	rec := itemRecord{
		seq:      e.seq,
		dataSize: uint64(len(it.Data)),
		header:   raw[:len(raw)-len(it.Data)],
	}
	if e.parent != nil {
		rec.bundledIn = e.parent.id
	}
	b.Set(itemKey(e.id), rec.encode(), nil)

	var data []byte
	if e.byReference() {
		data = make([]byte, 0, 1+idLen*len(e.children))
		data = append(data, dataBundle)
		for _, c := range e.children {
			data = append(data, c.id...)
		}
	} else {
		data = make([]byte, 0, 1+len(it.Data))
		data = append(append(data, dataRaw), it.Data...)
	}
	b.Set(dataKey(e.id), data, nil)

	empty := []byte{}
	b.Set(indexKey([]byte(prefixSeq), e.seq, e.id), empty, nil)
	native := arweave.NativeAddress(it.Owner)
	for _, a := range []string{native, arweave.Address(it.SignatureType, it.Owner)} {
		p, _ := ownerPrefix(a) // addresses are short
		b.Set(indexKey(p, e.seq, e.id), empty, nil)
	}
	if len(it.Target) == idLen {
		b.Set(indexKey(append([]byte(prefixRecipient), it.Target...), e.seq, e.id), empty, nil)
	}
	for _, t := range it.Tags {
		p, ok := tagPrefix(t.Name, t.Value)
		if !ok {
			return fmt.Errorf("%w: item %s: tag too long", arweave.ErrMalformed, arweave.B64(e.id))
		}
		b.Set(indexKey(p, e.seq, e.id), empty, nil)
	}
	if e.parent != nil {
		b.Set(indexKey(append([]byte(prefixBundled), e.parent.id...), e.seq, e.id), empty, nil)
	}
	return nil
}

// PutBundle signs a bundle of items with Config.Signer and puts it (see
// PutItems). It returns the id of the wrapping item.
func (s *Store) PutBundle(ctx context.Context, items []*arweave.DataItem) (string, error) {
	if s.cfg.Signer == nil {
		return "", ErrNoSigner
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	wrapper, err := arweave.SignBundle(s.cfg.Signer, items)
	if err != nil {
		return "", fmt.Errorf("embedded: put bundle: %w", err)
	}
	if err := s.PutItems(ctx, wrapper); err != nil {
		return "", err
	}
	return wrapper.ID(), nil
}
