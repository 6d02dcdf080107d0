package arweave

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"
)

// MinItemSize is the smallest possible data item, as arbundles checks it.
const MinItemSize = 80

// DataItem is an ANS-104 data item. Items are immutable once built or
// parsed: the fields are views into the item's binary, which Bytes returns.
// Callers must not modify the slices.
type DataItem struct {
	SignatureType SignatureType
	Signature     []byte
	Owner         []byte
	Target        []byte // empty, or 32 raw bytes
	Anchor        []byte // empty, or 32 raw bytes
	Tags          Tags
	Data          []byte

	raw     []byte
	rawTags []byte
}

// ItemOptions are the fields of a data item a signer fills in.
type ItemOptions struct {
	// Target is the b64url id of the recipient (a process id), or "".
	Target string
	// Anchor is the 32-byte anchor as a string (aoconnect passes a
	// 32-character string and arbundles signs its UTF-8 bytes), or "".
	Anchor string
	Tags   []Tag
	Data   []byte
}

// ID is b64url(SHA-256(signature)), the item's 43-character id.
func (d *DataItem) ID() string {
	h := sha256.Sum256(d.Signature)
	return B64(h[:])
}

// Bytes returns the item's binary encoding. The caller must not modify it.
func (d *DataItem) Bytes() []byte { return d.raw }

// Size is the length of the binary encoding.
func (d *DataItem) Size() int { return len(d.raw) }

// OwnerAddress is the signer's address as AO reports it (see Address).
func (d *DataItem) OwnerAddress() string { return Address(d.SignatureType, d.Owner) }

// TargetID is the b64url target, or "".
func (d *DataItem) TargetID() string {
	if len(d.Target) == 0 {
		return ""
	}
	return B64(d.Target)
}

// AnchorString is the anchor as the string aoconnect gave it, or "".
func (d *DataItem) AnchorString() string { return string(d.Anchor) }

// RawTags returns the Avro tag section exactly as it is in the item.
func (d *DataItem) RawTags() []byte { return d.rawTags }

// SignatureData is the deep hash the signature covers.
func (d *DataItem) SignatureData() []byte {
	h := signatureData(d.SignatureType, d.Owner, d.Target, d.Anchor, d.rawTags, d.Data)
	return h[:]
}

func signatureData(t SignatureType, owner, target, anchor, rawTags, data []byte) [48]byte {
	acc := dataItemPrefix(t)
	return deepHashContinue(acc, owner, target, anchor, rawTags, data)
}

// dataItemPrefix is the deep-hash accumulator of an item's signature data
// after its first three, constant, elements ("dataitem", "1", the type),
// so verification does not hash them again for every item.
func dataItemPrefix(t SignatureType) [48]byte {
	switch t {
	case SignatureArweave:
		return prefixArweave()
	case SignatureED25519:
		return prefixED25519()
	case SignatureEthereum:
		return prefixEthereum()
	}
	return computeDataItemPrefix(t)
}

var (
	prefixArweave  = sync.OnceValue(func() [48]byte { return computeDataItemPrefix(SignatureArweave) })
	prefixED25519  = sync.OnceValue(func() [48]byte { return computeDataItemPrefix(SignatureED25519) })
	prefixEthereum = sync.OnceValue(func() [48]byte { return computeDataItemPrefix(SignatureEthereum) })
)

func computeDataItemPrefix(t SignatureType) [48]byte {
	return deepHashContinue(deepHashListStart(8), []byte("dataitem"), []byte("1"), []byte(strconv.Itoa(int(t))))
}

// Verify checks the item's signature.
func (d *DataItem) Verify() error {
	if err := Verify(d.SignatureType, d.Owner, d.SignatureData(), d.Signature); err != nil {
		return fmt.Errorf("data item %s: %w", d.ID(), err)
	}
	return nil
}

