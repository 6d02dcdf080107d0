package remote_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/remote"
)

func signItem(t *testing.T, s arweave.Signer, opts arweave.ItemOptions) *arweave.DataItem {
	t.Helper()
	it, err := arweave.SignDataItem(s, opts)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func newSigner(t *testing.T, typ arweave.SignatureType) arweave.Signer {
	t.Helper()
	s, err := arweave.GenerateWallet(typ)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// corrupt returns a copy of it with its last data byte changed: it still
// parses, but its signature no longer verifies.
func corrupt(t *testing.T, it *arweave.DataItem) *arweave.DataItem {
	t.Helper()
	b := bytes.Clone(it.Bytes())
	b[len(b)-1] ^= 0xff
	bad, err := arweave.ParseDataItem(b)
	if err != nil {
		t.Fatal(err)
	}
	if bad.Verify() == nil {
		t.Fatal("corrupted item still verifies")
	}
	return bad
}

// recorder is a gateway that records every request and answers with h.
type recorder struct {
	mu   sync.Mutex
	reqs []string
	srv  *httptest.Server
}

func newRecorder(t *testing.T, h http.HandlerFunc) *recorder {
	r := &recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.reqs = append(r.reqs, req.Method+" "+req.URL.Path)
		r.mu.Unlock()
		if h == nil {
			http.Error(w, "unexpected request", http.StatusTeapot)
			return
		}
		h(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reqs...)
}

func TestNewChecksConfig(t *testing.T) {
	for _, cfg := range []remote.Config{
		{},
		{GatewayURL: "ftp://example.com", Mode: remote.ModeBundler},
		{GatewayURL: "http://example.com"}, // transaction mode without a wallet
		{GatewayURL: "http://example.com", Mode: remote.Mode(7)},
	} {
		if _, err := remote.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted the config", cfg)
		}
	}
	if _, err := remote.New(remote.Config{GatewayURL: "http://example.com/", Mode: remote.ModeBundler}); err != nil {
		t.Errorf("bundler mode without signers: %v", err)
	}
}

// A bundle holding an invalid item is refused before any request: arlocal
// would keep such a bundle pending for ever.
func TestPutBundleRefusesInvalidItemBeforeUpload(t *testing.T) {
	good := signItem(t, newSigner(t, arweave.SignatureED25519), arweave.ItemOptions{Data: []byte("good")})
	bad := corrupt(t, signItem(t, newSigner(t, arweave.SignatureEthereum), arweave.ItemOptions{Data: []byte("bad")}))
	for _, mode := range []remote.Mode{remote.ModeTransaction, remote.ModeBundler} {
		t.Run(mode.String(), func(t *testing.T) {
			gw := newRecorder(t, nil)
			s, err := remote.New(remote.Config{GatewayURL: gw.srv.URL, Mode: mode, Wallet: testWallet(t)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.PutBundle(t.Context(), []*arweave.DataItem{good, bad}); !errors.Is(err, arweave.ErrInvalidSignature) {
				t.Errorf("PutBundle = %v, want an error wrapping ErrInvalidSignature", err)
			}
			if mode == remote.ModeTransaction {
				if err := s.PutItems(t.Context(), good, bad); !errors.Is(err, arweave.ErrInvalidSignature) {
					t.Errorf("PutItems = %v, want an error wrapping ErrInvalidSignature", err)
				}
			}
			for _, r := range gw.requests() {
				if strings.HasPrefix(r, "POST /tx") || strings.HasPrefix(r, "POST /chunk") {
					t.Errorf("the gateway received %s", r)
				}
			}
		})
	}
}

func TestBundlerModePostsItems(t *testing.T) {
	var (
		mu     sync.Mutex
		posted [][]byte
	)
	gw := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/tx" || r.Header.Get("Content-Type") != "application/octet-stream" {
			http.Error(w, "no", http.StatusBadRequest)
			return
		}
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		posted = append(posted, b)
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})
	bundler := newSigner(t, arweave.SignatureED25519)
	s, err := remote.New(remote.Config{GatewayURL: gw.srv.URL, Mode: remote.ModeBundler, BundleSigner: bundler})
	if err != nil {
		t.Fatal(err)
	}
	a := signItem(t, newSigner(t, arweave.SignatureEthereum), arweave.ItemOptions{Data: []byte("a")})
	b := signItem(t, newSigner(t, arweave.SignatureED25519), arweave.ItemOptions{Data: []byte("b")})
	if err := s.PutItems(t.Context(), a, b); err != nil {
		t.Fatal(err)
	}
	id, err := s.PutBundle(t.Context(), []*arweave.DataItem{a, b, a})
	if err != nil {
		t.Fatal(err)
	}
	if len(posted) != 3 || !bytes.Equal(posted[0], a.Bytes()) || !bytes.Equal(posted[1], b.Bytes()) {
		t.Fatalf("posted %d bodies, want the two items and a bundle", len(posted))
	}
	wrapper, err := arweave.ParseDataItem(posted[2])
	if err != nil {
		t.Fatal(err)
	}
	if err := wrapper.Verify(); err != nil {
		t.Fatal(err)
	}
	if wrapper.ID() != id || !arweave.IsBundle(wrapper.Tags) || !bytes.Equal(wrapper.Owner, bundler.Owner()) {
		t.Errorf("bundle item %s (tags %v) is not the bundle %s signed by the bundle signer", wrapper.ID(), wrapper.Tags, id)
	}
	nested, err := arweave.DecodeBundle(wrapper.Data)
	if err != nil {
		t.Fatal(err)
	}
	if len(nested) != 2 || nested[0].ID() != a.ID() || nested[1].ID() != b.ID() {
		t.Errorf("bundle holds %d items, want a and b once each", len(nested))
	}
}

