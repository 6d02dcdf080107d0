package embedded

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
)

// queryFixture is a small store with two ed25519 signers and one Ethereum
// signer, items with targets and tags, and a bundle.
type queryFixture struct {
	s               *Store
	alice, bob, eth arweave.Signer
	p1, p2          string // two process ids used as targets
	a1, a2, b1, e1  *arweave.DataItem
	bundle, n1, n2  *arweave.DataItem
}

func newQueryFixture(t *testing.T) *queryFixture {
	f := &queryFixture{
		s:     newStore(t),
		alice: wallet(t, arweave.SignatureED25519),
		bob:   wallet(t, arweave.SignatureED25519),
		eth:   wallet(t, arweave.SignatureEthereum),
		p1:    arweave.B64(bytes.Repeat([]byte{1}, 32)),
		p2:    arweave.B64(bytes.Repeat([]byte{2}, 32)),
	}
	f.a1 = sign(t, f.alice, arweave.ItemOptions{Target: f.p1, Tags: tags("Type", "Message", "Action", "Eval")})
	f.a2 = sign(t, f.alice, arweave.ItemOptions{Target: f.p2, Tags: tags("Type", "Message", "Action", "Transfer")})
	f.b1 = sign(t, f.bob, arweave.ItemOptions{Tags: tags("Type", "Process", "Name", "one", "Name", "two")})
	f.e1 = sign(t, f.eth, arweave.ItemOptions{Target: f.p1, Tags: tags("Type", "Message", "Action", "Eval")})
	f.n1 = sign(t, f.bob, arweave.ItemOptions{Target: f.p2, Tags: tags("Type", "Message", "Action", "Eval")})
	f.n2 = sign(t, f.alice, arweave.ItemOptions{Tags: tags("Type", "Assignment")})
	var err error
	f.bundle, err = arweave.SignBundle(f.bob, []*arweave.DataItem{f.n1, f.n2})
	if err != nil {
		t.Fatal(err)
	}
	put(t, f.s, f.a1, f.a2)
	put(t, f.s, f.b1)
	put(t, f.s, f.e1, f.bundle)
	return f
}

func ids(items ...*arweave.DataItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.ID())
	}
	return out
}

func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}

