package embedded

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
)

func TestPutBundle(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	w := wallet(t, arweave.SignatureED25519)
	var items []*arweave.DataItem
	for i := range 100 {
		items = append(items, sign(t, w, arweave.ItemOptions{
			Tags: tags("Type", "Message", "N", string(rune('a'+i%26))),
			Data: bytes.Repeat([]byte{byte(i)}, i),
		}))
	}
	wrapperID, err := s.PutBundle(ctx, items)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		got, err := s.Item(ctx, it.ID())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), it.Bytes()) {
			t.Fatalf("item %s differs", it.ID())
		}
		tx, err := s.Transaction(ctx, it.ID())
		if err != nil {
			t.Fatal(err)
		}
		if tx.BundledIn != wrapperID {
			t.Fatalf("BundledIn = %q, want %q", tx.BundledIn, wrapperID)
		}
	}
	// The wrapper is stored by reference; it reads back byte-identical.
	wrapper, err := s.Item(ctx, wrapperID)
	if err != nil {
		t.Fatal(err)
	}
	if err := wrapper.Verify(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wrapper.Data, arweave.EncodeBundle(items)) {
		t.Fatal("wrapper data differs from the bundle")
	}
	if v, _, _ := get(s.db, dataKey(mustID(t, wrapperID))); v[0] != dataBundle {
		t.Fatalf("wrapper stored as kind %d, want by reference", v[0])
	}
	tx, err := s.Transaction(ctx, wrapperID)
	if err != nil {
		t.Fatal(err)
	}
	if tx.DataSize != int64(len(wrapper.Data)) || tx.BundledIn != "" || tx.OwnerAddress != arweave.SignerAddress(s.cfg.Signer) {
		t.Fatalf("wrapper transaction %+v", tx)
	}
	got := queryAll(t, s, arweave.TxQuery{BundledIn: []string{wrapperID}, Sort: arweave.HeightAsc}, 30)
	if !slices.Equal(got, ids(items...)) {
		t.Fatalf("BundledIn query: %d ids", len(got))
	}
	// Putting the same items in a new bundle stores only the wrapper, and
	// its data as it came, since its items were held already.
	wrapper2, err := s.PutBundle(ctx, items[:3])
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Data(ctx, wrapper2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d, arweave.EncodeBundle(items[:3])) {
		t.Fatal("second wrapper data differs")
	}
	if v, _, _ := get(s.db, dataKey(mustID(t, wrapper2))); v[0] != dataRaw {
		t.Fatalf("second wrapper stored as kind %d, want raw", v[0])
	}
	tx, err = s.Transaction(ctx, items[0].ID())
	if err != nil {
		t.Fatal(err)
	}
	if tx.BundledIn != wrapperID {
		t.Fatalf("BundledIn changed to %q", tx.BundledIn)
	}
	if n := len(queryAll(t, s, arweave.TxQuery{}, 1000)); n != 102 {
		t.Fatalf("%d items, want 102", n)
	}
}

func mustID(t *testing.T, id string) []byte {
	t.Helper()
	b, err := arweave.DecodeID(id)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNestedBundle(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	w := wallet(t, arweave.SignatureED25519)
	a := sign(t, w, arweave.ItemOptions{Data: []byte("a")})
	b := sign(t, w, arweave.ItemOptions{Data: []byte("b")})
	c := sign(t, w, arweave.ItemOptions{Data: []byte("c")})
	inner, err := arweave.SignBundle(w, []*arweave.DataItem{a, b})
	if err != nil {
		t.Fatal(err)
	}
	// The outer bundle holds the inner one, c, and c again.
	outer, err := arweave.SignBundle(w, []*arweave.DataItem{inner, c, c})
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, outer)
	for _, tc := range []struct {
		it        *arweave.DataItem
		bundledIn string
	}{{outer, ""}, {inner, outer.ID()}, {a, inner.ID()}, {b, inner.ID()}, {c, outer.ID()}} {
		got, err := s.Item(ctx, tc.it.ID())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), tc.it.Bytes()) {
			t.Fatalf("item %s differs", tc.it.ID())
		}
		tx, err := s.Transaction(ctx, tc.it.ID())
		if err != nil {
			t.Fatal(err)
		}
		if tx.BundledIn != tc.bundledIn {
			t.Fatalf("%s: BundledIn %q, want %q", tc.it.ID(), tx.BundledIn, tc.bundledIn)
		}
	}
	// Received order: each bundle, then its items depth first.
	got := queryAll(t, s, arweave.TxQuery{Sort: arweave.HeightAsc}, 10)
	if want := ids(outer, inner, a, b, c); !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	// Outer repeats c, so it is stored as it came; inner by reference.
	for id, kind := range map[string]byte{outer.ID(): dataRaw, inner.ID(): dataBundle} {
		if v, _, _ := get(s.db, dataKey(mustID(t, id))); v[0] != kind {
			t.Fatalf("%s stored as kind %d, want %d", id, v[0], kind)
		}
	}
	got = queryAll(t, s, arweave.TxQuery{BundledIn: []string{outer.ID(), inner.ID()}}, 10)
	if want := ids(c, b, a, inner); !slices.Equal(got, want) {
		t.Fatalf("BundledIn both: %v, want %v", got, want)
	}
}

func TestMalformedBundle(t *testing.T) {
	s := newStore(t)
	w := wallet(t, arweave.SignatureED25519)
	good := sign(t, w, arweave.ItemOptions{Data: []byte("good")})
	bad := sign(t, w, arweave.ItemOptions{Tags: arweave.BundleTags, Data: []byte("not a bundle")})
	// A bundle whose item claims to be a bundle but is not.
	ok1 := sign(t, w, arweave.ItemOptions{Data: []byte("nested fine")})
	outer, err := arweave.SignBundle(w, []*arweave.DataItem{ok1, bad})
	if err != nil {
		t.Fatal(err)
	}
	// A bundle whose header id does not match its item.
	enc := arweave.EncodeBundle([]*arweave.DataItem{ok1})
	enc[32+32] ^= 1
	badHeader := sign(t, w, arweave.ItemOptions{Tags: arweave.BundleTags, Data: enc})

	for _, tc := range []struct {
		name  string
		items []*arweave.DataItem
	}{
		{"bad data", []*arweave.DataItem{good, bad}},
		{"bad nested bundle", []*arweave.DataItem{good, outer}},
		{"bad header id", []*arweave.DataItem{badHeader, good}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.PutItems(context.Background(), tc.items...)
			if !errors.Is(err, arweave.ErrMalformed) {
				t.Fatalf("PutItems: %v, want ErrMalformed", err)
			}
			for _, id := range ids(good, bad, outer, ok1, badHeader) {
				if _, err := s.Transaction(context.Background(), id); !errors.Is(err, arweave.ErrNotFound) {
					t.Fatalf("%s was stored: %v", id, err)
				}
			}
			if got := queryAll(t, s, arweave.TxQuery{}, 10); len(got) != 0 {
				t.Fatalf("query finds %v", got)
			}
		})
	}
}

func TestPutBundleNoSigner(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Signer = nil
	s := openStore(t, cfg)
	if _, err := s.PutBundle(context.Background(), nil); !errors.Is(err, ErrNoSigner) {
		t.Fatalf("PutBundle: %v", err)
	}
}

func TestEmptyBundle(t *testing.T) {
	s := newStore(t)
	id, err := s.PutBundle(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Data(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d, arweave.EncodeBundle(nil)) {
		t.Fatalf("empty bundle data %x", d)
	}
}
