package gateway_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/gateway"
)

// rawItem builds the bytes of an ed25519-layout data item by hand (no
// target, no anchor), with whatever header fields a test needs. Its
// signature is garbage: tests that use it must fail before verification.
func rawItem(sigType uint16, tagCount, tagBytes uint64, tags, data []byte) []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint16(b, sigType)
	b = append(b, bytes.Repeat([]byte{0xAA}, 64)...) // signature
	b = append(b, bytes.Repeat([]byte{0xBB}, 32)...) // owner
	b = append(b, 0, 0)                              // no target, no anchor
	b = binary.LittleEndian.AppendUint64(b, tagCount)
	b = binary.LittleEndian.AppendUint64(b, tagBytes)
	b = append(b, tags...)
	return append(b, data...)
}

// TestPostTxRejects posts bad items: each gets a 4xx JSON error and leaves
// nothing behind.
func TestPostTxRejects(t *testing.T) {
	e := newEnv(t, gateway.Config{})
	w := newWallet(t)
	good := sign(t, w, arweave.ItemOptions{
		Tags: []arweave.Tag{{Name: "Type", Value: "Message"}},
		Data: []byte("payload"),
	})

	badSig := bytes.Clone(good.Bytes())
	badSig[2+10] ^= 0xFF // a byte of the signature
	badSigID := mustParse(t, badSig).ID()

	fourTags := arweave.EncodeTags([]arweave.Tag{{Name: "a", Value: "1"}, {Name: "b", Value: "2"}, {Name: "c", Value: "3"}, {Name: "d", Value: "4"}})

	// A bundle whose second item has a broken signature.
	okNested := sign(t, w, arweave.ItemOptions{Data: []byte("one")})
	brokenNested := mustParse(t, flipLastByte(sign(t, w, arweave.ItemOptions{Data: []byte("two")}).Bytes()))
	badBundle, err := arweave.SignBundle(w, []*arweave.DataItem{okNested, brokenNested})
	if err != nil {
		t.Fatal(err)
	}
	// An item tagged as a bundle whose data is not one.
	fakeBundle := sign(t, w, arweave.ItemOptions{Tags: arweave.BundleTags, Data: []byte("not a bundle")})

	for _, c := range []struct {
		name        string
		contentType string
		body        []byte
		status      int
		contains    string
		ids         []string // ids that must not be stored
	}{
		{"empty body", "application/octet-stream", nil, 400, "shorter than", nil},
		{"truncated", "application/octet-stream", good.Bytes()[:90], 400, "truncated", []string{good.ID()}},
		{"truncated header", "application/octet-stream", good.Bytes()[:len(good.Bytes())-len("payload")-3], 400, "truncated", []string{good.ID()}},
		{"wrong signature", "application/octet-stream", badSig, 400, "invalid signature", []string{badSigID, good.ID()}},
		{"wrong data", "application/octet-stream", flipLastByte(good.Bytes()), 400, "invalid signature", []string{good.ID()}},
		{"tag section over 4096 bytes", "application/octet-stream", rawItem(2, 1, 5000, make([]byte, 5000), nil), 400, "tag section is 5000 bytes", nil},
		{"tag count mismatch", "application/octet-stream", rawItem(2, 3, uint64(len(fourTags)), fourTags, []byte("x")), 400, "header says 3 tags", nil},
		{"unknown signature type", "application/octet-stream", rawItem(99, 0, 0, nil, bytes.Repeat([]byte{1}, 100)), 400, "unsupported signature type", nil},
		{"JSON transaction", "application/json", []byte(`{"format":2,"id":"x"}`), 400, "only raw signed ANS-104 data items", nil},
		{"JSON without content type", "", []byte(`{"format":2}`), 400, "only raw signed ANS-104 data items", nil},
		{"bundle with a bad item", "application/octet-stream", badBundle.Bytes(), 400, "item 1", []string{badBundle.ID(), okNested.ID(), brokenNested.ID()}},
		{"bundle tags without a bundle", "application/octet-stream", fakeBundle.Bytes(), 400, "bundle", []string{fakeBundle.ID()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			requireError(t, e.do(http.MethodPost, "/tx", c.contentType, c.body), c.status, c.contains)
			for _, id := range c.ids {
				e.requireNotStored(id)
			}
		})
	}
	if n := e.count(""); n != 0 {
		t.Fatalf("%d transactions stored after bad posts, want 0", n)
	}

	// The gateway still works after all that.
	e.post(good)
	if n := e.count(""); n != 1 {
		t.Fatalf("%d transactions after one good post, want 1", n)
	}
}

