// Package storetest holds acceptance tests every arweave.Store must pass.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
)

// ReadBackItems is the number of items ReadBack puts.
const ReadBackItems = 100

// Deadlines of ReadBack.
const (
	readBackTimeout = 5 * time.Minute
	visiblePoll     = 200 * time.Millisecond
	readWorkers     = 8
)

var (
	rsaOnce   sync.Once
	rsaSigner arweave.Signer
	rsaErr    error
)

// rsaWallet generates one RSA wallet per test binary (it takes a second or
// two).
func rsaWallet(t *testing.T) arweave.Signer {
	t.Helper()
	rsaOnce.Do(func() { rsaSigner, rsaErr = arweave.GenerateWallet(arweave.SignatureArweave) })
	if rsaErr != nil {
		t.Fatal(rsaErr)
	}
	return rsaSigner
}

// ReadBack is the read-back acceptance test of a Store. It signs 100 items
// (mostly ed25519 and ethereum, a few RSA; some with a target, some with an
// anchor, some with empty data; every one tagged Test-Run=<random run id>
// and Index=<i>), puts them with one PutBundle, then calls mine (which may be
// nil) until every item is visible to a tag query, with a deadline. Then it
// reads every item back by id (Item must return the very bytes that were put,
// and they must verify; Data must return the data; Transaction must report
// the item's fields) and finds all of them with a tag query on Test-Run,
// paging through pages of 100 and of 7 items: no id missing, none twice,
// none foreign.
func ReadBack(t *testing.T, store arweave.Store, mine func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), readBackTimeout)
	defer cancel()

	run := randomID(t)
	items := makeItems(t, run)
	want := make(map[string]*arweave.DataItem, len(items))
	for _, it := range items {
		want[it.ID()] = it
	}

	bundleID, err := store.PutBundle(ctx, items)
	if err != nil {
		t.Fatalf("PutBundle: %v", err)
	}
	if bundleID == "" {
		t.Fatal("PutBundle returned an empty id")
	}
	t.Logf("run %s: bundle %s holds %d items", run, bundleID, len(items))

	awaitVisible(ctx, t, store, run, mine)

	t.Run("ItemAndData", func(t *testing.T) {
		readEach(ctx, t, store, items)
	})
	t.Run("QueryByTag", func(t *testing.T) {
		for _, size := range []int{ReadBackItems, 7} {
			ids := queryAll(ctx, t, store, run, size)
			if len(ids) != len(want) {
				t.Errorf("page size %d: query found %d items, want %d", size, len(ids), len(want))
			}
			for _, id := range ids {
				if want[id] == nil {
					t.Errorf("page size %d: query found %s, which this run did not put", size, id)
				}
			}
		}
	})
}

// makeItems signs the items of a run.
func makeItems(t *testing.T, run string) []*arweave.DataItem {
	t.Helper()
	var signers []arweave.Signer
	for _, typ := range []arweave.SignatureType{arweave.SignatureED25519, arweave.SignatureEthereum, arweave.SignatureED25519, arweave.SignatureEthereum} {
		s, err := arweave.GenerateWallet(typ)
		if err != nil {
			t.Fatal(err)
		}
		signers = append(signers, s)
	}
	rsa := rsaWallet(t)
	target := randomID(t)
	rng := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 1))
	items := make([]*arweave.DataItem, 0, ReadBackItems)
	for i := range ReadBackItems {
		signer := signers[i%len(signers)]
		if i%12 == 5 {
			signer = rsa
		}
		opts := arweave.ItemOptions{
			Tags: []arweave.Tag{
				{Name: "Test-Run", Value: run},
				{Name: "Index", Value: strconv.Itoa(i)},
				{Name: "Content-Type", Value: "application/octet-stream"},
			},
		}
		if i%4 == 1 {
			opts.Target = target
		}
		if i%3 == 0 {
			opts.Anchor = fmt.Sprintf("%032d", i)
		}
		if i%17 != 3 { // a few items have empty data
			opts.Data = make([]byte, 1+rng.IntN(3000))
			for j := range opts.Data {
				opts.Data[j] = byte(rng.Uint32())
			}
		}
		it, err := arweave.SignDataItem(signer, opts)
		if err != nil {
			t.Fatalf("sign item %d: %v", i, err)
		}
		items = append(items, it)
	}
	return items
}