func TestHTTPErrors(t *testing.T) {
	gw := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/graphql":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"data":{"transactions":{"pageInfo":{"hasNextPage":false},"edges":[]}}}`)
		case "/info":
			http.Error(w, strings.Repeat("overloaded ", 200), http.StatusServiceUnavailable)
		default:
			http.NotFound(w, r)
		}
	})
	s, err := remote.New(remote.Config{GatewayURL: gw.srv.URL, Mode: remote.ModeBundler})
	if err != nil {
		t.Fatal(err)
	}
	id := arweave.B64(make([]byte, 32))
	ctx := t.Context()
	if _, err := s.Transaction(ctx, id); !errors.Is(err, arweave.ErrNotFound) {
		t.Errorf("Transaction of an unknown id = %v, want ErrNotFound", err)
	}
	if _, err := s.Item(ctx, id); !errors.Is(err, arweave.ErrNotFound) {
		t.Errorf("Item of an unknown id = %v, want ErrNotFound", err)
	}
	if _, err := s.Data(ctx, id); !errors.Is(err, arweave.ErrNotFound) {
		t.Errorf("Data of an unknown id = %v, want ErrNotFound", err)
	}
	_, err = s.Info(ctx)
	var herr *remote.HTTPError
	if !errors.As(err, &herr) || herr.StatusCode != http.StatusServiceUnavailable || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "overloaded") {
		t.Errorf("Info = %v, want an HTTPError with the status and a body excerpt", err)
	}
	if len(err.Error()) > 1000 {
		t.Errorf("error is %d bytes long, want an excerpt of the body", len(err.Error()))
	}
	if errors.Is(err, arweave.ErrNotFound) {
		t.Errorf("Info error %v wraps ErrNotFound", err)
	}
}

// The GraphQL request carries only the filters the query sets, as
// variables, and the answer is mapped back.
func TestQueryMapping(t *testing.T) {
	var got struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	owner := bytes.Repeat([]byte{7}, 32)
	sig := bytes.Repeat([]byte{9}, 64)
	anchor := []byte("00000000000000000000000000000001")
	gw := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"transactions": map[string]any{
			"pageInfo": map[string]any{"hasNextPage": true},
			"edges": []any{map[string]any{"cursor": "c1", "node": map[string]any{
				"id": "x", "anchor": arweave.B64(anchor), "signature": arweave.B64(sig), "recipient": "",
				"owner":     map[string]any{"address": "addr", "key": arweave.B64(owner)},
				"data":      map[string]any{"size": "12", "type": nil},
				"tags":      []any{map[string]any{"name": "Content-Type", "value": "text/plain"}},
				"block":     map[string]any{"id": "b", "height": 5, "timestamp": 1700000000, "previous": "p"},
				"bundledIn": map[string]any{"id": "bundle"},
			}}},
		}}})
	})
	s, err := remote.New(remote.Config{GatewayURL: gw.srv.URL, Mode: remote.ModeBundler})
	if err != nil {
		t.Fatal(err)
	}
	minH := int64(3)
	page, err := s.Query(t.Context(), arweave.TxQuery{
		Tags:      []arweave.TagFilter{{Name: "Type", Values: []string{"Message"}}, {Name: "Action", Values: []string{"Eval"}, NotEqual: true}},
		MinHeight: &minH,
		First:     5000,
		After:     "cursor",
		Sort:      arweave.HeightAsc,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"$tags: [TagFilter!]", "tags: $tags", "block: $block", "first: $first", "after: $after", "sort: $sort"} {
		if !strings.Contains(got.Query, want) {
			t.Errorf("query %q lacks %q", got.Query, want)
		}
	}
	for _, absent := range []string{"$ids", "$owners", "$recipients", "$bundledIn"} {
		if strings.Contains(got.Query, absent) {
			t.Errorf("query %q sends the unset filter %s", got.Query, absent)
		}
	}
	vars, _ := json.Marshal(got.Variables)
	for _, want := range []string{`"first":1000`, `"after":"cursor"`, `"sort":"HEIGHT_ASC"`, `"block":{"min":3}`, `"op":"NEQ"`, `"values":["Message"]`} {
		if !strings.Contains(string(vars), want) {
			t.Errorf("variables %s lack %s", vars, want)
		}
	}
	if !page.HasNextPage || len(page.Edges) != 1 || page.Edges[0].Cursor != "c1" {
		t.Fatalf("page = %+v", page)
	}
	tx := page.Edges[0].Node
	if tx.ID != "x" || !bytes.Equal(tx.Owner, owner) || !bytes.Equal(tx.Signature, sig) || !bytes.Equal(tx.Anchor, anchor) ||
		tx.OwnerAddress != "addr" || tx.DataSize != 12 || tx.ContentType != "text/plain" || tx.BundledIn != "bundle" ||
		tx.Block == nil || tx.Block.Height != 5 || tx.Block.Timestamp != 1700000000 || tx.Block.Previous != "p" {
		t.Errorf("node = %+v (block %+v)", tx, tx.Block)
	}
}
