package scheduler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/scheduler"
	"github.com/aogo-dev/aogo/scheduler/pebblelog"
)

// testSU is a scheduler over a pebblelog and an embedded store, served
// over HTTP.
type testSU struct {
	t     *testing.T
	dir   string
	log   *pebblelog.Log
	store *embedded.Store
	su    *scheduler.Scheduler
	srv   *httptest.Server
	user  arweave.Signer // a client wallet
}

func newTestSU(t *testing.T) *testSU {
	t.Helper()
	dir := t.TempDir()
	suWallet, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	user, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testSU{t: t, dir: dir, user: user}
	ts.open(suWallet)
	t.Cleanup(ts.close)
	return ts
}

func (ts *testSU) open(suWallet arweave.Signer) {
	t := ts.t
	t.Helper()
	var err error
	if ts.store, err = embedded.Open(embedded.Config{Dir: filepath.Join(ts.dir, "store"), Signer: suWallet}); err != nil {
		t.Fatal(err)
	}
	if ts.log, err = pebblelog.Open(pebblelog.Config{Dir: filepath.Join(ts.dir, "log")}); err != nil {
		t.Fatal(err)
	}
	if ts.su, err = scheduler.New(context.Background(), scheduler.Config{Log: ts.log, Store: ts.store, Signer: suWallet}); err != nil {
		t.Fatal(err)
	}
	ts.srv = httptest.NewServer(ts.su.Handler(scheduler.HandlerConfig{MaxItemBytes: 1 << 20}))
}

func (ts *testSU) close() {
	if ts.srv == nil {
		return
	}
	ts.srv.Close()
	ts.su.Close()
	ts.log.Close()
	ts.store.Close()
	ts.srv = nil
}

// restart closes everything and opens the same directories again.
func (ts *testSU) restart() {
	w := ts.su.Signer()
	ts.close()
	ts.open(w)
}

func (ts *testSU) sign(s arweave.Signer, target string, data string, tags ...arweave.Tag) *arweave.DataItem {
	ts.t.Helper()
	// A unique anchor: two items with the same fields are still two items
	// (ed25519 signatures are deterministic).
	anchor := fmt.Sprintf("%032d", itemCounter.Add(1))
	item, err := arweave.SignDataItem(s, arweave.ItemOptions{Target: target, Anchor: anchor, Tags: tags, Data: []byte(data)})
	if err != nil {
		ts.t.Fatal(err)
	}
	return item
}

var itemCounter atomic.Int64

func tag(name, value string) arweave.Tag { return arweave.Tag{Name: name, Value: value} }

const testModule = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

func (ts *testSU) processItem(extra ...arweave.Tag) *arweave.DataItem {
	tags := append([]arweave.Tag{
		tag("Data-Protocol", "ao"), tag("Variant", "ao.TN.1"), tag("Type", "Process"),
		tag("Module", testModule), tag("Scheduler", ts.su.Address()),
	}, extra...)
	return ts.sign(ts.user, "", "process data", tags...)
}

func (ts *testSU) messageItem(pid, data string, extra ...arweave.Tag) *arweave.DataItem {
	tags := append([]arweave.Tag{tag("Data-Protocol", "ao"), tag("Variant", "ao.TN.1"), tag("Type", "Message")}, extra...)
	return ts.sign(ts.user, pid, data, tags...)
}

// post sends body to POST /?query and decodes the JSON answer.
func (ts *testSU) post(query string, body []byte) (int, map[string]any) {
	ts.t.Helper()
	url := ts.srv.URL + "/"
	if query != "" {
		url += "?" + query
	}
	res, err := http.Post(url, "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	return decode(ts.t, res)
}

// get fetches path and decodes the JSON answer into v (when status is 200).
func (ts *testSU) get(path string, v any) int {
	ts.t.Helper()
	res, err := http.Get(ts.srv.URL + path)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		ts.t.Fatalf("GET %s: Content-Type %q, body %s", path, ct, b)
	}
	target := v
	if res.StatusCode != http.StatusOK || v == nil {
		target = new(map[string]any)
	}
	if err := json.Unmarshal(b, target); err != nil {
		ts.t.Fatalf("GET %s: %v: %s", path, err, b)
	}
	if res.StatusCode != http.StatusOK {
		if m := *(target.(*map[string]any)); m["error"] == nil || m["error"] == "" {
			ts.t.Fatalf("GET %s: status %d without an error: %s", path, res.StatusCode, b)
		}
	}
	return res.StatusCode
}

func decode(t *testing.T, res *http.Response) (int, map[string]any) {
	t.Helper()
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("status %d, body not JSON: %s", res.StatusCode, b)
	}
	return res.StatusCode, m
}

// spawn schedules a new process over HTTP and returns its id.
func (ts *testSU) spawn(extra ...arweave.Tag) string {
	ts.t.Helper()
	p := ts.processItem(extra...)
	if code, m := ts.post("", p.Bytes()); code != 200 || m["id"] != p.ID() {
		ts.t.Fatalf("spawn: %d %v", code, m)
	}
	return p.ID()
}

// send schedules a message over HTTP and returns its id.
func (ts *testSU) send(pid, data string) string {
	ts.t.Helper()
	m := ts.messageItem(pid, data)
	if code, res := ts.post("", m.Bytes()); code != 200 || res["id"] != m.ID() {
		ts.t.Fatalf("send: %d %v", code, res)
	}
	return m.ID()
}
