package gateway_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/gateway"
)

type infoBody struct {
	Network          string
	Version          int
	Release          int
	Height           int64
	Current          string
	Blocks           int64
	Peers            int
	QueueLength      int `json:"queue_length"`
	NodeStateLatency int `json:"node_state_latency"`
}

// TestRoundTrip posts an item and reads it back through every route, first
// while it is pending (everything but its block must be readable as soon as
// POST /tx answered), then after mining.
func TestRoundTrip(t *testing.T) {
	e := newEnv(t, gateway.Config{})
	w := newWallet(t)
	target := arweave.B64(bytes.Repeat([]byte{7}, 32))
	anchor := "00000000000000000000000000000042"
	it := sign(t, w, arweave.ItemOptions{
		Target: target,
		Anchor: anchor,
		Tags: []arweave.Tag{
			{Name: "Data-Protocol", Value: "ao"},
			{Name: "Type", Value: "Message"},
			{Name: "Content-Type", Value: "text/plain"},
		},
		Data: []byte("hello, gateway"),
	})
	id := it.ID()
	e.post(it)

	for _, path := range []string{"/raw/" + id, "/" + id} {
		r := e.get(path)
		if r.status != http.StatusOK || string(r.body) != "hello, gateway" {
			t.Fatalf("GET %s: %d %q", path, r.status, r.body)
		}
		if ct := r.header.Get("Content-Type"); ct != "text/plain" {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		h := e.do(http.MethodHead, path, "", nil)
		if h.status != http.StatusOK || len(h.body) != 0 || h.header.Get("Content-Length") != "14" {
			t.Errorf("HEAD %s: %d, Content-Length %q, body %q", path, h.status, h.header.Get("Content-Length"), h.body)
		}
	}

	// Range requests (the CU streams module binaries).
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/raw/"+id, nil)
	req.Header.Set("Range", "bytes=7-13")
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var part bytes.Buffer
	_, _ = part.ReadFrom(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusPartialContent || part.String() != "gateway" {
		t.Errorf("Range: %d %q", res.StatusCode, part.String())
	}

	r := e.get("/tx/" + id)
	if r.status != http.StatusOK {
		t.Fatalf("GET /tx: %d %s", r.status, r.body)
	}
	var tx struct {
		Format    int
		ID        string
		LastTx    string `json:"last_tx"`
		Owner     string
		Tags      []arweave.Tag
		Target    string
		Quantity  string
		Data      string
		DataSize  string `json:"data_size"`
		DataRoot  string `json:"data_root"`
		Reward    string
		Signature string
		BundledIn *string
	}
	decode(t, r.body, &tx)
	if tx.Format != 2 || tx.ID != id || tx.LastTx != arweave.B64([]byte(anchor)) ||
		tx.Owner != arweave.B64(w.Owner()) || tx.Target != target || tx.Quantity != "0" ||
		tx.Data != "" || tx.DataSize != "14" || tx.DataRoot != "" || tx.Reward != "0" ||
		tx.Signature != arweave.B64(it.Signature) || tx.BundledIn != nil {
		t.Errorf("GET /tx = %s", r.body)
	}
	if len(tx.Tags) != 3 || tx.Tags[1].Name != arweave.B64([]byte("Type")) || tx.Tags[1].Value != arweave.B64([]byte("Message")) {
		t.Errorf("GET /tx tags = %v, want b64url names and values", tx.Tags)
	}

	if r := e.get("/tx/" + id + "/data"); r.status != http.StatusOK || string(r.body) != arweave.B64([]byte("hello, gateway")) {
		t.Errorf("GET /tx/data: %d %q", r.status, r.body)
	}

	if r := e.get("/tx/" + id + "/status"); r.status != http.StatusAccepted || string(r.body) != "Pending" {
		t.Errorf("status while pending: %d %q, want 202 Pending", r.status, r.body)
	}

	// GraphQL by id and by tag, before mining.
	const byID = `query ($id: ID!) { transaction(id: $id) { id anchor recipient block { height } data { size type } owner { address } } }`
	var one struct {
		Transaction *struct {
			ID, Anchor, Recipient string
			Block                 *struct{ Height int }
			Data                  struct{ Size, Type string }
			Owner                 struct{ Address string }
		}
	}
	e.gql(byID, map[string]any{"id": id}, &one)
	if one.Transaction == nil || one.Transaction.ID != id || one.Transaction.Block != nil ||
		one.Transaction.Anchor != arweave.B64([]byte(anchor)) || one.Transaction.Recipient != target ||
		one.Transaction.Data.Size != "14" || one.Transaction.Data.Type != "text/plain" ||
		one.Transaction.Owner.Address != arweave.SignerAddress(w) {
		t.Errorf("transaction(id) before mining = %+v", one.Transaction)
	}
	if n := e.count(`, tags: [{name: "Type", values: ["Message"]}]`); n != 1 {
		t.Errorf("by tag before mining: %d transactions, want 1", n)
	}

	// Mine: the status turns to 200 and confirmations grow.
	e.mine()
	var info infoBody
	decode(t, e.get("/info").body, &info)
	if info.Height != 1 || info.Blocks != 2 || info.Current == "" || info.Network == "" || info.Version != 1 || info.Release != 1 {
		t.Errorf("/info after one mine = %+v", info)
	}
	checkStatus := func(confirmations int64) {
		t.Helper()
		r := e.get("/tx/" + id + "/status")
		if r.status != http.StatusOK {
			t.Fatalf("status after mining: %d %s", r.status, r.body)
		}
		var st struct {
			BlockHeight           int64  `json:"block_height"`
			BlockIndepHash        string `json:"block_indep_hash"`
			NumberOfConfirmations int64  `json:"number_of_confirmations"`
		}
		decode(t, r.body, &st)
		if st.BlockHeight != 1 || st.BlockIndepHash != info.Current || st.NumberOfConfirmations != confirmations {
			t.Errorf("status = %s, want height 1, block %s, %d confirmations", r.body, info.Current, confirmations)
		}
	}
	checkStatus(1)
	e.mine()
	checkStatus(2)

	e.gql(byID, map[string]any{"id": id}, &one)
	if one.Transaction == nil || one.Transaction.Block == nil || one.Transaction.Block.Height != 1 {
		t.Errorf("transaction(id) after mining = %+v", one.Transaction)
	}

	// Blocks over HTTP.
	var blk struct {
		IndepHash     string `json:"indep_hash"`
		Height        int64
		Timestamp     int64
		PreviousBlock string `json:"previous_block"`
	}
	decode(t, e.get("/block/height/1").body, &blk)
	if blk.IndepHash != info.Current || blk.Height != 1 || blk.Timestamp <= 0 || blk.PreviousBlock == "" {
		t.Errorf("/block/height/1 = %+v", blk)
	}
	hash := blk.IndepHash
	decode(t, e.get("/block/hash/"+hash).body, &blk)
	if blk.IndepHash != hash || blk.Height != 1 {
		t.Errorf("/block/hash = %+v", blk)
	}
	requireError(t, e.get("/block/height/99"), http.StatusNotFound, "99")
	requireError(t, e.get("/block/height/-1"), http.StatusBadRequest, "-1")
	requireError(t, e.get("/block/hash/"+strings.Repeat("A", 43)), http.StatusNotFound, "")

	// Posting the same item again is fine and changes nothing.
	e.post(it)
	if n := e.count(""); n != 1 {
		t.Errorf("%d transactions after a repeated post, want 1", n)
	}
}

func TestInfoAndMine(t *testing.T) {
	e := newEnv(t, gateway.Config{})
	for _, path := range []string{"/info", "/"} {
		var info infoBody
		r := e.get(path)
		decode(t, r.body, &info)
		if r.status != http.StatusOK || info.Height != 0 || info.Blocks != 1 || info.Current == "" {
			t.Errorf("GET %s = %d %s", path, r.status, r.body)
		}
	}
	r := e.get("/mine")
	var info infoBody
	decode(t, r.body, &info)
	if r.status != http.StatusOK || info.Height != 1 {
		t.Fatalf("GET /mine = %d %s", r.status, r.body)
	}
	r = e.do(http.MethodPost, "/mine/3", "", nil)
	decode(t, r.body, &info)
	if r.status != http.StatusOK || info.Height != 4 || info.Blocks != 5 {
		t.Fatalf("POST /mine/3 = %d %s", r.status, r.body)
	}
	for _, n := range []string{"0", "-1", "x", strconv.Itoa(gateway.MaxMineBlocks + 1)} {
		requireError(t, e.get("/mine/"+n), http.StatusBadRequest, "block count")
	}
}

// notMiner hides the embedded store's Mine method.
type notMiner struct{ arweave.Store }

func TestMineWithoutMiner(t *testing.T) {
	e := newEnv(t, gateway.Config{})
	srv := gateway.New(notMiner{e.store}, gateway.Config{})
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		req := httptest.NewRequestWithContext(context.Background(), method, "/mine", nil)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		requireError(t, response{rec.Code, rec.Header(), rec.Body.Bytes()}, http.StatusNotFound, "cannot mine")
	}
}

func TestErrorsAreJSON(t *testing.T) {
	e := newEnv(t, gateway.Config{})
	unknown := strings.Repeat("A", 43)
	for _, c := range []struct {
		method, path string
		status       int
		contains     string
	}{
		{"GET", "/no/such/route", http.StatusNotFound, "no route"},
		{"DELETE", "/tx", http.StatusNotFound, "no route"},
		{"GET", "/favicon.ico", http.StatusNotFound, "no route"},
		{"GET", "/" + unknown, http.StatusNotFound, unknown},
		{"GET", "/raw/" + unknown, http.StatusNotFound, unknown},
		{"GET", "/tx/" + unknown, http.StatusNotFound, unknown},
		{"GET", "/tx/" + unknown + "/status", http.StatusNotFound, unknown},
		{"GET", "/tx/" + unknown + "/data", http.StatusNotFound, unknown},
		{"GET", "/raw/short", http.StatusBadRequest, "not a transaction id"},
		{"GET", "/tx/short", http.StatusBadRequest, "not a transaction id"},
		{"GET", "/tx/" + strings.Repeat("!", 43) + "/status", http.StatusBadRequest, "not a transaction id"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			requireError(t, e.do(c.method, c.path, "", nil), c.status, c.contains)
		})
	}
	// HEAD of an unknown id: 404 without a body.
	if r := e.do(http.MethodHead, "/raw/"+unknown, "", nil); r.status != http.StatusNotFound {
		t.Errorf("HEAD unknown: %d", r.status)
	}
}