func TestPostTxTooLarge(t *testing.T) {
	e := newEnv(t, gateway.Config{MaxItemBytes: 1024})
	w := newWallet(t)
	big := sign(t, w, arweave.ItemOptions{Data: bytes.Repeat([]byte{'x'}, 2000)})
	requireError(t, e.do(http.MethodPost, "/tx", "application/octet-stream", big.Bytes()), http.StatusRequestEntityTooLarge, "1024")
	e.requireNotStored(big.ID())

	// Without a Content-Length the limit holds while reading.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/tx", struct{ *bytes.Reader }{bytes.NewReader(big.Bytes())})
	req.ContentLength = -1
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked oversized body: %d, want 413", res.StatusCode)
	}
	e.requireNotStored(big.ID())

	small := sign(t, w, arweave.ItemOptions{Data: []byte("fits")})
	e.post(small)
	if n := e.count(""); n != 1 {
		t.Errorf("%d transactions, want 1", n)
	}
}

// TestPostBundle posts a bundle: the gateway verifies every nested item,
// the store unbundles it, and nested items are readable at once.
func TestPostBundle(t *testing.T) {
	e := newEnv(t, gateway.Config{})
	w := newWallet(t)
	a := sign(t, w, arweave.ItemOptions{Tags: []arweave.Tag{{Name: "Type", Value: "Message"}}, Data: []byte("a")})
	b := sign(t, w, arweave.ItemOptions{Tags: []arweave.Tag{{Name: "Type", Value: "Message"}}, Data: []byte("b")})
	bundle, err := arweave.SignBundle(w, []*arweave.DataItem{a, b})
	if err != nil {
		t.Fatal(err)
	}
	e.post(bundle)

	if r := e.get("/raw/" + b.ID()); r.status != http.StatusOK || string(r.body) != "b" {
		t.Errorf("nested item data: %d %q", r.status, r.body)
	}
	var tx struct{ BundledIn string }
	decode(t, e.get("/tx/"+a.ID()).body, &tx)
	if tx.BundledIn != bundle.ID() {
		t.Errorf("GET /tx bundledIn = %q, want %q", tx.BundledIn, bundle.ID())
	}
	var out struct {
		Transactions struct {
			Edges []struct {
				Node struct {
					ID        string
					BundledIn *struct{ ID string }
					Parent    *struct{ ID string }
				}
			}
		}
	}
	e.gql(`query ($b: [ID!]) { transactions(bundledIn: $b, sort: HEIGHT_ASC) { edges { node { id bundledIn { id } parent { id } } } } }`,
		map[string]any{"b": []string{bundle.ID()}}, &out)
	edges := out.Transactions.Edges
	if len(edges) != 2 || edges[0].Node.ID != a.ID() || edges[1].Node.ID != b.ID() {
		t.Fatalf("bundledIn query = %+v", edges)
	}
	for _, e := range edges {
		if e.Node.BundledIn == nil || e.Node.BundledIn.ID != bundle.ID() || e.Node.Parent == nil || e.Node.Parent.ID != bundle.ID() {
			t.Errorf("node %s: bundledIn %+v parent %+v", e.Node.ID, e.Node.BundledIn, e.Node.Parent)
		}
	}
}

func mustParse(t *testing.T, b []byte) *arweave.DataItem {
	t.Helper()
	it, err := arweave.ParseDataItem(b)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func flipLastByte(b []byte) []byte {
	b = bytes.Clone(b)
	b[len(b)-1] ^= 0xFF
	return b
}

// TestConcurrentPosts posts from many goroutines; each item must be
// readable the moment its POST has answered.
func TestConcurrentPosts(t *testing.T) {
	e := newEnv(t, gateway.Config{})
	const workers, perWorker = 8, 5
	errs := make(chan error, workers)
	for wk := range workers {
		go func() {
			errs <- func() error {
				w, err := arweave.GenerateWallet(arweave.SignatureED25519)
				if err != nil {
					return err
				}
				for i := range perWorker {
					data := fmt.Sprintf("worker %d item %d", wk, i)
					it, err := arweave.SignDataItem(w, arweave.ItemOptions{Tags: []arweave.Tag{{Name: "Worker", Value: fmt.Sprint(wk)}}, Data: []byte(data)})
					if err != nil {
						return err
					}
					path := "/tx"
					if i%2 == 1 {
						path = "/tx/arweave" // the bundler route the CU uploads to
					}
					res, err := e.srv.Client().Post(e.srv.URL+path, "application/octet-stream", bytes.NewReader(it.Bytes()))
					if err != nil {
						return err
					}
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						return fmt.Errorf("POST %s: %d", path, res.StatusCode)
					}
					res, err = e.srv.Client().Get(e.srv.URL + "/raw/" + it.ID())
					if err != nil {
						return err
					}
					got, _ := io.ReadAll(res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK || string(got) != data {
						return fmt.Errorf("GET /raw right after POST: %d %q", res.StatusCode, got)
					}
				}
				return nil
			}()
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := e.count(""); n != workers*perWorker {
		t.Errorf("%d transactions, want %d", n, workers*perWorker)
	}
}
