package embedded

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// Key prefixes. The layout is described in doc.go; every number in a key is
// a fixed-width big-endian integer so that byte order is numeric order.
//
// NB: these strings are part of the on-disk format (formatVersion) and must
// not change.
const (
	prefixMeta      = "m/" // m/format -> formatVersion
	prefixData      = "i/" // i/<id32> -> data record
	prefixItem      = "x/" // x/<id32> -> item record
	prefixSeq       = "s/" // s/<seq8><id32>
	prefixOwner     = "o/" // o/<len2><address><seq8><id32>
	prefixRecipient = "r/" // r/<target32><seq8><id32>
	prefixTag       = "t/" // t/<len2><name><len2><value><seq8><id32>
	prefixBundled   = "n/" // n/<bundle32><seq8><id32>
	prefixBlock     = "b/" // b/<height8> -> block record
	prefixBlockID   = "h/" // h/<blockid32> -> height8
	prefixConfirm   = "c/" // c/<lastSeq8><height8>
)

// formatVersion is the version of the key layout and record encodings,
// stored under keyFormat when a store is created.
//
// NB: must not change for an existing layout; a new layout gets a new
// number and Open learns to read (or migrate) the old one.
const formatVersion uint64 = 1

var keyFormat = []byte(prefixMeta + "format")

// Sequence numbers start at 1; 0 means "before every item" (the genesis
// block confirms up to 0). maxSeq leaves room for hi+1 in iterator bounds.
const (
	firstSeq = 1
	maxSeq   = math.MaxUint64 - 1
)

// idLen is the length of raw item, block and address ids.
const idLen = 32

// tailLen is the suffix every index key ends with: the sequence number and
// the item id.
const tailLen = 8 + idLen

func itemKey(id []byte) []byte { return append([]byte(prefixItem), id...) }
func dataKey(id []byte) []byte { return append([]byte(prefixData), id...) }

func blockKey(height int64) []byte {
	return binary.BigEndian.AppendUint64([]byte(prefixBlock), uint64(height))
}

func blockIDKey(id []byte) []byte { return append([]byte(prefixBlockID), id...) }

func confirmKey(lastSeq uint64, height int64) []byte {
	k := binary.BigEndian.AppendUint64([]byte(prefixConfirm), lastSeq)
	return binary.BigEndian.AppendUint64(k, uint64(height))
}

// appendString16 appends s with a 2-byte big-endian length. ok is false if
// s is too long to be encoded (no stored key holds such a string).
func appendString16(b []byte, s string) ([]byte, bool) {
	if len(s) > math.MaxUint16 {
		return b, false
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...), true
}

// ownerPrefix is the index prefix for an owner address.
func ownerPrefix(address string) ([]byte, bool) {
	return appendString16([]byte(prefixOwner), normalizeAddress(address))
}

// tagPrefix is the index prefix for a tag name and value.
func tagPrefix(name, value string) ([]byte, bool) {
	b, ok := appendString16([]byte(prefixTag), name)
	if !ok {
		return nil, false
	}
	return appendString16(b, value)
}

// normalizeAddress lower-cases a 0x Ethereum address, so that queries
// match whether or not the address carries its EIP-55 checksum case. Other
// addresses (base64url, case-sensitive) are returned unchanged.
func normalizeAddress(a string) string {
	if len(a) == 42 && (strings.HasPrefix(a, "0x") || strings.HasPrefix(a, "0X")) {
		return "0x" + strings.ToLower(a[2:])
	}
	return a
}

// indexKey is prefix || seq || id.
func indexKey(prefix []byte, seq uint64, id []byte) []byte {
	k := make([]byte, 0, len(prefix)+tailLen)
	k = append(k, prefix...)
	k = binary.BigEndian.AppendUint64(k, seq)
	return append(k, id...)
}

