package embedded

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
)

func TestPutGetRoundTrip(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	w := wallet(t, arweave.SignatureED25519)
	target := arweave.B64(bytes.Repeat([]byte{7}, 32))
	items := []*arweave.DataItem{
		sign(t, w, arweave.ItemOptions{}), // no tags, no data
		sign(t, w, arweave.ItemOptions{
			Target: target,
			Anchor: "00000000000000000000000000000007",
			Tags:   tags("Content-Type", "text/plain", "Type", "Message", "Type", "Twice"),
			Data:   []byte("hello"),
		}),
		sign(t, w, arweave.ItemOptions{Data: bytes.Repeat([]byte("x"), 1<<20)}),
	}
	put(t, s, items...)

	for _, want := range items {
		id := want.ID()
		got, err := s.Item(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("item %s: bytes differ", id)
		}
		data, err := s.Data(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, want.Data) {
			t.Fatalf("data %s differs", id)
		}
	}

	tx, err := s.Transaction(ctx, items[1].ID())
	if err != nil {
		t.Fatal(err)
	}
	want := &arweave.Transaction{
		ID:           items[1].ID(),
		Signature:    items[1].Signature,
		Owner:        w.Owner(),
		OwnerAddress: arweave.NativeAddress(w.Owner()),
		Target:       target,
		Anchor:       []byte("00000000000000000000000000000007"),
		Tags:         items[1].Tags,
		DataSize:     5,
		ContentType:  "text/plain",
	}
	if err := txEqual(tx, want); err != nil {
		t.Fatal(err)
	}
	tx, err = s.Transaction(ctx, items[0].ID())
	if err != nil {
		t.Fatal(err)
	}
	if tx.Target != "" || tx.Anchor != nil || tx.Tags != nil || tx.DataSize != 0 || tx.ContentType != "" || tx.Block != nil || tx.BundledIn != "" {
		t.Fatalf("empty item: %+v", tx)
	}
}

func txEqual(got, want *arweave.Transaction) error {
	if (got.Block == nil) != (want.Block == nil) || (got.Block != nil && *got.Block != *want.Block) {
		return fmt.Errorf("transaction %s: block %+v, want %+v", want.ID, got.Block, want.Block)
	}
	g, w := *got, *want
	g.Block, w.Block = nil, nil
	if !reflect.DeepEqual(g, w) {
		return fmt.Errorf("transaction: got %+v, want %+v", g, w)
	}
	return nil
}

func TestNotFound(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	unknown := arweave.B64(bytes.Repeat([]byte{1}, 32))
	for _, id := range []string{unknown, "not an id", ""} {
		if _, err := s.Item(ctx, id); !errors.Is(err, arweave.ErrNotFound) {
			t.Errorf("Item(%q): %v, want ErrNotFound", id, err)
		}
		if _, err := s.Data(ctx, id); !errors.Is(err, arweave.ErrNotFound) {
			t.Errorf("Data(%q): %v, want ErrNotFound", id, err)
		}
		_, err := s.Transaction(ctx, id)
		if !errors.Is(err, arweave.ErrNotFound) {
			t.Errorf("Transaction(%q): %v, want ErrNotFound", id, err)
		}
		if id != "" && !strings.Contains(err.Error(), id) {
			t.Errorf("error %q does not name the id", err)
		}
	}
}

func TestPutIdempotent(t *testing.T) {
	s := newStore(t)
	w := wallet(t, arweave.SignatureED25519)
	a := sign(t, w, arweave.ItemOptions{Tags: tags("Type", "Message"), Data: []byte("a")})
	b := sign(t, w, arweave.ItemOptions{Tags: tags("Type", "Message"), Data: []byte("b")})
	put(t, s, a)
	put(t, s, a, b, a) // a again, and twice in one call
	put(t, s, b)
	put(t, s) // nothing

	got := queryAll(t, s, arweave.TxQuery{Sort: arweave.HeightAsc}, 10)
	if !slices.Equal(got, []string{a.ID(), b.ID()}) {
		t.Fatalf("query: %v", got)
	}
	got = queryAll(t, s, arweave.TxQuery{Tags: []arweave.TagFilter{{Name: "Type", Values: []string{"Message"}}}}, 10)
	if !slices.Equal(got, []string{b.ID(), a.ID()}) {
		t.Fatalf("tag query: %v", got)
	}
	if s.mu.seq != 2 {
		t.Fatalf("seq = %d, want 2", s.mu.seq)
	}
}