// ParseDataItem parses the binary encoding of a data item and checks its
// layout and the limits arbundles enforces. It does not verify the
// signature (see Verify). It never panics; every error wraps ErrMalformed
// (or ErrUnsupportedSignatureType) and says what is wrong. The item keeps
// b: the caller must not modify it afterwards.
func ParseDataItem(b []byte) (*DataItem, error) {
	malformed := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
	if len(b) < MinItemSize {
		return nil, malformed("%d bytes is shorter than the smallest data item (%d bytes)", len(b), MinItemSize)
	}
	d := &DataItem{raw: b, SignatureType: SignatureType(binary.LittleEndian.Uint16(b))}
	sigLen, ownerLen, ok := d.SignatureType.layout()
	if !ok {
		return nil, fmt.Errorf("%w: %d", ErrUnsupportedSignatureType, uint16(d.SignatureType))
	}
	pos := 2
	need := func(n int, what string) error {
		if n > len(b)-pos {
			return malformed("truncated: %s needs %d bytes at offset %d, only %d left", what, n, pos, len(b)-pos)
		}
		return nil
	}
	if err := need(sigLen+ownerLen, "signature and owner"); err != nil {
		return nil, err
	}
	d.Signature = b[pos : pos+sigLen : pos+sigLen]
	pos += sigLen
	d.Owner = b[pos : pos+ownerLen : pos+ownerLen]
	pos += ownerLen
	for _, field := range []struct {
		name string
		dst  *[]byte
	}{{"target", &d.Target}, {"anchor", &d.Anchor}} {
		if err := need(1, field.name+" flag"); err != nil {
			return nil, err
		}
		switch b[pos] {
		case 0:
			pos++
		case 1:
			pos++
			if err := need(32, field.name); err != nil {
				return nil, err
			}
			*field.dst = b[pos : pos+32 : pos+32]
			pos += 32
		default:
			return nil, malformed("%s flag at offset %d is %d, want 0 or 1", field.name, pos, b[pos])
		}
	}
	if err := need(16, "tag count and tag byte length"); err != nil {
		return nil, err
	}
	tagCount := binary.LittleEndian.Uint64(b[pos:])
	tagBytes := binary.LittleEndian.Uint64(b[pos+8:])
	pos += 16
	if tagBytes > MaxTagBytes {
		return nil, malformed("tag section is %d bytes, the limit is %d", tagBytes, MaxTagBytes)
	}
	if tagCount > MaxTags {
		return nil, malformed("%d tags, the limit is %d", tagCount, MaxTags)
	}
	if err := need(int(tagBytes), "tag section"); err != nil {
		return nil, err
	}
	d.rawTags = b[pos : pos+int(tagBytes) : pos+int(tagBytes)]
	pos += int(tagBytes)
	if tagCount > 0 || tagBytes > 0 {
		tags, err := DecodeTags(d.rawTags)
		if err != nil {
			return nil, malformed("tags: %v", err)
		}
		if uint64(len(tags)) != tagCount {
			return nil, malformed("header says %d tags, the tag section holds %d", tagCount, len(tags))
		}
		d.Tags = tags
	}
	d.Data = b[pos:len(b):len(b)]
	return d, nil
}

// SignDataItem builds a data item from opts and signs it with s.
func SignDataItem(s Signer, opts ItemOptions) (*DataItem, error) {
	var target, anchor []byte
	if opts.Target != "" {
		t, err := DecodeID(opts.Target)
		if err != nil {
			return nil, fmt.Errorf("arweave: target: %w", err)
		}
		target = t
	}
	if opts.Anchor != "" {
		if len(opts.Anchor) != 32 {
			return nil, fmt.Errorf("arweave: anchor must be exactly 32 bytes, got %d", len(opts.Anchor))
		}
		anchor = []byte(opts.Anchor)
	}
	if len(opts.Tags) > MaxTags {
		return nil, fmt.Errorf("arweave: %d tags, the limit is %d", len(opts.Tags), MaxTags)
	}
	rawTags := EncodeTags(opts.Tags)
	if len(rawTags) > MaxTagBytes {
		return nil, fmt.Errorf("arweave: tags encode to %d bytes, the limit is %d", len(rawTags), MaxTagBytes)
	}
	owner := s.Owner()
	sigLen, ownerLen, ok := s.Type().layout()
	if !ok || len(owner) != ownerLen {
		return nil, fmt.Errorf("%w: signer of type %s has a %d-byte owner", ErrUnsupportedSignatureType, s.Type(), len(owner))
	}
	message := signatureData(s.Type(), owner, target, anchor, rawTags, opts.Data)
	sig, err := s.Sign(message[:])
	if err != nil {
		return nil, err
	}
	if len(sig) != sigLen {
		return nil, fmt.Errorf("arweave: %s signer made a %d-byte signature, want %d", s.Type(), len(sig), sigLen)
	}
	return assemble(s.Type(), sig, owner, target, anchor, len(opts.Tags), rawTags, opts.Data)
}

// NewDataItem lays out an item from its fields (an existing signature
// included) and parses it; it does not verify the signature. Readers use it
// to rebuild an item from a gateway's view of it (GraphQL fields and data).
// Tags are encoded as arbundles encodes them.
func NewDataItem(t SignatureType, signature, owner, target, anchor []byte, tags []Tag, data []byte) (*DataItem, error) {
	return assemble(t, signature, owner, target, anchor, len(tags), EncodeTags(tags), data)
}

// SignatureTypeFor infers the signature type of an item from its owner
// and signature lengths, for the types that can be verified (GraphQL does
// not report the type).
func SignatureTypeFor(ownerLen, sigLen int) (SignatureType, bool) {
	for _, t := range []SignatureType{SignatureArweave, SignatureED25519, SignatureEthereum} {
		if s, o, _ := t.layout(); s == sigLen && o == ownerLen {
			return t, true
		}
	}
	return 0, false
}

func assemble(t SignatureType, sig, owner, target, anchor []byte, tagCount int, rawTags, data []byte) (*DataItem, error) {
	size := 2 + len(sig) + len(owner) + 1 + len(target) + 1 + len(anchor) + 16 + len(rawTags) + len(data)
	b := make([]byte, 0, size)
	b = binary.LittleEndian.AppendUint16(b, uint16(t))
	b = append(b, sig...)
	b = append(b, owner...)
	b = appendOptional(b, target)
	b = appendOptional(b, anchor)
	b = binary.LittleEndian.AppendUint64(b, uint64(tagCount))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(rawTags)))
	b = append(b, rawTags...)
	b = append(b, data...)
	return ParseDataItem(b)
}

func appendOptional(b, field []byte) []byte {
	if len(field) == 0 {
		return append(b, 0)
	}
	return append(append(b, 1), field...)
}
