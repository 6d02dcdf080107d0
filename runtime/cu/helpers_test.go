package cu_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/runtime/checkpoint"
	"github.com/aogo-dev/aogo/runtime/cu"
	"github.com/aogo-dev/aogo/runtime/results"
	"github.com/aogo-dev/aogo/scheduler"
	"github.com/aogo-dev/aogo/scheduler/pebblelog"
	"github.com/aogo-dev/aogo/vm"
)

// modulesDir is where `make test-modules` builds the vm's test modules.
const modulesDir = "../../vm/testdata/build"

// moduleFile returns a built test module, skipping the test when the
// modules are not built (failing under CI).
func moduleFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(modulesDir, name))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("test module %s is not built (%v): run `make test-modules`", name, err)
		}
		t.Skipf("test module %s is not built: run `make test-modules` (%v)", name, err)
	}
	return b
}

// world is an SU (with its store) and the pieces a CU needs.
type world struct {
	t      testing.TB
	dir    string
	store  *embedded.Store
	log    *pebblelog.Log
	su     *scheduler.Scheduler
	user   arweave.Signer
	module string // id of the published test module
	now    *atomic.Int64
}

// newWorld starts an SU over an embedded store whose wall clock the test
// drives (world.advance), and publishes a test module.
func newWorld(t testing.TB, moduleName, format string, moduleTags ...arweave.Tag) *world {
	t.Helper()
	return newWorldWith(t, moduleFile(t, moduleName), format, moduleTags...)
}

// newWorldWith is newWorld with a module binary.
func newWorldWith(t testing.TB, binary []byte, format string, moduleTags ...arweave.Tag) *world {
	t.Helper()
	dir := t.TempDir()
	w := &world{t: t, dir: dir, now: new(atomic.Int64)}
	w.now.Store(1_700_000_000_000)
	suWallet, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	if w.user, err = arweave.GenerateWallet(arweave.SignatureED25519); err != nil {
		t.Fatal(err)
	}
	// Blocks are mined (world.mine) at the test's clock too.
	clock := func() time.Time { return time.UnixMilli(w.now.Load()) }
	if w.store, err = embedded.Open(embedded.Config{Dir: filepath.Join(dir, "store"), Signer: suWallet, Now: clock}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.store.Close() })
	if w.log, err = pebblelog.Open(pebblelog.Config{Dir: filepath.Join(dir, "su-log")}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.log.Close() })
	w.su, err = scheduler.New(context.Background(), scheduler.Config{
		Log: w.log, Store: w.store, Signer: suWallet,
		Now: func() time.Time { return time.UnixMilli(w.now.Load()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.su.Close() })

	tags := []arweave.Tag{
		{Name: "Data-Protocol", Value: "ao"}, {Name: "Variant", Value: "ao.TN.1"}, {Name: "Type", Value: "Module"},
		{Name: "Module-Format", Value: format}, {Name: "Input-Encoding", Value: "JSON-V1"},
		{Name: "Output-Encoding", Value: "JSON-V1"},
	}
	if !hasTag(moduleTags, "Memory-Limit") {
		tags = append(tags, arweave.Tag{Name: "Memory-Limit", Value: "256-mb"})
	}
	if !hasTag(moduleTags, "Compute-Limit") {
		tags = append(tags, arweave.Tag{Name: "Compute-Limit", Value: "9000000000000"})
	}
	tags = append(tags, moduleTags...)
	mod, err := arweave.SignDataItem(w.user, arweave.ItemOptions{Tags: tags, Data: binary})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.store.PutItems(context.Background(), mod); err != nil {
		t.Fatal(err)
	}
	w.module = mod.ID()
	return w
}

func hasTag(tags []arweave.Tag, name string) bool {
	for _, t := range tags {
		if t.Name == name {
			return true
		}
	}
	return false
}

// mine mines a block at the test's clock and returns its height.
func (w *world) mine() int64 {
	w.t.Helper()
	b, err := w.store.Mine(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	return b.Height
}

// advance moves the SU's wall clock.
func (w *world) advance(d time.Duration) { w.now.Add(d.Milliseconds()) }

var anchors atomic.Int64

func (w *world) sign(target, data string, tags ...arweave.Tag) *arweave.DataItem {
	w.t.Helper()
	item, err := arweave.SignDataItem(w.user, arweave.ItemOptions{
		Target: target, Anchor: fmt.Sprintf("%032d", anchors.Add(1)), Tags: tags, Data: []byte(data),
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return item
}

// spawn schedules a process of the test module.
func (w *world) spawn(extra ...arweave.Tag) string {
	w.t.Helper()
	tags := append([]arweave.Tag{
		{Name: "Data-Protocol", Value: "ao"}, {Name: "Variant", Value: "ao.TN.1"}, {Name: "Type", Value: "Process"},
		{Name: "Module", Value: w.module}, {Name: "Scheduler", Value: w.su.Address()},
	}, extra...)
	res, err := w.su.Schedule(context.Background(), w.sign("", "process data", tags...))
	if err != nil {
		w.t.Fatal(err)
	}
	return res.ID
}

// send schedules a message with an Action tag and returns its id.
func (w *world) send(pid, action, data string, extra ...arweave.Tag) string {
	w.t.Helper()
	tags := []arweave.Tag{{Name: "Data-Protocol", Value: "ao"}, {Name: "Variant", Value: "ao.TN.1"}, {Name: "Type", Value: "Message"}}
	if action != "" {
		tags = append(tags, arweave.Tag{Name: "Action", Value: action})
	}
	tags = append(tags, extra...)
	res, err := w.su.Schedule(context.Background(), w.sign(pid, data, tags...))
	if err != nil {
		w.t.Fatal(err)
	}
	return res.ID
}

// newCU starts a CU over the world's SU with its own stores in dir.
func (w *world) newCU(dir string, opts ...func(*cu.Config)) *cu.Unit {
	t := w.t
	t.Helper()
	rt, err := vm.New(context.Background(), vm.Config{CacheDir: filepath.Join(w.dir, "vm-cache")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	res, err := results.Open(results.Config{Dir: filepath.Join(dir, "results")})
	if err != nil {
		t.Fatal(err)
	}
	ck, err := checkpoint.Open(checkpoint.Config{Dir: filepath.Join(dir, "checkpoints")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := cu.Config{Source: w.su, Store: w.store, Runtime: rt, Results: res, Checkpoints: ck}
	for _, o := range opts {
		o(&cfg)
	}
	u, err := cu.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close(); res.Close() })
	return u
}

// serve serves a CU's HTTP API.
func serve(t testing.TB, u *cu.Unit) string {
	srv := httptest.NewServer(u.Handler(cu.HandlerConfig{}))
	t.Cleanup(srv.Close)
	return srv.URL
}