// awaitVisible mines until a tag query finds every item of the run.
func awaitVisible(ctx context.Context, t *testing.T, store arweave.Store, run string, mine func(context.Context) error) {
	t.Helper()
	tick := time.NewTicker(visiblePoll)
	defer tick.Stop()
	seen := 0
	for attempt := 1; ; attempt++ {
		if mine != nil {
			if err := mine(ctx); err != nil {
				t.Fatalf("mine (attempt %d): %v", attempt, err)
			}
		}
		ids, err := tryQueryAll(ctx, store, run, ReadBackItems)
		if err == nil {
			seen = len(ids)
			if seen >= ReadBackItems {
				t.Logf("all %d items visible after %d attempt(s)", seen, attempt)
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("only %d of %d items visible when the deadline passed (last query error: %v)", seen, ReadBackItems, err)
		case <-tick.C:
		}
	}
}

// readEach reads every item back by id, a few at a time.
func readEach(ctx context.Context, t *testing.T, store arweave.Store, items []*arweave.DataItem) {
	jobs := make(chan *arweave.DataItem)
	var wg sync.WaitGroup
	for range readWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range jobs {
				if err := checkItem(ctx, store, it); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for _, it := range items {
		jobs <- it
	}
	close(jobs)
	wg.Wait()
}

// checkItem reads one item back through Item, Data and Transaction.
func checkItem(ctx context.Context, store arweave.Store, want *arweave.DataItem) error {
	id := want.ID()
	index := want.Tags.Value("Index")
	got, err := store.Item(ctx, id)
	if err != nil {
		return fmt.Errorf("item %s (Index %s): Item: %v", id, index, err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		return fmt.Errorf("item %s (Index %s): Item returned %d bytes that differ from the %d put", id, index, got.Size(), want.Size())
	}
	if err := got.Verify(); err != nil {
		return fmt.Errorf("item %s (Index %s): Item does not verify: %v", id, index, err)
	}
	data, err := store.Data(ctx, id)
	if err != nil {
		return fmt.Errorf("item %s (Index %s): Data: %v", id, index, err)
	}
	if !bytes.Equal(data, want.Data) {
		return fmt.Errorf("item %s (Index %s): Data returned %d bytes that differ from the %d put", id, index, len(data), len(want.Data))
	}
	tx, err := store.Transaction(ctx, id)
	if err != nil {
		return fmt.Errorf("item %s (Index %s): Transaction: %v", id, index, err)
	}
	switch {
	case tx.ID != id:
		return fmt.Errorf("item %s (Index %s): Transaction reports id %s", id, index, tx.ID)
	case !bytes.Equal(tx.Owner, want.Owner):
		return fmt.Errorf("item %s (Index %s): Transaction reports another owner", id, index)
	case !bytes.Equal(tx.Signature, want.Signature):
		return fmt.Errorf("item %s (Index %s): Transaction reports another signature", id, index)
	case tx.Target != want.TargetID():
		return fmt.Errorf("item %s (Index %s): Transaction reports target %q, want %q", id, index, tx.Target, want.TargetID())
	case tx.DataSize != int64(len(want.Data)):
		return fmt.Errorf("item %s (Index %s): Transaction reports data size %d, want %d", id, index, tx.DataSize, len(want.Data))
	case !equalTags(tx.Tags, want.Tags):
		return fmt.Errorf("item %s (Index %s): Transaction reports tags %v, want %v", id, index, tx.Tags, want.Tags)
	}
	return nil
}

func equalTags(a, b arweave.Tags) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// queryAll pages through the tag query of a run, failing t on errors and
// duplicates.
func queryAll(ctx context.Context, t *testing.T, store arweave.Store, run string, pageSize int) []string {
	t.Helper()
	ids, err := tryQueryAll(ctx, store, run, pageSize)
	if err != nil {
		t.Fatalf("page size %d: %v", pageSize, err)
	}
	return ids
}

// tryQueryAll pages through the tag query of a run and returns the ids in
// the order found. A duplicate id is an error.
func tryQueryAll(ctx context.Context, store arweave.Store, run string, pageSize int) ([]string, error) {
	q := arweave.TxQuery{Tags: []arweave.TagFilter{{Name: "Test-Run", Values: []string{run}}}, First: pageSize}
	seen := map[string]bool{}
	var ids []string
	for pages := 1; ; pages++ {
		page, err := store.Query(ctx, q)
		if err != nil {
			return ids, fmt.Errorf("query page %d: %w", pages, err)
		}
		if len(page.Edges) > pageSize {
			return ids, fmt.Errorf("query page %d holds %d edges, asked for %d", pages, len(page.Edges), pageSize)
		}
		for _, e := range page.Edges {
			if seen[e.Node.ID] {
				return ids, fmt.Errorf("query page %d: %s found twice", pages, e.Node.ID)
			}
			if e.Node.Tags.Value("Test-Run") != run {
				return ids, fmt.Errorf("query page %d: %s has tags %v, not Test-Run=%s", pages, e.Node.ID, e.Node.Tags, run)
			}
			seen[e.Node.ID] = true
			ids = append(ids, e.Node.ID)
		}
		if !page.HasNextPage {
			return ids, nil
		}
		if len(page.Edges) == 0 {
			return ids, fmt.Errorf("query page %d is empty but claims a next page", pages)
		}
		if pages > 2*ReadBackItems {
			return ids, fmt.Errorf("query did not end after %d pages", pages)
		}
		q.After = page.Edges[len(page.Edges)-1].Cursor
	}
}

// randomID returns a random 43-character b64url id.
func randomID(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return arweave.B64(b)
}
