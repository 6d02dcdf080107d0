package weavedrive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/gateway"
)

// gatewayGET returns the aogo gateway's body for path over the same store.
func gatewayGET(t *testing.T, s arweave.Store, path string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	gateway.New(s, gateway.Config{}).ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	if rec.Code != 200 {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	return rec.Body.String()
}

func TestDataReadAt(t *testing.T) {
	w := newWorld(t)
	content := []byte("HELLO-FROM-THE-WEAVE-0123456789ab")
	id := w.put(w.user, content).ID()
	w.attest(w.scheduler, id)
	h := w.mine()
	d := New(w.store, Config{})

	for range 2 { // the second open is served by the cache
		f, err := d.Open(context.Background(), request("/data/"+id, w.processTags(), moduleTags(), h))
		if err != nil {
			t.Fatal(err)
		}
		if f.Size() != int64(len(content)) {
			t.Fatalf("Size = %d, want %d", f.Size(), len(content))
		}
		for _, c := range []struct {
			off  int64
			n    int
			want string
			eof  bool
		}{
			{0, 5, "HELLO", false},
			{5, 3, "-FR", false},
			{30, 3, "9ab", false},
			{31, 5, "ab", true},
			{33, 1, "", true},
		} {
			buf := make([]byte, c.n)
			n, err := f.ReadAt(buf, c.off)
			if string(buf[:n]) != c.want || errors.Is(err, io.EOF) != c.eof {
				t.Errorf("ReadAt(%d bytes at %d) = %q, %v; want %q (EOF %v)", c.n, c.off, buf[:n], err, c.want, c.eof)
			}
		}
	}
}

func TestTxHeaderIsTheGatewaysPlusOwnerAddress(t *testing.T) {
	w := newWorld(t)
	target := w.sign(w.stranger, []byte("target")).ID()
	it, err := arweave.SignDataItem(w.user, arweave.ItemOptions{
		Target: target,
		Anchor: "0123456789abcdef0123456789abcdef",
		Tags:   tags("Action", "Eval", "Content-Type", "text/plain", "Unicode", "héllo <&>"),
		Data:   []byte("some data"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.store.PutItems(context.Background(), it); err != nil {
		t.Fatal(err)
	}
	bundled := w.sign(w.user, []byte("bundled"), "Action", "Inside")
	if _, err := w.store.PutBundle(context.Background(), []*arweave.DataItem{bundled}); err != nil {
		t.Fatal(err)
	}
	h := w.mine()
	d := New(w.store, Config{})

	for _, id := range []string{it.ID(), bundled.ID()} {
		f, err := d.Open(context.Background(), request("/tx/"+id, w.processTags(), moduleTags(), h))
		if err != nil {
			t.Fatal(err)
		}
		got := string(readAll(t, f))
		// The reference: JSON.stringify({...entry, ownerAddress}).
		gw := strings.TrimSuffix(gatewayGET(t, w.store, "/tx/"+id), "\n")
		want := strings.TrimSuffix(gw, "}") + `,"ownerAddress":"` + arweave.SignerAddress(w.user) + `"}`
		if got != want {
			t.Errorf("/tx/%s =\n%s\nwant\n%s", id, got, want)
		}
	}

	f, err := d.Open(context.Background(), request("/tx/"+it.ID(), w.processTags(), moduleTags(), h))
	if err != nil {
		t.Fatal(err)
	}
	var hdr struct {
		ID, Owner, Target, OwnerAddress string
		LastTx                          string `json:"last_tx"`
		DataSize                        string `json:"data_size"`
		Tags                            []arweave.Tag
		BundledIn                       *string
	}
	if err := json.Unmarshal(readAll(t, f), &hdr); err != nil {
		t.Fatal(err)
	}
	if hdr.ID != it.ID() || hdr.Owner != arweave.B64(w.user.Owner()) || hdr.Target != target ||
		hdr.OwnerAddress != arweave.SignerAddress(w.user) || hdr.DataSize != "9" ||
		hdr.LastTx != arweave.B64([]byte("0123456789abcdef0123456789abcdef")) || hdr.BundledIn != nil {
		t.Errorf("header = %+v", hdr)
	}
	if len(hdr.Tags) != 3 || hdr.Tags[2].Value != arweave.B64([]byte("héllo <&>")) {
		t.Errorf("tags = %v, want b64url names and values", hdr.Tags)
	}
}

// TestTxHeaderHeight: a header exists for a message only once its item is
// mined at or below the message's height, and "not found" is only said
// once the store has reached that height.
func TestTxHeaderHeight(t *testing.T) {
	w := newWorld(t)
	d := New(w.store, Config{})
	id := w.data()
	unknown := w.sign(w.user, []byte("never stored")).ID()
	open := func(id string, height int64) string {
		_, err := d.Open(context.Background(), request("/tx/"+id, w.processTags(), moduleTags(), height))
		return outcome(err)
	}
	for _, c := range []struct {
		name   string
		id     string
		height int64
		want   string
	}{
		{"pending, store at the message's height", id, 0, "not found"},
		{"pending, store behind the message", id, 3, "unavailable"},
		{"unknown, store at the message's height", unknown, 0, "not found"},
		{"unknown, store behind the message", unknown, 3, "unavailable"},
	} {
		if got := open(c.id, c.height); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	h := w.mine() // 1
	if got := open(id, h-1); got != "not found" {
		t.Errorf("mined after the message: %s, want not found", got)
	}
	if got := open(id, h); got != "ok" {
		t.Errorf("mined at the message's height: %s", got)
	}
	if got := open(id, h+5); got != "ok" {
		t.Errorf("mined before the message, store behind it: %s", got)
	}
}

func TestBlockHeader(t *testing.T) {
	w := newWorld(t)
	w.data()
	w.mine()
	w.data()
	top := w.mine() // 2
	d := New(w.store, Config{})
	open := func(path string, height int64) ([]byte, error) {
		f, err := d.Open(context.Background(), request(path, w.processTags(), moduleTags(), height))
		if err != nil {
			return nil, err
		}
		return readAll(t, f), nil
	}
	for _, h := range []string{"0", "1", "2"} {
		got, err := open("/block/"+h, top)
		if err != nil {
			t.Fatalf("/block/%s: %v", h, err)
		}
		if want := gatewayGET(t, w.store, "/block/height/"+h); string(got) != want {
			t.Errorf("/block/%s = %q, want the gateway's %q", h, got, want)
		}
	}
	var b struct {
		Height        int64
		IndepHash     string `json:"indep_hash"`
		PreviousBlock string `json:"previous_block"`
	}
	got, _ := open("/block/2", top)
	if err := json.Unmarshal(got, &b); err != nil || b.Height != 2 || b.IndepHash == "" || b.PreviousBlock == "" {
		t.Errorf("/block/2 = %s (%v)", got, err)
	}
	for _, c := range []struct {
		path   string
		height int64
		want   string
	}{
		{"/block/2", 1, "not found"},   // the future of the message
		{"/block/7", 9, "unavailable"}, // not the future, but the store has no such block yet
	} {
		if _, err := open(c.path, c.height); outcome(err) != c.want {
			t.Errorf("%s at block %d: %v, want %s", c.path, c.height, err, c.want)
		}
	}
}

func TestNotFoundPaths(t *testing.T) {
	w := newWorld(t)
	id := w.data()
	w.attest(w.scheduler, id)
	h := w.mine()
	d := New(w.store, Config{Mode: ModeTest}) // nothing but the path can refuse
	if _, err := d.Open(context.Background(), request("/data/"+id, nil, nil, h)); err != nil {
		t.Fatal(err)
	}
	raw, _ := arweave.DecodeID(id)
	for _, p := range []string{
		"", "/", "/headers", "/headers/" + id, "/data", "/data/", "/tx/", "/block/",
		"data/" + id, "//data/" + id, "/data//" + id, "/data/" + id + "/", "/data/" + id + "/x",
		"/DATA/" + id, "/Data/" + id, "/raw/" + id, "/" + id, "/data/" + id + "?x=1",
		"/data/" + id[:42], "/data/" + id + "A", "/data/" + id + "=", "/data/" + id[:42] + "=",
		"/data/" + arweave.B64(raw[:31]), "/data/" + strings.Repeat("/", 43),
		"/data/" + id[:20] + "\n" + id[20:42], "/data/" + id[:42] + "+", "/data/" + id[:42] + "/",
		"/tx/" + id + "/data", "/tx/" + id + "/status", "/block/height/1",
		"/block/01", "/block/-1", "/block/+1", "/block/1.0", "/block/1e3", "/block/ 1", "/block/0x1",
		"/block/9223372036854775808", "/dev/urandom", "/other/x", "/data/\x00",
	} {
		_, err := d.Open(context.Background(), request(p, nil, nil, h))
		if outcome(err) != "not found" {
			t.Errorf("Open(%q) = %v, want not found", p, err)
		}
	}
}

// TestNonCanonicalID: Go's base64 decoder ignores the two unused bits of
// the last character; an id with them set names no file.
func TestNonCanonicalID(t *testing.T) {
	w := newWorld(t)
	id := w.data()
	w.attest(w.scheduler, id)
	h := w.mine()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, id[42])
	alias := id[:42] + string(alphabet[i^1])
	if b, err := arweave.DecodeID(alias); err != nil || arweave.B64(b) != id {
		t.Fatalf("%s does not alias %s (%v)", alias, id, err)
	}
	d := New(w.store, Config{Mode: ModeTest})
	if _, err := d.Open(context.Background(), request("/data/"+alias, nil, nil, h)); outcome(err) != "not found" {
		t.Errorf("/data/%s: %v, want not found", alias, err)
	}
}

// TestDataIDStartingWithTx: the reference read /data/tx… as a header file
// (path.includes('/tx')); here it is the data.
func TestDataIDStartingWithTx(t *testing.T) {
	w := newWorld(t)
	var it *arweave.DataItem
	for i := 0; ; i++ {
		it = w.sign(w.user, []byte("grind "+string(rune('0'+i%10))+strings.Repeat("x", i/10)))
		if strings.HasPrefix(it.ID(), "tx") {
			break
		}
	}
	if err := w.store.PutItems(context.Background(), it); err != nil {
		t.Fatal(err)
	}
	w.attest(w.scheduler, it.ID())
	h := w.mine()
	d := New(w.store, Config{})
	f, err := d.Open(context.Background(), request("/data/"+it.ID(), w.processTags(), moduleTags(), h))
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, f); !bytes.Equal(got, it.Data) {
		t.Errorf("/data/%s = %q, want the data %q", it.ID(), got, it.Data)
	}
	f, err = d.Open(context.Background(), request("/tx/"+it.ID(), w.processTags(), moduleTags(), h))
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, f); !bytes.HasPrefix(got, []byte(`{"format":2,"id":"`+it.ID())) {
		t.Errorf("/tx/%s = %s", it.ID(), got)
	}
}

func TestMaxFileSize(t *testing.T) {
	w := newWorld(t)
	id := w.put(w.user, []byte("12345")).ID()
	w.attest(w.scheduler, id)
	h := w.mine()
	for _, c := range []struct {
		max  int64
		want string
	}{{4, "too large"}, {5, "ok"}, {0, "ok"}} {
		d := New(w.store, Config{MaxFileSize: c.max})
		_, err := d.Open(context.Background(), request("/data/"+id, w.processTags(), moduleTags(), h))
		if got := outcome(err); got != c.want {
			t.Errorf("MaxFileSize %d: %s, want %s", c.max, got, c.want)
		}
		if c.want == "too large" && arweave.IsNotFound(err) {
			t.Errorf("a node limit must not look like a missing file: %v", err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	id := arweave.B64(make([]byte, 32))
	for _, c := range []struct {
		cfg Config
		ok  bool
	}{
		{Config{}, true},
		{Config{Mode: ModeTest, AllowIDs: []string{id}, MaxFileSize: 1}, true},
		{Config{Mode: "Test"}, false},
		{Config{MaxFileSize: -1}, false},
		{Config{AllowIDs: []string{"abc"}}, false},
		{Config{AllowIDs: []string{id[:42] + "B"}}, false}, // not canonical
	} {
		if err := c.cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("%+v: Validate() = %v", c.cfg, err)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("New with an unknown mode did not panic")
		}
	}()
	New(nil, Config{Mode: "tset"})
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newCache(10)
	c.put("a", []byte("1234"))
	c.put("b", []byte("1234"))
	c.get("a")
	c.put("c", []byte("1234")) // evicts b
	c.put("big", []byte("12345678901"))
	for id, want := range map[string]bool{"a": true, "b": false, "c": true, "big": false} {
		if _, ok := c.get(id); ok != want {
			t.Errorf("cached %q = %v, want %v", id, ok, want)
		}
	}
	if c.mu.size != 8 {
		t.Errorf("size = %d, want 8", c.mu.size)
	}
}

// TestConcurrentOpens hammers one Drive (and its cache) from several
// goroutines; run with -race.
func TestConcurrentOpens(t *testing.T) {
	w := newWorld(t)
	ids := []string{w.data(), w.data(), w.data()}
	for _, id := range ids {
		w.attest(w.scheduler, id)
	}
	h := w.mine()
	d := New(w.store, Config{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				id := ids[(g+i)%len(ids)]
				f, err := d.Open(context.Background(), request("/data/"+id, w.processTags(), moduleTags(), h))
				if err != nil {
					t.Error(err)
					return
				}
				got := make([]byte, 6)
				if _, err := f.ReadAt(got, 0); err != nil || string(got) != "data #" {
					t.Errorf("/data/%s = %q, %v", id, got, err)
				}
			}
		})
	}
	wg.Wait()
}