func TestQueryFilters(t *testing.T) {
	f := newQueryFixture(t)
	ethAddr := arweave.SignerAddress(f.eth)
	if !strings.HasPrefix(ethAddr, "0x") || ethAddr == arweave.NativeAddress(f.eth.Owner()) {
		t.Fatalf("ethereum address %s", ethAddr)
	}
	tf := func(name string, values ...string) arweave.TagFilter {
		return arweave.TagFilter{Name: name, Values: values}
	}
	for _, tc := range []struct {
		name string
		q    arweave.TxQuery
		want []*arweave.DataItem // oldest first
	}{
		{"all", arweave.TxQuery{}, []*arweave.DataItem{f.a1, f.a2, f.b1, f.e1, f.bundle, f.n1, f.n2}},
		{"ids", arweave.TxQuery{IDs: []string{f.b1.ID(), f.n2.ID(), "junk", f.b1.ID()}}, []*arweave.DataItem{f.b1, f.n2}},
		{"unknown id", arweave.TxQuery{IDs: []string{arweave.B64(make([]byte, 32))}}, nil},
		{"owner", arweave.TxQuery{Owners: []string{arweave.SignerAddress(f.alice)}}, []*arweave.DataItem{f.a1, f.a2, f.n2}},
		{"owners ORed", arweave.TxQuery{Owners: []string{arweave.SignerAddress(f.alice), arweave.SignerAddress(f.bob)}},
			[]*arweave.DataItem{f.a1, f.a2, f.b1, f.bundle, f.n1, f.n2}},
		{"eth 0x address", arweave.TxQuery{Owners: []string{ethAddr}}, []*arweave.DataItem{f.e1}},
		{"eth 0x address lower case", arweave.TxQuery{Owners: []string{strings.ToLower(ethAddr)}}, []*arweave.DataItem{f.e1}},
		{"eth native address", arweave.TxQuery{Owners: []string{arweave.NativeAddress(f.eth.Owner())}}, []*arweave.DataItem{f.e1}},
		{"eth both forms", arweave.TxQuery{Owners: []string{arweave.NativeAddress(f.eth.Owner()), ethAddr}}, []*arweave.DataItem{f.e1}},
		{"unknown owner", arweave.TxQuery{Owners: []string{"nobody"}}, nil},
		{"recipient", arweave.TxQuery{Recipients: []string{f.p1}}, []*arweave.DataItem{f.a1, f.e1}},
		{"recipients ORed", arweave.TxQuery{Recipients: []string{f.p1, f.p2}}, []*arweave.DataItem{f.a1, f.a2, f.e1, f.n1}},
		{"bad recipient", arweave.TxQuery{Recipients: []string{"junk"}}, nil},
		{"tag", arweave.TxQuery{Tags: []arweave.TagFilter{tf("Type", "Message")}}, []*arweave.DataItem{f.a1, f.a2, f.e1, f.n1}},
		{"tag values ORed", arweave.TxQuery{Tags: []arweave.TagFilter{tf("Type", "Process", "Assignment")}}, []*arweave.DataItem{f.b1, f.n2}},
		{"tags ANDed", arweave.TxQuery{Tags: []arweave.TagFilter{tf("Type", "Message"), tf("Action", "Eval")}}, []*arweave.DataItem{f.a1, f.e1, f.n1}},
		{"repeated tag name", arweave.TxQuery{Tags: []arweave.TagFilter{tf("Name", "two")}}, []*arweave.DataItem{f.b1}},
		{"repeated tag name both values", arweave.TxQuery{Tags: []arweave.TagFilter{tf("Name", "one", "two")}}, []*arweave.DataItem{f.b1}},
		{"tag name only", arweave.TxQuery{Tags: []arweave.TagFilter{{Name: "Action"}}}, []*arweave.DataItem{f.a1, f.a2, f.e1, f.n1}},
		{"not equal", arweave.TxQuery{Tags: []arweave.TagFilter{{Name: "Action", Values: []string{"Eval"}, NotEqual: true}}}, []*arweave.DataItem{f.a2}},
		{"not equal, repeated name", arweave.TxQuery{Tags: []arweave.TagFilter{{Name: "Name", Values: []string{"one"}, NotEqual: true}}}, nil},
		{"not equal and equal", arweave.TxQuery{Tags: []arweave.TagFilter{
			tf("Type", "Message"), {Name: "Action", Values: []string{"Transfer"}, NotEqual: true}}}, []*arweave.DataItem{f.a1, f.e1, f.n1}},
		{"bundled in", arweave.TxQuery{BundledIn: []string{f.bundle.ID()}}, []*arweave.DataItem{f.n1, f.n2}},
		{"bundled in, unknown", arweave.TxQuery{BundledIn: []string{f.a1.ID()}}, nil},
		{"owner and tag and recipient", arweave.TxQuery{
			Owners: []string{arweave.SignerAddress(f.bob), ethAddr}, Tags: []arweave.TagFilter{tf("Action", "Eval")}, Recipients: []string{f.p2, f.p1}},
			[]*arweave.DataItem{f.e1, f.n1}},
		{"ids and owner", arweave.TxQuery{IDs: []string{f.a1.ID(), f.b1.ID()}, Owners: []string{arweave.SignerAddress(f.bob)}}, []*arweave.DataItem{f.b1}},
		{"contradiction", arweave.TxQuery{Owners: []string{arweave.SignerAddress(f.alice)}, Tags: []arweave.TagFilter{tf("Type", "Process")}}, nil},
		{"unknown tag", arweave.TxQuery{Tags: []arweave.TagFilter{tf("Type", "Nope")}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := ids(tc.want...)
			for _, first := range []int{1, 2, 100} {
				q := tc.q
				q.Sort = arweave.HeightAsc
				if got := queryAll(t, f.s, q, first); !slices.Equal(got, want) {
					t.Fatalf("asc, first %d: got %v, want %v", first, got, want)
				}
				q.Sort = arweave.HeightDesc
				if got := queryAll(t, f.s, q, first); !slices.Equal(got, reversed(want)) {
					t.Fatalf("desc, first %d: got %v, want %v", first, got, reversed(want))
				}
			}
		})
	}
}

