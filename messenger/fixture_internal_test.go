package messenger

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/runtime/results"
	"github.com/aogo-dev/aogo/scheduler"
	"github.com/aogo-dev/aogo/scheduler/pebblelog"
)

// suFixture is a real SU (pebble log, embedded store) for the cranker's
// tests.
type suFixture struct {
	t     *testing.T
	dir   string
	su    *scheduler.Scheduler
	store *embedded.Store
	user  arweave.Signer
	mu    arweave.Signer
}

func newSUFixture(t *testing.T) *suFixture {
	t.Helper()
	f := &suFixture{t: t, dir: t.TempDir()}
	suWallet, _ := arweave.GenerateWallet(arweave.SignatureED25519)
	f.mu, _ = arweave.GenerateWallet(arweave.SignatureED25519)
	f.user, _ = arweave.GenerateWallet(arweave.SignatureED25519)
	var err error
	if f.store, err = embedded.Open(embedded.Config{Dir: filepath.Join(f.dir, "store"), Signer: suWallet}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.store.Close() })
	log, err := pebblelog.Open(pebblelog.Config{Dir: filepath.Join(f.dir, "log")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	if f.su, err = scheduler.New(context.Background(), scheduler.Config{Log: log, Store: f.store, Signer: suWallet}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.su.Close() })
	return f
}

const testModule = "MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM"

func (f *suFixture) spawn(name string, extra ...arweave.Tag) string {
	f.t.Helper()
	tags := append([]arweave.Tag{
		{Name: "Data-Protocol", Value: "ao"}, {Name: "Type", Value: "Process"}, {Name: "Name", Value: name},
		{Name: "Module", Value: testModule}, {Name: "Scheduler", Value: f.su.Address()}}, extra...)
	item, err := arweave.SignDataItem(f.user, arweave.ItemOptions{Tags: tags})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.su.Schedule(context.Background(), item); err != nil {
		f.t.Fatal(err)
	}
	return item.ID()
}

// entries are the messages scheduled on pid (the process message is not
// one).
func (f *suFixture) entries(pid string) []*scheduler.Entry {
	f.t.Helper()
	var all []*scheduler.Entry
	from := int64(-1)
	for {
		entries, more, err := f.su.Entries(context.Background(), pid, scheduler.Range{FromNonce: &from})
		if err != nil {
			f.t.Fatal(err)
		}
		all = append(all, entries...)
		if !more || len(entries) == 0 {
			return all
		}
		from = entries[len(entries)-1].Nonce
	}
}

// count is the number of messages scheduled on pid.
func (f *suFixture) count(pid string) int {
	f.t.Helper()
	e, err := f.su.Latest(context.Background(), pid)
	if errors.Is(err, scheduler.ErrNotFound) {
		return 0
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return int(e.Nonce) + 1
}

// fakeCU answers results from a table (message id -> result JSON; "" for
// an empty outbox) and serves cron records for monitors.
type fakeCU struct {
	mu       sync.Mutex
	results  map[string]string
	crons    map[string][]results.Record // pid -> cron records, in order
	advanced map[string]int
	fail     error // every Result fails with it when set
}

func newFakeCU() *fakeCU {
	return &fakeCU{results: map[string]string{}, crons: map[string][]results.Record{}, advanced: map[string]int{}}
}

func (c *fakeCU) Result(_ context.Context, pid, id string) (*results.Record, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return nil, c.fail
	}
	r, ok := c.results[id]
	if !ok {
		r = `{"Output":"","Messages":[],"Spawns":[],"Assignments":[]}`
	}
	return &results.Record{Process: pid, MessageID: id, Result: []byte(r)}, nil
}

func (c *fakeCU) Advance(_ context.Context, pid string) ([]results.Record, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advanced[pid]++
	return nil, nil
}

func (c *fakeCU) Results(_ context.Context, pid string, q results.Query) ([]results.Record, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	recs := c.crons[pid]
	if q.Desc {
		if len(recs) == 0 {
			return nil, false, nil
		}
		return recs[len(recs)-1:], len(recs) > 1, nil
	}
	var out []results.Record
	for _, r := range recs {
		if q.From == nil || r.Key.Compare(*q.From) > 0 {
			out = append(out, r)
		}
	}
	more := q.Limit > 0 && len(out) > q.Limit
	if more {
		out = out[:q.Limit]
	}
	return out, more, nil
}

// tick adds a cron record whose outbox sends one message to target.
func (c *fakeCU) tick(pid string, n int, target string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	result := `{"Output":"tick","Messages":[],"Spawns":[],"Assignments":[]}`
	if target != "" {
		result = fmt.Sprintf(`{"Output":"tick","Messages":[{"Target":%q,"Anchor":"%032d","Data":"tick %d","Tags":[{"name":"Action","value":"Tick-Notice"}]}],"Spawns":[],"Assignments":[]}`, target, n, n)
	}
	c.crons[pid] = append(c.crons[pid], results.Record{Process: pid, Key: results.Key{Timestamp: int64(1000 * n), Ordinate: 0, Cron: 0},
		CronID: "0-1-seconds", Result: []byte(result)})
}
