package arweave

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteFuzzSeeds regenerates the committed seed corpus of the fuzzers
// (signed items of every type, a bundle) when AOGO_WRITE_FUZZ_SEEDS=1.
// Seeds are files rather than f.Add calls so that fuzz workers start
// without generating RSA keys.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("AOGO_WRITE_FUZZ_SEEDS") != "1" {
		t.Skip("set AOGO_WRITE_FUZZ_SEEDS=1 to rewrite testdata/fuzz")
	}
	write := func(fuzzer, name string, b []byte) {
		dir := filepath.Join("testdata", "fuzz", fuzzer)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var items []*DataItem
	for _, typ := range []SignatureType{SignatureArweave, SignatureED25519, SignatureEthereum} {
		it, err := SignDataItem(testSigners()[typ], ItemOptions{
			Target: B64(make([]byte, 32)), Anchor: "00000000000000000000000000000001", Tags: vectorTags, Data: []byte("seed"),
		})
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, it)
		write("FuzzParseDataItem", "signed-"+typ.String(), it.Bytes())
	}
	write("FuzzDecodeBundle", "bundle-of-3", EncodeBundle(items))
	write("FuzzDecodeTags", "ao-tags", EncodeTags(vectorTags))
}

// FuzzParseDataItem checks that the parser never panics, that every
// rejection wraps a sentinel, and that verification of whatever it accepts
// does not panic either. Seeds: the protocol.md vector and the signed items
// in testdata/fuzz/FuzzParseDataItem.
func FuzzParseDataItem(f *testing.F) {
	f.Add(vectorItem())
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseDataItem(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupportedSignatureType) {
				t.Fatalf("rejection without a sentinel: %v", err)
			}
			return
		}
		if d.Size() != len(b) {
			t.Fatalf("size %d of %d bytes", d.Size(), len(b))
		}
		_ = d.Verify() // must not panic
		_ = d.ID()
		_ = d.OwnerAddress()
	})
}

// FuzzDecodeTags checks that the Avro tag decoder never panics and that
// what it decodes encodes back to a section that decodes the same.
func FuzzDecodeTags(f *testing.F) {
	f.Add(EncodeTags(vectorTags))
	f.Add([]byte{0})
	f.Add([]byte{3, 2, 'a', 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		tags, err := DecodeTags(b)
		if err != nil {
			return
		}
		again, err := DecodeTags(EncodeTags(tags))
		if err != nil || len(again) != len(tags) {
			t.Fatalf("re-encoding %d tags: %v", len(tags), err)
		}
		for i := range tags {
			if tags[i] != again[i] {
				t.Fatalf("tag %d changed", i)
			}
		}
	})
}

// FuzzDecodeBundle checks that the bundle decoder never panics.
func FuzzDecodeBundle(f *testing.F) {
	f.Add(make([]byte, 32))
	f.Fuzz(func(t *testing.T, b []byte) {
		items, err := DecodeBundle(b)
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupportedSignatureType) {
			t.Fatalf("rejection without a sentinel: %v", err)
		}
		for _, it := range items {
			_ = it.ID()
		}
	})
}
