package scheduler_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/scheduler"
)

// locationStore opens an embedded store in a temporary directory.
func locationStore(t *testing.T) *embedded.Store {
	t.Helper()
	store, err := embedded.Open(embedded.Config{Dir: filepath.Join(t.TempDir(), "store")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

func locationWallet(t *testing.T) arweave.Signer {
	t.Helper()
	w, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// schedulerUtilsLocation runs the query @permaweb/ao-scheduler-utils makes
// for an SU address (protocol.md 3.10 step 4) and returns the record it
// finds, or nil.
func schedulerUtilsLocation(t *testing.T, store arweave.Store, owner string) *arweave.Transaction {
	t.Helper()
	page, err := store.Query(context.Background(), arweave.TxQuery{
		Owners: []string{owner},
		Tags: []arweave.TagFilter{
			{Name: "Data-Protocol", Values: []string{"ao"}},
			{Name: "Type", Values: []string{"Scheduler-Location"}},
		},
		Sort:  arweave.HeightDesc,
		First: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Edges) == 0 {
		return nil
	}
	return page.Edges[0].Node
}

// locationCount counts every Scheduler-Location record of owner.
func locationCount(t *testing.T, store arweave.Store, owner string) int {
	t.Helper()
	page, err := store.Query(context.Background(), arweave.TxQuery{
		Owners: []string{owner},
		Tags:   []arweave.TagFilter{{Name: "Type", Values: []string{"Scheduler-Location"}}},
		First:  arweave.MaxPageSize,
	})
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Edges)
}

// checkLocation asserts that the newest record of owner is id and says url
// and ttl with every tag protocol.md 3.10 lists.
func checkLocation(t *testing.T, store arweave.Store, owner, id, url, ttl string) {
	t.Helper()
	tx := schedulerUtilsLocation(t, store, owner)
	if tx == nil {
		t.Fatalf("no Scheduler-Location record of %s", owner)
	}
	if tx.ID != id {
		t.Fatalf("newest record is %s, want %s", tx.ID, id)
	}
	want := map[string]string{
		"Data-Protocol": "ao", "Variant": "ao.TN.1", "Type": "Scheduler-Location",
		"Url": url, "Time-To-Live": ttl,
	}
	for name, v := range want {
		if got, ok := tx.Tags.Get(name); !ok || got != v {
			t.Errorf("record %s: tag %s = %q (present %v), want %q", id, name, got, ok, v)
		}
	}
	if tx.OwnerAddress != owner {
		t.Errorf("record %s is owned by %s, want %s", id, tx.OwnerAddress, owner)
	}
}

func TestPublishLocation(t *testing.T) {
	ctx := context.Background()
	store := locationStore(t)
	su := locationWallet(t)
	addr := arweave.SignerAddress(su)

	// Another wallet's record says the same URL: it is not the SU's.
	other := locationWallet(t)
	if _, err := scheduler.PublishLocation(ctx, store, other, "http://su-a.example", time.Hour); err != nil {
		t.Fatal(err)
	}

	id1, err := scheduler.PublishLocation(ctx, store, su, "http://su-a.example", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	checkLocation(t, store, addr, id1, "http://su-a.example", "3600000")
	item, err := store.Item(ctx, id1)
	if err != nil {
		t.Fatal(err)
	}
	if err := item.Verify(); err != nil {
		t.Fatalf("the record does not verify: %v", err)
	}

	// In a block now; the same URL and TTL again publish nothing.
	if _, err := store.Mine(ctx); err != nil {
		t.Fatal(err)
	}
	again, err := scheduler.PublishLocation(ctx, store, su, "http://su-a.example", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if again != id1 {
		t.Fatalf("second call returned %s, want the existing %s", again, id1)
	}
	if n := locationCount(t, store, addr); n != 1 {
		t.Fatalf("%d records after publishing the same location twice, want 1", n)
	}

	// A new URL is a new record, and the newest.
	id2, err := scheduler.PublishLocation(ctx, store, su, "http://su-b.example", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if id2 == id1 {
		t.Fatal("a new URL returned the old record")
	}
	checkLocation(t, store, addr, id2, "http://su-b.example", "3600000")

	// A new TTL too.
	id3, err := scheduler.PublishLocation(ctx, store, su, "http://su-b.example", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	checkLocation(t, store, addr, id3, "http://su-b.example", "86400000")

	// Going back to the first URL and TTL makes a new item (not the id of
	// the first, which would leave the second as the newest).
	id4, err := scheduler.PublishLocation(ctx, store, su, "http://su-a.example", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if id4 == id1 {
		t.Fatal("returning to an earlier location reused the earlier item")
	}
	checkLocation(t, store, addr, id4, "http://su-a.example", "3600000")
	if n := locationCount(t, store, addr); n != 4 {
		t.Fatalf("%d records, want 4", n)
	}
}

func TestPublishLocationRejects(t *testing.T) {
	ctx := context.Background()
	store := locationStore(t)
	su := locationWallet(t)
	for name, tc := range map[string]struct {
		url string
		ttl time.Duration
	}{
		"no ttl":       {"http://su.example", 0},
		"relative url": {"/su", time.Hour},
		"no scheme":    {"su.example:4400", time.Hour},
		"other scheme": {"ftp://su.example", time.Hour},
		"empty url":    {"", time.Hour},
	} {
		if id, err := scheduler.PublishLocation(ctx, store, su, tc.url, tc.ttl); err == nil {
			t.Errorf("%s: published %s", name, id)
		}
	}
	if n := locationCount(t, store, arweave.SignerAddress(su)); n != 0 {
		t.Fatalf("%d records after rejected calls", n)
	}
}
