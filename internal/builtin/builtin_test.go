package builtin

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/vm"
)

// memStore is the part of arweave.Store that Publish uses, in memory; it
// counts puts.
type memStore struct {
	arweave.Store // nil: any other method panics
	items         map[string]*arweave.DataItem
	puts          int
}

func (s *memStore) Transaction(_ context.Context, id string) (*arweave.Transaction, error) {
	if _, ok := s.items[id]; !ok {
		return nil, arweave.ErrNotFound
	}
	return &arweave.Transaction{ID: id}, nil
}

func (s *memStore) PutItems(_ context.Context, items ...*arweave.DataItem) error {
	s.puts++
	for _, it := range items {
		s.items[it.ID()] = it
	}
	return nil
}

// TestLoad: every *.wasm file of the directory is a module named after it;
// other files (the README) are not.
func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"modules/README.md":    {Data: []byte("# Built-in modules")},
		"modules/counter.wasm": {Data: []byte("\x00asm counter")},
		"modules/alpha.wasm":   {Data: []byte("\x00asm alpha")},
		"modules/.wasm":        {Data: []byte("nameless")},
	}
	mods := load(fsys, "modules")
	if len(mods) != 2 || mods[0].Name != "alpha" || mods[1].Name != "counter" ||
		string(mods[1].Binary) != "\x00asm counter" || mods[1].Format != vm.FormatNative {
		t.Fatalf("modules %+v", mods)
	}
	if got := load(fstest.MapFS{"modules/README.md": {}}, "modules"); len(got) != 0 {
		t.Fatalf("a directory without modules: %+v", got)
	}
	tags := arweave.Tags(mods[1].Tags())
	for name, want := range map[string]string{
		"Type": "Module", "Module-Format": "wasm32-wasip1-aogo", "Name": "counter",
		"Input-Encoding": "JSON-V1", "Memory-Limit": MemoryLimit, "Content-Type": "application/wasm",
	} {
		if got, _ := tags.Get(name); got != want {
			t.Errorf("tag %s = %q, want %q", name, got, want)
		}
	}
}

// TestPublish: ids are stable for an ed25519 signer, and a second publish
// of the same modules puts nothing.
func TestPublish(t *testing.T) {
	ctx := context.Background()
	mods := load(fstest.MapFS{
		"m/counter.wasm": {Data: []byte("\x00asm counter")},
		"m/other.wasm":   {Data: []byte("\x00asm other")},
	}, "m")
	signer, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	store := &memStore{items: map[string]*arweave.DataItem{}}
	ids, err := publish(ctx, store, signer, mods)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids["counter"] == "" || ids["counter"] == ids["other"] || store.puts != 1 || len(store.items) != 2 {
		t.Fatalf("ids %v, %d puts, %d items", ids, store.puts, len(store.items))
	}
	item := store.items[ids["counter"]]
	if err := item.Verify(); err != nil || string(item.Data) != "\x00asm counter" || arweave.SignerAddress(signer) != item.OwnerAddress() {
		t.Fatalf("stored item: %v", err)
	}
	again, err := publish(ctx, store, signer, mods)
	if err != nil || again["counter"] != ids["counter"] || again["other"] != ids["other"] || store.puts != 1 {
		t.Fatalf("second publish: ids %v (were %v), %d puts, %v", again, ids, store.puts, err)
	}
	// Nothing to publish is no error.
	if none, err := publish(ctx, store, signer, nil); err != nil || len(none) != 0 {
		t.Fatalf("no modules: %v %v", none, err)
	}
}

// TestPublishLookupFails: a store that cannot answer is an error, not a
// silent republish.
func TestPublishLookupFails(t *testing.T) {
	signer, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	broken := errors.New("disk on fire")
	_, err = publish(context.Background(), failingStore{broken}, signer, []Module{{Name: "x", Format: vm.FormatNative, Binary: []byte("x")}})
	if !errors.Is(err, broken) {
		t.Fatalf("err %v", err)
	}
}

type failingStore struct{ err error }

func (f failingStore) Transaction(context.Context, string) (*arweave.Transaction, error) {
	return nil, f.err
}
func (f failingStore) PutItems(context.Context, ...*arweave.DataItem) error { return f.err }
func (f failingStore) PutBundle(context.Context, []*arweave.DataItem) (string, error) {
	return "", f.err
}
func (f failingStore) Item(context.Context, string) (*arweave.DataItem, error) { return nil, f.err }
func (f failingStore) Data(context.Context, string) ([]byte, error)            { return nil, f.err }
func (f failingStore) Query(context.Context, arweave.TxQuery) (*arweave.TxPage, error) {
	return nil, f.err
}
func (f failingStore) Blocks(context.Context, arweave.BlockQuery) (*arweave.BlockPage, error) {
	return nil, f.err
}
func (f failingStore) Info(context.Context) (*arweave.Info, error) { return nil, f.err }

// TestEmbedded checks the modules `make builtin-modules` embeds (the
// counter); without them it says how to build them.
func TestEmbedded(t *testing.T) {
	if err := Check(); err != nil {
		t.Fatal(err)
	}
	for _, m := range Modules() {
		if m.Name == "counter" {
			if f, err := vm.DetectFormat(m.Binary); err != nil || f != m.Format {
				t.Fatalf("the counter's binary is of format %q (%v), its tag says %q", f, err, m.Format)
			}
			return
		}
	}
	t.Fatalf("no counter among %d built-in modules", len(Modules()))
}