// TestPutConcurrentSameIDs has many goroutines put overlapping items: each
// id must be indexed once.
func TestPutConcurrentSameIDs(t *testing.T) {
	s := newStore(t)
	f := newFakeSigner(1)
	var items []*arweave.DataItem
	for range 50 {
		items = append(items, fakeItem(t, f, ""))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range items {
				// Each goroutine puts the items in a different order, in
				// batches of up to 3.
				j := (i*7 + g*13) % len(items)
				if err := s.PutItems(context.Background(), items[j], items[(j+1)%len(items)]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := queryAll(t, s, arweave.TxQuery{}, 1000)
	if len(got) != len(items) {
		t.Fatalf("%d items indexed, want %d", len(got), len(items))
	}
	got = queryAll(t, s, arweave.TxQuery{Tags: []arweave.TagFilter{{Name: "Action", Values: []string{"Eval"}}}}, 7)
	if len(got) != len(items) {
		t.Fatalf("%d items in the tag index, want %d", len(got), len(items))
	}
	if s.mu.seq != uint64(len(items)) {
		t.Fatalf("seq = %d, want %d", s.mu.seq, len(items))
	}
}

func TestPutHandBuiltItem(t *testing.T) {
	s := newStore(t)
	for _, it := range []*arweave.DataItem{nil, {}, {Data: []byte("x")}} {
		if err := s.PutItems(context.Background(), it); !errors.Is(err, arweave.ErrMalformed) {
			t.Fatalf("PutItems(%+v): %v, want ErrMalformed", it, err)
		}
	}
}

func TestReopen(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := wallet(t, arweave.SignatureED25519)
	a := sign(t, w, arweave.ItemOptions{Tags: tags("K", "v"), Data: []byte("a")})
	b := sign(t, w, arweave.ItemOptions{Tags: tags("K", "v"), Data: []byte("b")})
	put(t, s, a)
	blk := mine(t, s)
	put(t, s, b)
	page, err := s.Query(context.Background(), arweave.TxQuery{First: 1, Sort: arweave.HeightAsc})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Item(context.Background(), a.ID()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Item after Close: %v", err)
	}
	if err := s.PutItems(context.Background(), a); !errors.Is(err, ErrClosed) {
		t.Fatalf("PutItems after Close: %v", err)
	}

	s = openStore(t, cfg)
	ctx := context.Background()
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Height != 1 || info.Current != blk.ID {
		t.Fatalf("info after reopen: %+v, want height 1 block %s", info, blk.ID)
	}
	txa, err := s.Transaction(ctx, a.ID())
	if err != nil {
		t.Fatal(err)
	}
	if txa.Block == nil || *txa.Block != *blk {
		t.Fatalf("block of a: %+v, want %+v", txa.Block, blk)
	}
	c := sign(t, w, arweave.ItemOptions{Tags: tags("K", "v"), Data: []byte("c")})
	put(t, s, c)
	// The cursor from before the reopen still continues after a, and c
	// is newer than b.
	got := queryAll(t, s, arweave.TxQuery{Sort: arweave.HeightAsc, After: page.Edges[0].Cursor}, 10)
	if !slices.Equal(got, []string{b.ID(), c.ID()}) {
		t.Fatalf("after reopen: %v", got)
	}
	blk2 := mine(t, s)
	if blk2.Height != 2 || blk2.Previous != blk.ID {
		t.Fatalf("block after reopen: %+v", blk2)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(Config{}); err == nil {
		t.Fatal("Open without Dir succeeded")
	}
	dir := t.TempDir()
	openStore(t, testConfig(t, dir))
	// The pebble lock keeps a second store out of the directory.
	if s2, err := Open(testConfig(t, dir)); err == nil {
		s2.Close()
		t.Fatal("second Open of the same directory succeeded")
	}
}

func TestContextCanceled(t *testing.T) {
	s := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	it := sign(t, wallet(t, arweave.SignatureED25519), arweave.ItemOptions{})
	if err := s.PutItems(ctx, it); !errors.Is(err, context.Canceled) {
		t.Fatalf("PutItems: %v", err)
	}
	if _, err := s.Item(context.Background(), it.ID()); !errors.Is(err, arweave.ErrNotFound) {
		t.Fatalf("item stored despite cancellation: %v", err)
	}
	if _, err := s.Mine(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Mine: %v", err)
	}
}

func TestDiskUsage(t *testing.T) {
	s := newStore(t)
	put(t, s, sign(t, wallet(t, arweave.SignatureED25519), arweave.ItemOptions{Data: make([]byte, 1<<16)}))
	if u := s.DiskUsage(); u == 0 {
		t.Fatal("DiskUsage = 0")
	}
	s.Close()
	if u := s.DiskUsage(); u != 0 {
		t.Fatalf("DiskUsage after Close = %d", u)
	}
}
