package embedded

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
)

func TestGenesis(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(make([]byte, 8))
	want := &arweave.Info{Network: "aogo.embedded", Height: 0, Current: arweave.B64(h[:]), Blocks: 1}
	if *info != *want {
		t.Fatalf("info %+v, want %+v", info, want)
	}
	p, err := s.Blocks(ctx, arweave.BlockQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Edges) != 1 || p.HasNextPage {
		t.Fatalf("blocks: %+v", p)
	}
	g := p.Edges[0].Node
	if g.Height != 0 || g.ID != info.Current || g.Previous != "" || g.Timestamp != 1_700_000_001 {
		t.Fatalf("genesis %+v", g)
	}
}

func TestMine(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	w := wallet(t, arweave.SignatureED25519)
	a := sign(t, w, arweave.ItemOptions{Data: []byte("a")})
	b := sign(t, w, arweave.ItemOptions{Data: []byte("b")})
	put(t, s, a, b)
	for _, it := range []*arweave.DataItem{a, b} {
		tx, err := s.Transaction(ctx, it.ID())
		if err != nil {
			t.Fatal(err)
		}
		if tx.Block != nil {
			t.Fatalf("pending item has block %+v", tx.Block)
		}
	}
	info, _ := s.Info(ctx)
	b1 := mine(t, s)
	// id = SHA-256(previous || height || confirmed ids)
	hash := sha256.New()
	hash.Write(mustID(t, info.Current))
	hash.Write(binary.BigEndian.AppendUint64(nil, 1))
	hash.Write(mustID(t, a.ID()))
	hash.Write(mustID(t, b.ID()))
	if want := arweave.B64(hash.Sum(nil)); b1.ID != want || b1.Height != 1 || b1.Previous != info.Current {
		t.Fatalf("block 1 %+v, want id %s after %s", b1, want, info.Current)
	}
	if b1.Timestamp != 1_700_000_002 {
		t.Fatalf("timestamp %d", b1.Timestamp)
	}
	for _, it := range []*arweave.DataItem{a, b} {
		tx, err := s.Transaction(ctx, it.ID())
		if err != nil {
			t.Fatal(err)
		}
		if tx.Block == nil || *tx.Block != *b1 {
			t.Fatalf("block of %s: %+v, want %+v", it.ID(), tx.Block, b1)
		}
	}
	b2 := mine(t, s) // nothing pending
	if b2.Height != 2 || b2.Previous != b1.ID {
		t.Fatalf("empty block %+v", b2)
	}
	c := sign(t, w, arweave.ItemOptions{Data: []byte("c")})
	put(t, s, c)
	b3 := mine(t, s)
	tx, err := s.Transaction(ctx, c.ID())
	if err != nil {
		t.Fatal(err)
	}
	if tx.Block == nil || tx.Block.Height != 3 || tx.Block.ID != b3.ID {
		t.Fatalf("block of c %+v, want %+v", tx.Block, b3)
	}
	tx, _ = s.Transaction(ctx, a.ID())
	if tx.Block.Height != 1 {
		t.Fatalf("a moved to block %+v", tx.Block)
	}
	info, _ = s.Info(ctx)
	if info.Height != 3 || info.Blocks != 4 || info.Current != b3.ID {
		t.Fatalf("info %+v", info)
	}
}

