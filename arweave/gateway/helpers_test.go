package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/arweave/gateway"
)

// env is a gateway over a real embedded store in a temporary directory.
type env struct {
	t     *testing.T
	store *embedded.Store
	srv   *httptest.Server
}

func newEnv(t *testing.T, cfg gateway.Config) *env {
	t.Helper()
	store, err := embedded.Open(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	srv := httptest.NewServer(gateway.New(store, cfg))
	t.Cleanup(srv.Close)
	return &env{t: t, store: store, srv: srv}
}

func newWallet(t *testing.T) arweave.Signer {
	t.Helper()
	w, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func sign(t *testing.T, s arweave.Signer, opts arweave.ItemOptions) *arweave.DataItem {
	t.Helper()
	it, err := arweave.SignDataItem(s, opts)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) do(method, path, contentType string, body []byte) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (e *env) get(path string) response { return e.do(http.MethodGet, path, "", nil) }

// post POSTs an item's bytes to /tx and requires a 200.
func (e *env) post(it *arweave.DataItem) {
	e.t.Helper()
	r := e.do(http.MethodPost, "/tx", "application/octet-stream", it.Bytes())
	if r.status != http.StatusOK {
		e.t.Fatalf("POST /tx: %d %s", r.status, r.body)
	}
	var got struct {
		ID        string
		Timestamp int64
	}
	decode(e.t, r.body, &got)
	if got.ID != it.ID() || got.Timestamp <= 0 {
		e.t.Fatalf("POST /tx answered %s, want id %s and a timestamp", r.body, it.ID())
	}
}

func (e *env) mine() {
	e.t.Helper()
	if r := e.do(http.MethodPost, "/mine", "", nil); r.status != http.StatusOK {
		e.t.Fatalf("POST /mine: %d %s", r.status, r.body)
	}
}

// gql POSTs a GraphQL request, requires a 200 without errors and decodes
// "data" into out.
func (e *env) gql(query string, vars map[string]any, out any) {
	e.t.Helper()
	r := e.gqlRaw(query, vars)
	if r.status != http.StatusOK {
		e.t.Fatalf("graphql: %d %s", r.status, r.body)
	}
	var res struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	decode(e.t, r.body, &res)
	if len(res.Errors) > 0 {
		e.t.Fatalf("graphql errors: %s", r.body)
	}
	decode(e.t, res.Data, out)
}

func (e *env) gqlRaw(query string, vars map[string]any) response {
	e.t.Helper()
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(http.MethodPost, "/graphql", "application/json", b)
}

// count is the number of transactions a GraphQL query finds (first page of
// up to 1000).
func (e *env) count(filter string) int {
	e.t.Helper()
	var out struct {
		Transactions struct{ Edges []json.RawMessage }
	}
	e.gql(`{ transactions(first: 1000`+filter+`) { edges { node { id } } } }`, nil, &out)
	return len(out.Transactions.Edges)
}

// requireNotStored checks that the store does not hold id.
func (e *env) requireNotStored(id string) {
	e.t.Helper()
	if _, err := e.store.Item(context.Background(), id); !arweave.IsNotFound(err) {
		e.t.Fatalf("store.Item(%s) = %v, want ErrNotFound", id, err)
	}
}

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// requireError checks a JSON error answer.
func requireError(t *testing.T, r response, status int, contains string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d (%s), want %d", r.status, r.body, status)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want JSON", ct)
	}
	var e struct{ Error string }
	decode(t, r.body, &e)
	if e.Error == "" {
		t.Fatalf("body %s has no error", r.body)
	}
	if !strings.Contains(e.Error, contains) {
		t.Errorf("error %q does not mention %q", e.Error, contains)
	}
}