func TestQueryNodes(t *testing.T) {
	f := newQueryFixture(t)
	p, err := f.s.Query(context.Background(), arweave.TxQuery{IDs: []string{f.n1.ID(), f.e1.ID()}, Sort: arweave.HeightAsc})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Edges) != 2 || p.HasNextPage {
		t.Fatalf("page: %+v", p)
	}
	for i, it := range []*arweave.DataItem{f.e1, f.n1} {
		want, err := f.s.Transaction(context.Background(), it.ID())
		if err != nil {
			t.Fatal(err)
		}
		if err := txEqual(p.Edges[i].Node, want); err != nil {
			t.Fatal(err)
		}
	}
	if p.Edges[1].Node.BundledIn != f.bundle.ID() {
		t.Fatalf("BundledIn = %q", p.Edges[1].Node.BundledIn)
	}
	if p.Edges[0].Node.OwnerAddress != arweave.NativeAddress(f.eth.Owner()) {
		t.Fatalf("eth OwnerAddress = %q, want the native address", p.Edges[0].Node.OwnerAddress)
	}
}

func TestQueryPaging(t *testing.T) {
	s := newStore(t)
	fs := newFakeSigner(1)
	var want []string
	for i := range 57 {
		var batch []*arweave.DataItem
		for range i % 4 {
			it := fakeItem(t, fs, "")
			batch = append(batch, it)
			want = append(want, it.ID())
		}
		put(t, s, batch...)
		if i%10 == 3 {
			mine(t, s)
		}
	}
	for _, first := range []int{0, 1, 7, 10, 84, 85, 86, 1000, 5000} {
		got := queryAll(t, s, arweave.TxQuery{Sort: arweave.HeightAsc}, first)
		if !slices.Equal(got, want) {
			t.Fatalf("asc, first %d: %d ids, want %d", first, len(got), len(want))
		}
		got = queryAll(t, s, arweave.TxQuery{}, first)
		if !slices.Equal(got, reversed(want)) {
			t.Fatalf("desc, first %d: %d ids, want %d", first, len(got), len(want))
		}
	}
	// The default page size is 10 and HasNextPage is exact.
	p, err := s.Query(context.Background(), arweave.TxQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Edges) != arweave.DefaultPageSize || !p.HasNextPage {
		t.Fatalf("default page: %d edges, HasNextPage %v", len(p.Edges), p.HasNextPage)
	}
	p, err = s.Query(context.Background(), arweave.TxQuery{First: len(want)})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Edges) != len(want) || p.HasNextPage {
		t.Fatalf("exact page: %d edges, HasNextPage %v", len(p.Edges), p.HasNextPage)
	}
	// Continuing after the newest edge.
	p, err = s.Query(context.Background(), arweave.TxQuery{After: p.Edges[0].Cursor, First: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Edges) != len(want)-1 {
		t.Fatalf("after the newest, descending: %d edges", len(p.Edges))
	}
	p, err = s.Query(context.Background(), arweave.TxQuery{After: p.Edges[0].Cursor, Sort: arweave.HeightAsc})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Edges) != 1 || p.HasNextPage {
		t.Fatalf("ascending after the second newest: %d edges", len(p.Edges))
	}
	p, err = s.Query(context.Background(), arweave.TxQuery{After: p.Edges[0].Cursor, Sort: arweave.HeightAsc})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Edges) != 0 || p.HasNextPage {
		t.Fatalf("ascending after the newest: %d edges", len(p.Edges))
	}
}

func TestQueryBadCursor(t *testing.T) {
	s := newStore(t)
	for _, c := range []string{"!", "AAAA", "AAAAAAAAAAAAAAAAAAAA", "not a cursor at all"} {
		_, err := s.Query(context.Background(), arweave.TxQuery{After: c})
		if !errors.Is(err, arweave.ErrBadCursor) {
			t.Errorf("Query(After %q): %v, want arweave.ErrBadCursor", c, err)
		}
		_, err = s.Blocks(context.Background(), arweave.BlockQuery{After: c})
		if !errors.Is(err, arweave.ErrBadCursor) {
			t.Errorf("Blocks(After %q): %v, want arweave.ErrBadCursor", c, err)
		}
	}
}

