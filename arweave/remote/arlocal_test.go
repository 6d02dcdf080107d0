package remote_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/remote"
	"github.com/aogo-dev/aogo/arweave/storetest"
	"github.com/aogo-dev/aogo/internal/arlocaltest"
)

var (
	walletOnce sync.Once
	wallet     *arweave.RSASigner
	walletErr  error
)

// testWallet generates one RSA wallet per test binary.
func testWallet(t *testing.T) *arweave.RSASigner {
	t.Helper()
	walletOnce.Do(func() {
		var s arweave.Signer
		s, walletErr = arweave.GenerateWallet(arweave.SignatureArweave)
		if walletErr == nil {
			wallet = s.(*arweave.RSASigner)
		}
	})
	if walletErr != nil {
		t.Fatal(walletErr)
	}
	return wallet
}

// arlocalStore starts arlocal and returns a transaction-mode store whose
// wallet holds a balance.
func arlocalStore(t *testing.T) (*remote.Store, *arlocaltest.Arlocal) {
	t.Helper()
	a := arlocaltest.Start(t)
	w := testWallet(t)
	s, err := remote.New(remote.Config{GatewayURL: a.URL, Wallet: w})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Mint(t.Context(), arweave.NativeAddress(w.Owner()), 1_000_000_000_000_000); err != nil {
		t.Fatal(err)
	}
	return s, a
}

// TestArlocal runs the store against one arlocal: the shared read-back
// acceptance test, then the rest of the Store and Miner behaviour.
func TestArlocal(t *testing.T) {
	s, a := arlocalStore(t)
	mine := func(ctx context.Context) error {
		_, err := s.Mine(ctx)
		return err
	}

	t.Run("ReadBack", func(t *testing.T) {
		storetest.ReadBack(t, s, mine)
	})

	t.Run("PutItemsSkipsKnownItems", func(t *testing.T) {
		ctx := t.Context()
		items := []*arweave.DataItem{
			signItem(t, newSigner(t, arweave.SignatureED25519), arweave.ItemOptions{Data: []byte("one")}),
			signItem(t, testWallet(t), arweave.ItemOptions{Data: []byte("two"), Anchor: "abcdefghijklmnopqrstuvwxyz012345"}),
		}
		if err := s.PutItems(ctx, items...); err != nil {
			t.Fatal(err)
		}
		if err := mine(ctx); err != nil {
			t.Fatal(err)
		}
		before, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.PutItems(ctx, items...); err != nil {
			t.Fatal(err)
		}
		if pending := pendingTxs(t, a.URL); len(pending) != 0 {
			t.Errorf("putting known items again posted %v", pending)
		}
		for _, want := range items {
			got, err := s.Item(ctx, want.ID())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("item %s read back differs", want.ID())
			}
			tx, err := s.Transaction(ctx, want.ID())
			if err != nil {
				t.Fatal(err)
			}
			if tx.Block == nil || tx.Block.Height != before.Height || tx.Block.ID != before.Current {
				t.Errorf("item %s is in block %+v, want height %d (%s)", want.ID(), tx.Block, before.Height, before.Current)
			}
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		ctx := t.Context()
		id := arweave.B64(bytes.Repeat([]byte{0xab}, 32))
		if _, err := s.Item(ctx, id); !errors.Is(err, arweave.ErrNotFound) {
			t.Errorf("Item = %v, want ErrNotFound", err)
		}
		if _, err := s.Data(ctx, id); !errors.Is(err, arweave.ErrNotFound) {
			t.Errorf("Data = %v, want ErrNotFound", err)
		}
		if _, err := s.Transaction(ctx, id); !errors.Is(err, arweave.ErrNotFound) {
			t.Errorf("Transaction = %v, want ErrNotFound", err)
		}
	})

	t.Run("BadCursor", func(t *testing.T) {
		_, err := s.Query(t.Context(), arweave.TxQuery{After: "not a cursor"})
		if !errors.Is(err, arweave.ErrBadCursor) {
			t.Errorf("Query = %v, want ErrBadCursor", err)
		}
		_, err = s.Blocks(t.Context(), arweave.BlockQuery{After: "not a cursor"})
		if !errors.Is(err, arweave.ErrBadCursor) {
			t.Errorf("Blocks = %v, want ErrBadCursor", err)
		}
	})

	t.Run("MineInfoBlocks", func(t *testing.T) {
		ctx := t.Context()
		before, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Mine(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b.Height != before.Height+1 || b.Previous != before.Current || b.ID == "" || b.Timestamp == 0 {
			t.Errorf("mined block %+v does not follow %+v", b, before)
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.Height != b.Height || info.Current != b.ID || info.Blocks != b.Height+1 {
			t.Errorf("info %+v does not report block %+v", info, b)
		}
		page, err := s.Blocks(ctx, arweave.BlockQuery{First: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Edges) != 2 || *page.Edges[0].Node != *b || page.Edges[1].Node.ID != before.Current || !page.HasNextPage {
			t.Errorf("newest blocks = %+v, want %+v then %s", page, b, before.Current)
		}
	})

	t.Run("Reset", func(t *testing.T) {
		if err := a.ResetContext(t.Context()); err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if info.Height != 0 {
			t.Errorf("height after reset = %d", info.Height)
		}
	})
}

// pendingTxs returns arlocal's pending transactions (GET /tx/pending).
func pendingTxs(t *testing.T, url string) []string {
	t.Helper()
	resp, err := http.Get(url + "/tx/pending")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ids []string
	if err := json.NewDecoder(resp.Body).Decode(&ids); err != nil {
		t.Fatalf("GET /tx/pending: %v", err)
	}
	return ids
}
