package weavedrive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/vm"
)

// world is an embedded store with the wallets the tests sign with.
type world struct {
	t         testing.TB
	store     *embedded.Store
	scheduler arweave.Signer
	attestor  arweave.Signer
	stranger  arweave.Signer
	user      arweave.Signer
	n         atomic.Int64 // makes every item's data distinct
}

func newWorld(t testing.TB) *world {
	t.Helper()
	var clock atomic.Int64
	s, err := embedded.Open(embedded.Config{
		Dir:    t.TempDir(),
		Signer: wallet(t),
		Now:    func() time.Time { return time.Unix(1_700_000_000+clock.Add(1), 0) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &world{t: t, store: s, scheduler: wallet(t), attestor: wallet(t), stranger: wallet(t), user: wallet(t)}
}

func wallet(t testing.TB) arweave.Signer {
	t.Helper()
	w, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func tags(kv ...string) []arweave.Tag {
	var ts []arweave.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		ts = append(ts, arweave.Tag{Name: kv[i], Value: kv[i+1]})
	}
	return ts
}

// sign signs an item without storing it.
func (w *world) sign(s arweave.Signer, data []byte, kv ...string) *arweave.DataItem {
	w.t.Helper()
	it, err := arweave.SignDataItem(s, arweave.ItemOptions{Tags: tags(kv...), Data: data})
	if err != nil {
		w.t.Fatal(err)
	}
	return it
}

// put signs and stores an item (pending until the next mine).
func (w *world) put(s arweave.Signer, data []byte, kv ...string) *arweave.DataItem {
	w.t.Helper()
	it := w.sign(s, data, kv...)
	if err := w.store.PutItems(context.Background(), it); err != nil {
		w.t.Fatal(err)
	}
	return it
}

// data stores a distinct data item of the user and returns its id.
func (w *world) data() string {
	w.t.Helper()
	return w.put(w.user, []byte(fmt.Sprintf("data #%d", w.n.Add(1))), "Content-Type", "text/plain").ID()
}

// attest stores an Attestation of id by s.
func (w *world) attest(s arweave.Signer, id string) {
	w.t.Helper()
	w.put(s, nil, "Data-Protocol", "ao", "Type", "Attestation", "Message", id)
}

// available stores an Individual availability record of id by s.
func (w *world) available(s arweave.Signer, id string) {
	w.t.Helper()
	w.put(s, nil, "Data-Protocol", "WeaveDrive", "Type", "Available", "ID", id)
}

func (w *world) mine() int64 {
	w.t.Helper()
	b, err := w.store.Mine(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	return b.Height
}

// processTags are a spawned process's tags with the WeaveDrive extension,
// the world's scheduler and attestor, followed by extra.
func (w *world) processTags(extra ...string) []arweave.Tag {
	return append(tags(
		"Data-Protocol", "ao",
		"Type", "Process",
		"Extension", "WeaveDrive",
		"Scheduler", arweave.SignerAddress(w.scheduler),
		"Attestor", arweave.SignerAddress(w.attestor),
	), tags(extra...)...)
}

// moduleTags are a format-4 module's tags with the WeaveDrive extension.
func moduleTags(extra ...string) []arweave.Tag {
	return append(tags(
		"Data-Protocol", "ao",
		"Type", "Module",
		"Module-Format", "wasm32-unknown-emscripten4",
		"Extension", "WeaveDrive",
	), tags(extra...)...)
}

func request(path string, process, module []arweave.Tag, height int64) vm.DriveRequest {
	return vm.DriveRequest{
		Path:        path,
		Process:     vm.EnvEntity{ID: "process", Owner: "owner", Tags: process},
		Module:      vm.EnvEntity{ID: "module", Owner: "owner", Tags: module},
		BlockHeight: height,
	}
}

// readAll reads a whole file through ReadAt.
func readAll(t testing.TB, f vm.DriveFile) []byte {
	t.Helper()
	b := make([]byte, f.Size())
	n, err := f.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return b[:n]
}

// outcome names the class of an Open error, for tables.
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrNotAdmissible):
		return "not admissible"
	case errors.Is(err, arweave.ErrNotFound):
		return "not found"
	case errors.Is(err, ErrUnavailable):
		return "unavailable"
	case errors.Is(err, ErrUnsupported):
		return "unsupported"
	case errors.Is(err, arweave.ErrTooLarge):
		return "too large"
	}
	return "error: " + err.Error()
}