func TestCORS(t *testing.T) {
	e := newEnv(t, gateway.Config{})
	req, _ := http.NewRequest(http.MethodOptions, e.srv.URL+"/graphql", nil)
	req.Header.Set("Origin", "https://dapp.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	h := res.Header
	if res.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "content-type") {
		t.Errorf("preflight: %d %v", res.StatusCode, h)
	}
	for _, path := range []string{"/info", "/nope/nope"} {
		if r := e.get(path); r.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("GET %s has no Access-Control-Allow-Origin: %v", path, r.header)
		}
	}
}

// TestStoreFailure closes the store under the gateway: every route answers
// 500 with a JSON error that hides the cause, and the cause is logged.
func TestStoreFailure(t *testing.T) {
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	e := newEnv(t, gateway.Config{Logger: log})
	w := newWallet(t)
	it := sign(t, w, arweave.ItemOptions{Data: []byte("x")})
	e.post(it)
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}

	for _, path := range []string{"/info", "/raw/" + it.ID(), "/tx/" + it.ID(), "/tx/" + it.ID() + "/status", "/block/height/0", "/mine"} {
		requireError(t, e.get(path), http.StatusInternalServerError, "internal error")
	}
	requireError(t, e.do(http.MethodPost, "/tx", "application/octet-stream", sign(t, w, arweave.ItemOptions{}).Bytes()),
		http.StatusInternalServerError, "internal error")

	r := e.gqlRaw(`{ transactions { edges { cursor } } }`, nil)
	var res struct {
		Error  string
		Errors []struct{ Message string }
	}
	decode(t, r.body, &res)
	if r.status != http.StatusInternalServerError || res.Error == "" || len(res.Errors) == 0 {
		t.Errorf("graphql on a failed store: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), "closed") {
		t.Errorf("the cause leaked to the client: %s", r.body)
	}
	if n := strings.Count(logged.String(), "store failure"); n < 8 || !strings.Contains(logged.String(), "closed") {
		t.Errorf("%d store failures logged, want 8 with their cause:\n%s", n, logged.String())
	}
}
