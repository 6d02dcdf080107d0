package embedded

import (
	"context"
	"encoding/binary"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
)

// clock is a fake Now: it starts at a fixed time and each call advances
// it by a second.
type clock struct{ n atomic.Int64 }

func (c *clock) now() time.Time {
	return time.Unix(1_700_000_000+c.n.Add(1), 0)
}

func testConfig(t testing.TB, dir string) Config {
	t.Helper()
	signer, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{}
	return Config{Dir: dir, Signer: signer, Now: c.now}
}

func openStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newStore(t testing.TB) *Store {
	t.Helper()
	return openStore(t, testConfig(t, t.TempDir()))
}

func wallet(t testing.TB, typ arweave.SignatureType) arweave.Signer {
	t.Helper()
	w, err := arweave.GenerateWallet(typ)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func sign(t testing.TB, s arweave.Signer, opts arweave.ItemOptions) *arweave.DataItem {
	t.Helper()
	it, err := arweave.SignDataItem(s, opts)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func tags(kv ...string) []arweave.Tag {
	var ts []arweave.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		ts = append(ts, arweave.Tag{Name: kv[i], Value: kv[i+1]})
	}
	return ts
}

func put(t testing.TB, s *Store, items ...*arweave.DataItem) {
	t.Helper()
	if err := s.PutItems(context.Background(), items...); err != nil {
		t.Fatal(err)
	}
}

func mine(t testing.TB, s *Store) *arweave.Block {
	t.Helper()
	b, err := s.Mine(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// queryAll pages through a query with the given page size and returns the
// ids in order. It fails on a repeated id or a page that breaks the
// HasNextPage contract.
func queryAll(t testing.TB, s *Store, q arweave.TxQuery, first int) []string {
	t.Helper()
	q.First = first
	var ids []string
	seen := map[string]bool{}
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("too many pages")
		}
		p, err := s.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if p.HasNextPage && len(p.Edges) != arweave.PageSize(first) {
			t.Fatalf("HasNextPage with a short page of %d edges", len(p.Edges))
		}
		for _, e := range p.Edges {
			if seen[e.Node.ID] {
				t.Fatalf("id %s returned twice", e.Node.ID)
			}
			seen[e.Node.ID] = true
			ids = append(ids, e.Node.ID)
		}
		if !p.HasNextPage {
			return ids
		}
		q.After = p.Edges[len(p.Edges)-1].Cursor
	}
}

// fakeSigner makes well-formed ed25519-layout items with unique but
// invalid signatures, fast. The store does not verify signatures, so
// benchmarks and crash tests use it to measure the store, not ed25519.
type fakeSigner struct {
	owner [32]byte
	n     atomic.Uint64
}

func newFakeSigner(seed byte) *fakeSigner {
	f := &fakeSigner{}
	f.owner[0] = seed
	return f
}

func (f *fakeSigner) Type() arweave.SignatureType { return arweave.SignatureED25519 }
func (f *fakeSigner) Owner() []byte               { return f.owner[:] }
func (f *fakeSigner) Sign(message []byte) ([]byte, error) {
	sig := make([]byte, 64)
	copy(sig, message)
	binary.BigEndian.PutUint64(sig[48:], f.n.Add(1))
	sig[56] = f.owner[0]
	return sig, nil
}

// fakeItem is a typical AO message: a target, a handful of tags, and a
// small payload.
func fakeItem(t testing.TB, f *fakeSigner, target string) *arweave.DataItem {
	t.Helper()
	return sign(t, f, arweave.ItemOptions{
		Target: target,
		Tags:   tags("Data-Protocol", "ao", "Variant", "ao.TN.1", "Type", "Message", "Action", "Eval"),
		Data:   []byte("return 1 + 1 -- a small payload of a few dozen bytes"),
	})
}