func TestBlocksQuery(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	var all []*arweave.Block // by height
	p, err := s.Blocks(ctx, arweave.BlockQuery{})
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, p.Edges[0].Node)
	for range 24 {
		all = append(all, mine(t, s))
	}
	blockIDs := func(bs []*arweave.Block) []string {
		var out []string
		for _, b := range bs {
			out = append(out, b.ID)
		}
		return out
	}
	pageAll := func(q arweave.BlockQuery, first int) []string {
		t.Helper()
		q.First = first
		var out []string
		for {
			p, err := s.Blocks(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range p.Edges {
				out = append(out, e.Node.ID)
			}
			if !p.HasNextPage {
				return out
			}
			if len(p.Edges) != arweave.PageSize(first) {
				t.Fatalf("HasNextPage on a short page")
			}
			q.After = p.Edges[len(p.Edges)-1].Cursor
		}
	}
	ptr := func(h int64) *int64 { return &h }
	rev := func(s []string) []string { s = slices.Clone(s); slices.Reverse(s); return s }
	for _, tc := range []struct {
		name string
		q    arweave.BlockQuery
		want []string // ascending
	}{
		{"all", arweave.BlockQuery{}, blockIDs(all)},
		{"range", arweave.BlockQuery{MinHeight: ptr(3), MaxHeight: ptr(9)}, blockIDs(all[3:10])},
		{"min", arweave.BlockQuery{MinHeight: ptr(20)}, blockIDs(all[20:])},
		{"max", arweave.BlockQuery{MaxHeight: ptr(2)}, blockIDs(all[:3])},
		{"beyond", arweave.BlockQuery{MinHeight: ptr(30)}, nil},
		{"ids", arweave.BlockQuery{IDs: []string{all[7].ID, all[2].ID, "junk", all[7].ID, all[19].ID}}, blockIDs([]*arweave.Block{all[2], all[7], all[19]})},
		{"ids and range", arweave.BlockQuery{IDs: []string{all[7].ID, all[2].ID, all[19].ID}, MaxHeight: ptr(10)}, blockIDs([]*arweave.Block{all[2], all[7]})},
	} {
		for _, first := range []int{1, 4, 10, 100} {
			q := tc.q
			q.Sort = arweave.HeightAsc
			if got := pageAll(q, first); !slices.Equal(got, tc.want) {
				t.Fatalf("%s asc first %d: %v, want %v", tc.name, first, got, tc.want)
			}
			q.Sort = arweave.HeightDesc
			if got := pageAll(q, first); !slices.Equal(got, rev(tc.want)) {
				t.Fatalf("%s desc first %d: %v", tc.name, first, got)
			}
		}
	}
	p, err = s.Blocks(ctx, arweave.BlockQuery{IDs: []string{all[5].ID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Edges) != 1 || *p.Edges[0].Node != *all[5] {
		t.Fatalf("block 5: %+v", p.Edges)
	}
	if all[5].Previous != all[4].ID {
		t.Fatal("chain broken")
	}
}

// TestMineWhilePutting mines while writers put, then checks every block
// against the items a height query returns for it: the id must hash
// exactly those items, and every item must be in one block.
func TestMineWhilePutting(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	var n atomic.Int64
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := newFakeSigner(byte(g + 1))
			for i := range 50 {
				batch := make([]*arweave.DataItem, 1+i%3)
				for j := range batch {
					batch[j] = fakeItem(t, f, "")
				}
				if err := s.PutItems(ctx, batch...); err != nil {
					t.Error(err)
					return
				}
				n.Add(int64(len(batch)))
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			if _, err := s.Mine(ctx); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
	<-done
	last := mine(t, s)

	total := 0
	prev := ""
	for h := int64(0); h <= last.Height; h++ {
		p, err := s.Blocks(ctx, arweave.BlockQuery{MinHeight: &h, MaxHeight: &h})
		if err != nil {
			t.Fatal(err)
		}
		blk := p.Edges[0].Node
		confirmed := queryAll(t, s, arweave.TxQuery{MinHeight: &h, MaxHeight: &h, Sort: arweave.HeightAsc}, 1000)
		hash := sha256.New()
		if prev != "" {
			hash.Write(mustID(t, prev))
		}
		hash.Write(binary.BigEndian.AppendUint64(nil, uint64(h)))
		for _, id := range confirmed {
			hash.Write(mustID(t, id))
		}
		if want := arweave.B64(hash.Sum(nil)); blk.ID != want || blk.Previous != prev {
			t.Fatalf("block %d: id %s previous %s, want %s after %s (%d items)", h, blk.ID, blk.Previous, want, prev, len(confirmed))
		}
		prev = blk.ID
		total += len(confirmed)
	}
	if all := queryAll(t, s, arweave.TxQuery{}, 1000); int64(total) != n.Load() || len(all) != total {
		t.Fatalf("%d items in blocks, %d items stored, want %d", total, len(all), n.Load())
	}
}
