package gateway_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/arweave/gateway"
)

// A gateway over the embedded store: post a signed item, read it back.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "gateway-example")
	defer os.RemoveAll(dir)
	store, err := embedded.Open(embedded.Config{Dir: dir})
	if err != nil {
		panic(err)
	}
	defer store.Close()
	srv := httptest.NewServer(gateway.New(store, gateway.Config{}))
	defer srv.Close()

	wallet, _ := arweave.GenerateWallet(arweave.SignatureED25519)
	item, _ := arweave.SignDataItem(wallet, arweave.ItemOptions{
		Tags: []arweave.Tag{{Name: "Content-Type", Value: "text/plain"}},
		Data: []byte("hello"),
	})
	res, err := http.Post(srv.URL+"/tx", "application/octet-stream", bytes.NewReader(item.Bytes()))
	if err != nil {
		panic(err)
	}
	res.Body.Close()
	fmt.Println("POST /tx:", res.StatusCode)

	res, err = http.Get(srv.URL + "/raw/" + item.ID())
	if err != nil {
		panic(err)
	}
	data, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println("GET /raw:", res.StatusCode, res.Header.Get("Content-Type"), string(data))

	res, err = http.Get(srv.URL + "/tx/" + item.ID() + "/status")
	if err != nil {
		panic(err)
	}
	status, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println("GET /tx/{id}/status:", res.StatusCode, string(status))
	// Output:
	// POST /tx: 200
	// GET /raw: 200 text/plain hello
	// GET /tx/{id}/status: 202 Pending
}