func TestQueryHeights(t *testing.T) {
	s := newStore(t)
	fs := newFakeSigner(1)
	var h1, h2 []string
	for range 3 {
		it := fakeItem(t, fs, "")
		put(t, s, it)
		h1 = append(h1, it.ID())
	}
	mine(t, s) // height 1
	mine(t, s) // height 2: empty
	for range 2 {
		it := fakeItem(t, fs, "")
		put(t, s, it)
		h2 = append(h2, it.ID())
	}
	ptr := func(h int64) *int64 { return &h }
	all := func(parts ...[]string) []string { return slices.Concat(parts...) }
	check := func(name string, min, max *int64, want []string) {
		t.Helper()
		q := arweave.TxQuery{MinHeight: min, MaxHeight: max, Sort: arweave.HeightAsc}
		if got := queryAll(t, s, q, 2); !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
		q.Sort = arweave.HeightDesc
		if got := queryAll(t, s, q, 2); !slices.Equal(got, reversed(want)) {
			t.Errorf("%s desc: got %v, want %v", name, got, reversed(want))
		}
	}
	// Before the second mine the h2 items are pending: excluded by any
	// height filter, included without one.
	check("no filter", nil, nil, all(h1, h2))
	check("min 0", ptr(0), nil, h1)
	check("min 1", ptr(1), nil, h1)
	check("min 2", ptr(2), nil, nil)
	check("min 3", ptr(3), nil, nil)
	check("max 0", nil, ptr(0), nil)
	check("max 1", nil, ptr(1), h1)
	check("max 100", nil, ptr(100), h1)
	check("max -1", nil, ptr(-1), nil)

	mine(t, s) // height 3
	it := fakeItem(t, fs, "")
	put(t, s, it)
	pending := []string{it.ID()}

	check("no filter after mine", nil, nil, all(h1, h2, pending))
	check("min 0 after", ptr(0), nil, all(h1, h2))
	check("min 2 after", ptr(2), nil, h2)
	check("min 3 after", ptr(3), nil, h2)
	check("min 4 after", ptr(4), nil, nil)
	check("max 2 after", nil, ptr(2), h1)
	check("2..3", ptr(2), ptr(3), h2)
	check("1..1", ptr(1), ptr(1), h1)
	check("2..2", ptr(2), ptr(2), nil)
	check("3..1", ptr(3), ptr(1), nil)

	ctx := context.Background()
	for _, id := range h2 {
		tx, err := s.Transaction(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if tx.Block == nil || tx.Block.Height != 3 {
			t.Fatalf("h2 item block %+v, want height 3", tx.Block)
		}
	}
	tx, err := s.Transaction(ctx, pending[0])
	if err != nil {
		t.Fatal(err)
	}
	if tx.Block != nil {
		t.Fatalf("pending item has block %+v", tx.Block)
	}
}

// TestQueryDifferential compares random queries against a naive filter
// over all items, across pages, in both orders.
func TestQueryDifferential(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	s := newStore(t)
	signers := []*fakeSigner{newFakeSigner(1), newFakeSigner(2), newFakeSigner(3)}
	targets := []string{"", arweave.B64(bytes.Repeat([]byte{1}, 32)), arweave.B64(bytes.Repeat([]byte{2}, 32))}
	names := []string{"A", "B", "C"}
	values := []string{"x", "y", "z", "w"}

	type model struct {
		id, owner, target, bundledIn string
		tags                         arweave.Tags
		height                       int64 // -1 pending
	}
	var items []*model
	randomItem := func() (*arweave.DataItem, *model) {
		sg := signers[rng.IntN(len(signers))]
		var ts []arweave.Tag
		for range rng.IntN(4) {
			ts = append(ts, arweave.Tag{Name: names[rng.IntN(len(names))], Value: values[rng.IntN(len(values))]})
		}
		target := targets[rng.IntN(len(targets))]
		it := sign(t, sg, arweave.ItemOptions{Target: target, Tags: ts})
		return it, &model{id: it.ID(), owner: arweave.SignerAddress(sg), target: target, tags: it.Tags, height: -1}
	}
	height := int64(0)
	for range 100 {
		switch r := rng.IntN(10); {
		case r == 0:
			height = mine(t, s).Height
			for _, m := range items {
				if m.height < 0 {
					m.height = height
				}
			}
		case r < 3: // a bundle of 1..4 items
			var nested []*arweave.DataItem
			var ms []*model
			for range 1 + rng.IntN(4) {
				it, m := randomItem()
				nested = append(nested, it)
				ms = append(ms, m)
			}
			b, err := arweave.SignBundle(signers[0], nested, tags(names[rng.IntN(3)], values[rng.IntN(4)])...)
			if err != nil {
				t.Fatal(err)
			}
			put(t, s, b)
			items = append(items, &model{id: b.ID(), owner: arweave.SignerAddress(signers[0]), tags: b.Tags, height: -1})
			for _, m := range ms {
				m.bundledIn = b.ID()
			}
			items = append(items, ms...)
		default:
			var batch []*arweave.DataItem
			for range 1 + rng.IntN(3) {
				it, m := randomItem()
				batch = append(batch, it)
				items = append(items, m)
			}
			put(t, s, batch...)
		}
	}
	pick := func(from []string) []string {
		var out []string
		for range 1 + rng.IntN(2) {
			out = append(out, from[rng.IntN(len(from))])
		}
		return out
	}
	allIDs := func() []string {
		var out []string
		for _, m := range items {
			out = append(out, m.id)
		}
		return out
	}
	owners := []string{arweave.SignerAddress(signers[0]), arweave.SignerAddress(signers[1]), arweave.SignerAddress(signers[2])}
	for qi := range 400 {
		var q arweave.TxQuery
		if rng.IntN(6) == 0 {
			q.IDs = pick(allIDs())
		}
		if rng.IntN(3) == 0 {
			q.Owners = pick(owners)
		}
		if rng.IntN(4) == 0 {
			q.Recipients = pick(targets[1:])
		}
		if rng.IntN(5) == 0 {
			var bundles []string
			for _, m := range items {
				if m.bundledIn != "" {
					bundles = append(bundles, m.bundledIn)
				}
			}
			if len(bundles) > 0 {
				q.BundledIn = pick(bundles)
			}
		}
		for range rng.IntN(3) {
			f := arweave.TagFilter{Name: names[rng.IntN(len(names))], NotEqual: rng.IntN(5) == 0}
			if rng.IntN(6) > 0 {
				f.Values = pick(values)
			}
			q.Tags = append(q.Tags, f)
		}
		if rng.IntN(4) == 0 {
			h := rng.Int64N(height + 2)
			q.MinHeight = &h
		}
		if rng.IntN(4) == 0 {
			h := rng.Int64N(height+2) - 1
			q.MaxHeight = &h
		}
		var want []string
		for _, m := range items {
			if matchModel(q, m.id, m.owner, m.target, m.bundledIn, m.tags, m.height) {
				want = append(want, m.id)
			}
		}
		first := 1 + rng.IntN(5)
		q.Sort = arweave.HeightAsc
		if got := queryAll(t, s, q, first); !slices.Equal(got, want) {
			t.Fatalf("query %d %+v asc: got %v, want %v", qi, q, got, want)
		}
		q.Sort = arweave.HeightDesc
		if got := queryAll(t, s, q, first); !slices.Equal(got, reversed(want)) {
			t.Fatalf("query %d %+v desc: got %v, want %v", qi, q, got, reversed(want))
		}
	}
}

// matchModel is the naive reading of the query semantics in doc.go.
func matchModel(q arweave.TxQuery, id, owner, target, bundledIn string, tags arweave.Tags, height int64) bool {
	if len(q.IDs) > 0 && !slices.Contains(q.IDs, id) {
		return false
	}
	if len(q.Owners) > 0 && !slices.Contains(q.Owners, owner) {
		return false
	}
	if len(q.Recipients) > 0 && !slices.Contains(q.Recipients, target) {
		return false
	}
	if len(q.BundledIn) > 0 && !slices.Contains(q.BundledIn, bundledIn) {
		return false
	}
	if (q.MinHeight != nil || q.MaxHeight != nil) && height < 0 {
		return false
	}
	if q.MinHeight != nil && height < *q.MinHeight {
		return false
	}
	if q.MaxHeight != nil && height > *q.MaxHeight {
		return false
	}
	for _, f := range q.Tags {
		named, hit := false, false
		for _, t := range tags {
			if t.Name == f.Name {
				named = true
				hit = hit || slices.Contains(f.Values, t.Value)
			}
		}
		switch {
		case f.NotEqual && (!named || hit):
			return false
		case !f.NotEqual && len(f.Values) > 0 && !hit:
			return false
		case !f.NotEqual && !named:
			return false
		}
	}
	return true
}
