package messenger_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/messenger"
	"github.com/aogo-dev/aogo/scheduler"
	"github.com/aogo-dev/aogo/scheduler/pebblelog"
)

type fixture struct {
	t     *testing.T
	log   *pebblelog.Log
	store *embedded.Store
	su    *scheduler.Scheduler
	url   string
	user  arweave.Signer
}

var anchors atomic.Int64

func newFixture(t *testing.T) *fixture {
	dir := t.TempDir()
	f := &fixture{t: t}
	suWallet, _ := arweave.GenerateWallet(arweave.SignatureED25519)
	muWallet, _ := arweave.GenerateWallet(arweave.SignatureED25519)
	f.user, _ = arweave.GenerateWallet(arweave.SignatureED25519)
	var err error
	if f.store, err = embedded.Open(embedded.Config{Dir: filepath.Join(dir, "store"), Signer: suWallet}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.store.Close() })
	if f.log, err = pebblelog.Open(pebblelog.Config{Dir: filepath.Join(dir, "log")}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.log.Close() })
	if f.su, err = scheduler.New(context.Background(), scheduler.Config{Log: f.log, Store: f.store, Signer: suWallet}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.su.Close() })
	mu, err := messenger.New(messenger.Config{Scheduler: f.su, Signer: muWallet, MaxItemBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mu.Handler())
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *fixture) sign(target string, tags ...arweave.Tag) *arweave.DataItem {
	item, err := arweave.SignDataItem(f.user, arweave.ItemOptions{Target: target, Anchor: fmt.Sprintf("%032d", anchors.Add(1)), Tags: tags, Data: []byte("d")})
	if err != nil {
		f.t.Fatal(err)
	}
	return item
}

func tags(kv ...string) []arweave.Tag {
	var out []arweave.Tag
	for i := 0; i < len(kv); i += 2 {
		out = append(out, arweave.Tag{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

func (f *fixture) post(query string, body []byte) (int, map[string]any) {
	f.t.Helper()
	u := f.url + "/"
	if query != "" {
		u += "?" + query
	}
	res, err := http.Post(u, "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		f.t.Fatalf("status %d: body is not JSON: %v", res.StatusCode, err)
	}
	return res.StatusCode, m
}

// TestIngress covers the MU's conformance checks 1-6 of protocol.md 9.
func TestIngress(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()

	// 6: a spawn through the MU reaches the SU with all its tags.
	proc := f.sign("", tags("Data-Protocol", "ao", "Variant", "ao.TN.1", "Type", "Process",
		"Module", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Scheduler", f.su.Address(), "Name", "x")...)
	if code, m := f.post("", proc.Bytes()); code != 202 || m["message"] != "Processing DataItem" || m["id"] != proc.ID() {
		t.Fatalf("spawn: %d %v", code, m)
	}
	p, err := f.su.Process(ctx, proc.ID())
	if err != nil || len(p.Item.Tags) != len(proc.Tags) {
		t.Fatalf("process at the SU: %v %v", p, err)
	}
	pid := proc.ID()

	// 1: a message.
	msg := f.sign(pid, tags("Data-Protocol", "ao", "Variant", "ao.TN.1", "Type", "Message", "Action", "Ping")...)
	if code, m := f.post("", msg.Bytes()); code != 202 || m["message"] != "Processing DataItem" || m["id"] != msg.ID() {
		t.Fatalf("message: %d %v", code, m)
	}
	if e, err := f.su.Find(ctx, pid, msg.ID()); err != nil || e.Nonce != 0 {
		t.Fatalf("message at the SU: %v %v", e, err)
	}

	before := f.log.LastSeq()
	// 2 and 3: bad items never reach the SU.
	bad := bytes.Clone(msg.Bytes())
	bad[len(bad)-1] ^= 1
	for name, body := range map[string][]byte{
		"not an item":      []byte("hello"),
		"bad signature":    bad,
		"no Data-Protocol": f.sign(pid, tags("Type", "Message")...).Bytes(),
		"wrong protocol":   f.sign(pid, tags("Data-Protocol", "nope", "Type", "Message")...).Bytes(),
		"Type Module":      f.sign(pid, tags("Data-Protocol", "ao", "Type", "Module")...).Bytes(),
		"no Type":          f.sign(pid, tags("Data-Protocol", "ao")...).Bytes(),
	} {
		if code, m := f.post("", body); code < 400 || m["error"] == nil {
			t.Errorf("%s: %d %v", name, code, m)
		}
	}
	big, err := arweave.SignDataItem(f.user, arweave.ItemOptions{Target: pid, Tags: tags("Data-Protocol", "ao", "Type", "Message"), Data: make([]byte, 70<<10)})
	if err != nil {
		t.Fatal(err)
	}
	if code, m := f.post("", big.Bytes()); code != 413 {
		t.Errorf("over the size limit: %d %v", code, m)
	}
	// Unknown processes.
	nobody := strings.Repeat("n", 43)
	if code, m := f.post("", f.sign(nobody, tags("Data-Protocol", "ao", "Type", "Message")...).Bytes()); code != 404 || m["error"] == nil {
		t.Errorf("message to an unknown process: %d %v", code, m)
	}
	if code, m := f.post("process-id="+nobody+"&assign="+msg.ID(), nil); code != 404 || m["error"] == nil {
		t.Errorf("assignment to an unknown process: %d %v", code, m)
	}
	if after := f.log.LastSeq(); after != before {
		t.Fatalf("refused items reached the SU: %d records", after-before)
	}

	// 4: process-id without assign, and the reverse.
	for _, q := range []string{"process-id=" + pid, "assign=" + msg.ID()} {
		if code, m := f.post(q, nil); code != 400 || m["error"] != "You must set both process-id and assign to send an assignment, not just one" {
			t.Errorf("%s: %d %v", q, code, m)
		}
	}

	// 5: an assignment of an existing item.
	other := f.sign("", tags("Data-Protocol", "ao", "Type", "Message")...)
	if err := f.store.PutItems(ctx, other); err != nil {
		t.Fatal(err)
	}
	code, m := f.post("process-id="+pid+"&assign="+other.ID(), nil)
	if code != 202 || m["message"] != "Processing Assignment" {
		t.Fatalf("assign: %d %v", code, m)
	}
	e, err := f.su.Find(ctx, pid, m["id"].(string))
	if err != nil || e.Message != nil || e.Assignment.Tags.Value("Message") != other.ID() {
		t.Fatalf("assignment at the SU: %+v %v", e, err)
	}

	// GET / names the MU's wallet.
	res, err := http.Get(f.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]string
	json.NewDecoder(res.Body).Decode(&root)
	res.Body.Close()
	if root["address"] == "" || root["address"] == f.su.Address() {
		t.Fatalf("GET /: %v", root)
	}
	res, err = http.Get(f.url + "/health")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /health: %d", res.StatusCode)
	}
}