// splitTail returns the sequence number and id an index key ends with.
func splitTail(key []byte) (uint64, []byte, error) {
	if len(key) < tailLen {
		return 0, nil, fmt.Errorf("%w: index key %x is too short", ErrCorrupt, key)
	}
	t := key[len(key)-tailLen:]
	return binary.BigEndian.Uint64(t), t[8:], nil
}

// prefixEnd is the smallest key greater than every key with this prefix.
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil // every byte is 0xff: no upper bound
}

// Item records (x/<id>).
//
//	version   1 byte (itemRecordV1)
//	seq       8 bytes
//	dataSize  8 bytes
//	bundled   1 byte flag, then the 32-byte bundle id if the flag is 1
//	header    the rest: the item's binary up to (not including) its data
//
// The header parses with arweave.ParseDataItem as an item with empty data.
const itemRecordV1 = 1

type itemRecord struct {
	seq       uint64
	dataSize  uint64
	bundledIn []byte // nil, or the raw 32-byte id of the parent bundle
	header    []byte
}

func (r *itemRecord) encode() []byte {
	b := make([]byte, 0, 1+8+8+1+idLen+len(r.header))
	b = append(b, itemRecordV1)
	b = binary.BigEndian.AppendUint64(b, r.seq)
	b = binary.BigEndian.AppendUint64(b, r.dataSize)
	if r.bundledIn != nil {
		b = append(append(b, 1), r.bundledIn...)
	} else {
		b = append(b, 0)
	}
	return append(b, r.header...)
}

func decodeItemRecord(b []byte) (*itemRecord, error) {
	bad := func(what string) (*itemRecord, error) {
		return nil, fmt.Errorf("%w: item record: %s", ErrCorrupt, what)
	}
	if len(b) < 18 {
		return bad("too short")
	}
	if b[0] != itemRecordV1 {
		return bad(fmt.Sprintf("unknown version %d", b[0]))
	}
	r := &itemRecord{seq: binary.BigEndian.Uint64(b[1:]), dataSize: binary.BigEndian.Uint64(b[9:])}
	pos := 18
	switch b[17] {
	case 0:
	case 1:
		if len(b) < pos+idLen {
			return bad("truncated bundle id")
		}
		r.bundledIn = b[pos : pos+idLen]
		pos += idLen
	default:
		return bad("bad bundle flag")
	}
	r.header = b[pos:]
	return r, nil
}

// Data records (i/<id>): one kind byte, then
//
//	dataRaw:    the item's data
//	dataBundle: the raw ids of the bundle's items, 32 bytes each, in order.
//	            The data is arweave.EncodeBundle of those items, which is
//	            byte-identical to what was put (see put.go).
const (
	dataRaw    = 0
	dataBundle = 1
)

// Block records (b/<height>).
//
//	version   1 byte (blockRecordV1)
//	id        32 bytes
//	timestamp 8 bytes (seconds)
//	lastSeq   8 bytes: the block confirms every item with seq <= lastSeq
//	previous  the rest: the previous block's raw id, empty for genesis
const blockRecordV1 = 1

type blockRecord struct {
	height    int64
	id        []byte
	timestamp int64
	lastSeq   uint64
	previous  []byte
}

func (r *blockRecord) encode() []byte {
	b := make([]byte, 0, 1+idLen+16+len(r.previous))
	b = append(b, blockRecordV1)
	b = append(b, r.id...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.timestamp))
	b = binary.BigEndian.AppendUint64(b, r.lastSeq)
	return append(b, r.previous...)
}

func decodeBlockRecord(height int64, b []byte) (*blockRecord, error) {
	if len(b) < 1+idLen+16 || b[0] != blockRecordV1 {
		return nil, fmt.Errorf("%w: block record at height %d", ErrCorrupt, height)
	}
	return &blockRecord{
		height:    height,
		id:        b[1 : 1+idLen],
		timestamp: int64(binary.BigEndian.Uint64(b[1+idLen:])),
		lastSeq:   binary.BigEndian.Uint64(b[1+idLen+8:]),
		previous:  b[1+idLen+16:],
	}, nil
}
