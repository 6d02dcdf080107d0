package arweave

import (
	"encoding/binary"
	"fmt"
)

// Tags that mark a data item or transaction whose data is an ANS-104 bundle.
var BundleTags = []Tag{{Name: "Bundle-Format", Value: "binary"}, {Name: "Bundle-Version", Value: "2.0.0"}}

// IsBundle reports whether tags mark a binary ANS-104 bundle.
func IsBundle(tags Tags) bool {
	return tags.Value("Bundle-Format") == "binary" && tags.Value("Bundle-Version") == "2.0.0"
}

// MaxBundleItems bounds the item count a parsed bundle may declare, so a
// hostile header cannot make the parser allocate without limit.
const MaxBundleItems = 1 << 20

// EncodeBundle builds the ANS-104 binary bundle of items: a 32-byte
// little-endian item count, a 64-byte header per item (32-byte little-endian
// length, 32-byte raw id), then the items' binaries in order.
func EncodeBundle(items []*DataItem) []byte {
	size := 32 + 64*len(items)
	for _, it := range items {
		size += it.Size()
	}
	b := make([]byte, size)
	binary.LittleEndian.PutUint64(b, uint64(len(items)))
	pos := 32
	for _, it := range items {
		binary.LittleEndian.PutUint64(b[pos:], uint64(it.Size()))
		id, _ := DecodeID(it.ID()) // the id of a parsed item always decodes
		copy(b[pos+32:], id)
		pos += 64
	}
	for _, it := range items {
		pos += copy(b[pos:], it.Bytes())
	}
	return b
}

// DecodeBundle parses an ANS-104 binary bundle into its items. It checks
// the layout and that each header id matches its item's signature; it does
// not verify signatures. It never panics; errors wrap ErrMalformed.
func DecodeBundle(b []byte) ([]*DataItem, error) {
	malformed := func(format string, args ...any) error {
		return fmt.Errorf("%w: bundle: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
	if len(b) < 32 {
		return nil, malformed("%d bytes is shorter than the 32-byte item count", len(b))
	}
	count, ok := readLE256(b[:32])
	if !ok || count > MaxBundleItems {
		return nil, malformed("item count is larger than %d", MaxBundleItems)
	}
	n := int(count)
	if 32+64*n > len(b) {
		return nil, malformed("%d items need %d header bytes, the bundle has %d", n, 32+64*n, len(b))
	}
	items := make([]*DataItem, 0, n)
	pos := 32 + 64*n
	for i := 0; i < n; i++ {
		h := b[32+64*i : 32+64*(i+1)]
		size, ok := readLE256(h[:32])
		if !ok || size > uint64(len(b)-pos) {
			return nil, malformed("item %d runs past the end of the bundle", i)
		}
		it, err := ParseDataItem(b[pos : pos+int(size) : pos+int(size)])
		if err != nil {
			return nil, fmt.Errorf("bundle item %d: %w", i, err)
		}
		if id := B64(h[32:]); id != it.ID() {
			return nil, malformed("item %d: header id %s does not match the item's id %s", i, id, it.ID())
		}
		items = append(items, it)
		pos += int(size)
	}
	if pos != len(b) {
		return nil, malformed("%d bytes after the last item", len(b)-pos)
	}
	return items, nil
}

// readLE256 reads a 32-byte little-endian integer that must fit in 63 bits.
func readLE256(b []byte) (uint64, bool) {
	for _, c := range b[8:] {
		if c != 0 {
			return 0, false
		}
	}
	v := binary.LittleEndian.Uint64(b)
	return v, v < 1<<62
}

// SignBundle wraps items in a bundle data item signed by s, with the
// Bundle-Format and Bundle-Version tags and any extra tags after them.
func SignBundle(s Signer, items []*DataItem, extra ...Tag) (*DataItem, error) {
	tags := append(append([]Tag{}, BundleTags...), extra...)
	return SignDataItem(s, ItemOptions{Tags: tags, Data: EncodeBundle(items)})
}
