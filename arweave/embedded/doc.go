// Package embedded is the default arweave.Store: data items and the index
// a gateway needs, in a pebble database on local disk. It also implements
// arweave.Miner, emulating a chain of blocks the way arlocal does.
//
// # Usage
//
//	s, err := embedded.Open(embedded.Config{Dir: dir, Signer: wallet})
//	if err != nil { ... }
//	defer s.Close()
//	err = s.PutItems(ctx, item)        // durable when it returns nil
//	tx, err := s.Transaction(ctx, id)  // tx.Block is nil: pending
//	blk, err := s.Mine(ctx)            // confirms every pending item
//	page, err := s.Query(ctx, arweave.TxQuery{
//		Tags: []arweave.TagFilter{{Name: "Type", Values: []string{"Process"}}},
//	})
//	next, err := s.Query(ctx, arweave.TxQuery{..., After: page.Edges[len(page.Edges)-1].Cursor})
//
// # Key layout
//
// Every item gets a store-wide sequence number when it is put (1, 2, ...;
// nested bundle items right after their bundle, depth first). Numbers in
// keys are 8-byte big-endian, so key order is numeric order; ids are raw
// 32 bytes; strings carry a 2-byte big-endian length, which keeps prefixes
// unambiguous. "seq" is the sequence number.
//
//	m/format                        format version (formatVersion)
//	x/<id>                          item record: seq, data size, bundle id, header
//	i/<id>                          data record: the data, or the ids of a bundle's items
//	s/<seq><id>                     every item, in received order
//	o/<len><address><seq><id>       owner: NativeAddress and, if different, Address
//	r/<target><seq><id>             recipient
//	t/<len><name><len><value><seq><id>  each tag
//	n/<bundle id><seq><id>          items nested in a bundle
//	b/<height>                      block record: id, timestamp, lastSeq, previous id
//	h/<block id>                    height of a block id
//	c/<lastSeq><height>             the block confirming up to lastSeq
//
// An item record holds the item's binary up to its data (the "header":
// signature, owner, target, anchor, tags), so that queries and Transaction
// never read data; Item concatenates header and data.
//
// A bundle whose items are all new when it is put is stored by reference:
// its data record lists its items' ids, and reads rebuild the bundle with
// arweave.EncodeBundle, byte for byte the same (see entry.byReference).
// Bundled items, the bulk of what AO stores, are thus stored once, not
// twice. Otherwise (an item already held, or repeated) the data is stored
// as it came.
//
// Ethereum owners are indexed under both address forms; 0x addresses are
// stored and looked up lower-cased.
//
// # Blocks
//
// A block confirms every item put before it was mined, so the items of a
// block are a range of sequence numbers: block h confirms (lastSeq of h-1,
// lastSeq of h]. Mining writes three keys whatever the number of pending
// items, heights need no per-item update, and a height filter is a range of
// sequence numbers. An item's block is found with one seek in c/.
//
// A new store has a genesis block at height 0 that confirms nothing. A
// block id is base64url(SHA-256(previous id || height as 8 bytes || ids of
// the items it confirms, in order)); its timestamp is Config.Now in
// seconds.
//
// # Durability
//
// A PutItems call is one pebble batch, written with pebble.Sync: when it
// returns nil every item is in the fsynced write-ahead log. Under a mutex
// the call checks which ids are already held, numbers the new items,
// builds the batch and applies it without waiting for the sync
// (pebble.DB.ApplyNoSyncWait); it waits for the sync after releasing the
// mutex, so concurrent callers share fsyncs (pebble group-commits them) and
// sequence numbers become visible in order. An id already held is skipped;
// because it may be held by a batch that is applied but not yet synced, a
// call that writes nothing still writes a synced empty WAL record, which
// the log orders after that batch. Mine reads the last applied sequence
// number and writes its block afterwards, so a durable block implies
// durable items. Pebble's WAL is sequential: whatever survives a crash is
// a prefix of what was applied.
//
// # Queries
//
// Filters are ANDed, values within one filter ORed:
//
//   - IDs: looked up directly.
//   - Owners: either address form of the signer (NativeAddress, or for
//     Ethereum keys the 0x address, in any case).
//   - Recipients: the item's target.
//   - Tags: a filter matches if some tag named Name has one of Values. With
//     NotEqual, it matches if the item has a tag named Name and none of
//     those tags has a value in Values. With no Values (and not NotEqual)
//     it matches any item with a tag named Name.
//   - BundledIn: the id of the bundle that directly holds the item.
//   - MinHeight, MaxHeight: the confirming block's height, inclusive.
//     Pending items have no height: any height filter excludes them.
//
// Results are in received order, which is height order with pending items
// newest; HeightDesc (the default) is newest first. A cursor is base64url
// of the edge's sequence number, and a page continues strictly after it;
// it stays valid for ever (new items only extend the order). A cursor the
// store did not make fails with arweave.ErrBadCursor.
//
// Each filter with an index becomes a stream of sequence numbers in scan
// order: one index range per value, merged. The streams are intersected by
// leapfrogging: each seeks to the furthest entry any of them is on, so
// the sparsest filter sets the pace, with no statistics to keep. Without
// indexed filters the scan runs over s/. Cursor and height filters are
// bounds of every range. Tag filters without an index (NotEqual, no
// Values) are checked against each candidate's record. A query stops after
// First+1 matches, so HasNextPage is exact. A query reads one pebble
// snapshot.
package embedded
