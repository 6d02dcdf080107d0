package remote_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/arweave/gateway"
	"github.com/aogo-dev/aogo/arweave/remote"
	"github.com/aogo-dev/aogo/arweave/storetest"
)

// TestEmbeddedGatewayReadBack: aogo's embedded gateway passes, over HTTP,
// the same read-back test arlocal passes (TestArlocal): 100 items put as a
// bundle through the remote store (bundler mode, POST /tx), mined, and read
// back by id and by a GraphQL tag query. The embedded store is also checked
// directly, without HTTP.
func TestEmbeddedGatewayReadBack(t *testing.T) {
	signer, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	store, err := embedded.Open(embedded.Config{Dir: t.TempDir(), Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })

	t.Run("Direct", func(t *testing.T) {
		storetest.ReadBack(t, store, func(ctx context.Context) error {
			_, err := store.Mine(ctx)
			return err
		})
	})

	t.Run("HTTP", func(t *testing.T) {
		srv := httptest.NewServer(gateway.New(store, gateway.Config{}))
		t.Cleanup(srv.Close)
		client, err := remote.New(remote.Config{GatewayURL: srv.URL, Mode: remote.ModeBundler, BundleSigner: signer})
		if err != nil {
			t.Fatal(err)
		}
		storetest.ReadBack(t, client, func(ctx context.Context) error {
			_, err := client.Mine(ctx)
			return err
		})
	})
}
