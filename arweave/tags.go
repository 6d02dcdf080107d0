package arweave

import (
	"encoding/binary"
	"fmt"
)

// Limits that arbundles and the ANS-104 specification put on tags.
const (
	// MaxTagBytes is the largest Avro tag section a data item may carry.
	MaxTagBytes = 4096
	// MaxTags is the largest number of tags a data item may carry.
	MaxTags = 128
)

// Tag is one name/value pair of a data item. Order matters: tags are
// signed in the order they appear.
type Tag struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Tags is an ordered list of tags.
type Tags []Tag

// Get returns the value of the first tag named name.
func (t Tags) Get(name string) (string, bool) {
	for _, tag := range t {
		if tag.Name == name {
			return tag.Value, true
		}
	}
	return "", false
}

// Value returns the value of the first tag named name, or "".
func (t Tags) Value(name string) string {
	v, _ := t.Get(name)
	return v
}

// EncodeTags encodes tags as the Avro array ANS-104 uses: one block with a
// zig-zag varint count, each name and value as a zig-zag varint length and
// its UTF-8 bytes, and a terminating empty block. No tags encode to no bytes.
func EncodeTags(tags []Tag) []byte {
	if len(tags) == 0 {
		return nil
	}
	size := binary.MaxVarintLen64 + 1
	for _, t := range tags {
		size += 2*binary.MaxVarintLen64 + len(t.Name) + len(t.Value)
	}
	out := make([]byte, 0, size)
	out = binary.AppendVarint(out, int64(len(tags)))
	for _, t := range tags {
		out = binary.AppendVarint(out, int64(len(t.Name)))
		out = append(out, t.Name...)
		out = binary.AppendVarint(out, int64(len(t.Value)))
		out = append(out, t.Value...)
	}
	return append(out, 0)
}

// DecodeTags decodes an Avro tag section. It accepts any number of blocks,
// including blocks with a negative count followed by their byte size, as the
// Avro specification allows, and rejects trailing bytes.
func DecodeTags(b []byte) ([]Tag, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var tags []Tag
	pos := 0
	for {
		count, n := binary.Varint(b[pos:])
		if n <= 0 {
			return nil, fmt.Errorf("tag block count at byte %d is not a varint", pos)
		}
		pos += n
		if count == 0 {
			break
		}
		if count < 0 {
			count = -count
			if _, n := binary.Varint(b[pos:]); n <= 0 {
				return nil, fmt.Errorf("tag block size at byte %d is not a varint", pos)
			} else {
				pos += n
			}
		}
		if count > MaxTags || int(count)+len(tags) > MaxTags {
			return nil, fmt.Errorf("more than %d tags", MaxTags)
		}
		for i := int64(0); i < count; i++ {
			name, next, err := readAvroString(b, pos)
			if err != nil {
				return nil, fmt.Errorf("tag %d name: %w", len(tags), err)
			}
			value, next, err := readAvroString(b, next)
			if err != nil {
				return nil, fmt.Errorf("tag %d value: %w", len(tags), err)
			}
			pos = next
			tags = append(tags, Tag{Name: name, Value: value})
		}
	}
	if pos != len(b) {
		return nil, fmt.Errorf("%d bytes after the end of the tag array", len(b)-pos)
	}
	return tags, nil
}

func readAvroString(b []byte, pos int) (string, int, error) {
	l, n := binary.Varint(b[pos:])
	if n <= 0 {
		return "", 0, fmt.Errorf("length at byte %d is not a varint", pos)
	}
	pos += n
	if l < 0 || l > int64(len(b)-pos) {
		return "", 0, fmt.Errorf("length %d at byte %d runs past the tag section", l, pos)
	}
	// NB: arbundles decodes tag strings leniently (invalid UTF-8 is
	// accepted), so this does too; the raw bytes are what is signed.
	return string(b[pos : pos+int(l)]), pos + int(l), nil
}
