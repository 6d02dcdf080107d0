package pebblelog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/scheduler"
	"github.com/cockroachdb/pebble/vfs"
)

type fixture struct {
	t      *testing.T
	signer arweave.Signer
	n      int
}

func newFixture(t *testing.T) *fixture {
	s, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, signer: s}
}

func (f *fixture) item(target string, tags ...arweave.Tag) *arweave.DataItem {
	f.n++
	it, err := arweave.SignDataItem(f.signer, arweave.ItemOptions{Target: target, Anchor: fmt.Sprintf("%032d", f.n), Tags: tags})
	if err != nil {
		f.t.Fatal(err)
	}
	return it
}

func (f *fixture) process() *scheduler.Process {
	return &scheduler.Process{Item: f.item("", arweave.Tag{Name: "Type", Value: "Process"}), Timestamp: 1000, BlockHeight: 1}
}

// entry builds entry nonce of pid at timestamp ts; msg nil makes an
// assignment of an existing transaction (its id in the Message tag).
func (f *fixture) entry(pid string, nonce, ts int64, msg *arweave.DataItem, assigned string) *scheduler.Entry {
	id := assigned
	if msg != nil {
		id = msg.ID()
	}
	asg := f.item("", arweave.Tag{Name: "Nonce", Value: fmt.Sprint(nonce)}, arweave.Tag{Name: "Message", Value: id})
	return &scheduler.Entry{Process: pid, Nonce: nonce, Timestamp: ts, BlockHeight: 1, HashChain: "chain", Assignment: asg, Message: msg}
}

func mustAppend(t *testing.T, l *Log, rec scheduler.Record) {
	t.Helper()
	wait, err := l.Append(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
}

func open(t *testing.T, cfg Config) *Log {
	t.Helper()
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestAppendRules(t *testing.T) {
	ctx := context.Background()
	l := open(t, Config{Dir: t.TempDir()})
	defer l.Close()
	f := newFixture(t)
	p := f.process()
	pid := p.ID()

	e0 := f.entry(pid, 0, 2000, f.item(pid), "")
	if _, err := l.Append(ctx, scheduler.Record{Entry: e0}); !errors.Is(err, scheduler.ErrUnknownProcess) {
		t.Fatalf("entry of an unknown process: %v", err)
	}
	mustAppend(t, l, scheduler.Record{Process: p})
	if _, err := l.Append(ctx, scheduler.Record{Process: p}); !errors.Is(err, scheduler.ErrDuplicate) {
		t.Fatalf("process twice: %v", err)
	}
	if _, err := l.Append(ctx, scheduler.Record{Entry: f.entry(pid, 1, 2000, f.item(pid), "")}); err == nil {
		t.Fatal("a first entry with nonce 1 was accepted")
	}
	mustAppend(t, l, scheduler.Record{Entry: e0})
	if _, err := l.Append(ctx, scheduler.Record{Entry: f.entry(pid, 1, 2001, e0.Message, "")}); !errors.Is(err, scheduler.ErrDuplicate) {
		t.Fatalf("message twice: %v", err)
	}
	if _, err := l.Append(ctx, scheduler.Record{Entry: f.entry(pid, 2, 2001, f.item(pid), "")}); err == nil {
		t.Fatal("a nonce gap was accepted")
	}
	assigned := f.item(pid).ID()
	mustAppend(t, l, scheduler.Record{Entry: f.entry(pid, 1, 2001, nil, assigned)})
	if _, err := l.Append(ctx, scheduler.Record{Entry: f.entry(pid, 2, 2002, nil, assigned)}); !errors.Is(err, scheduler.ErrDuplicate) {
		t.Fatalf("assigned twice: %v", err)
	}
	if got := l.LastSeq(); got != 3 {
		t.Fatalf("LastSeq %d after 3 records", got)
	}
}

func TestReads(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := open(t, Config{Dir: dir})
	f := newFixture(t)
	p := f.process()
	pid := p.ID()
	mustAppend(t, l, scheduler.Record{Process: p})
	var entries []*scheduler.Entry
	for i := range int64(10) {
		e := f.entry(pid, i, 2000+10*i, f.item(pid), "")
		mustAppend(t, l, scheduler.Record{Entry: e})
		entries = append(entries, e)
	}
	l.Close()
	l = open(t, Config{Dir: dir}) // everything below is read back from disk
	defer l.Close()

	if last, err := l.Last(ctx, pid); err != nil || last.Nonce != 9 {
		t.Fatalf("last: %v %v", last, err)
	}
	for _, e := range entries {
		for _, id := range []string{e.Message.ID(), e.Assignment.ID()} {
			for _, in := range []string{pid, ""} {
				got, err := l.Find(ctx, in, id)
				if err != nil || got.Nonce != e.Nonce || got.Message.ID() != e.Message.ID() || got.Seq != e.Seq {
					t.Fatalf("find %s in %q: %v %v", id, in, got, err)
				}
			}
		}
	}
	if _, err := l.Find(ctx, pid, f.item(pid).ID()); !errors.Is(err, scheduler.ErrNotFound) {
		t.Fatalf("find unknown: %v", err)
	}
	i64 := func(v int64) *int64 { return &v }
	nonces := func(es []*scheduler.Entry) string {
		s := ""
		for _, e := range es {
			s += fmt.Sprint(e.Nonce)
		}
		return s
	}
	for _, c := range []struct {
		r    scheduler.Range
		want string
		more bool
	}{
		{scheduler.Range{Limit: 3}, "012", true},
		{scheduler.Range{From: i64(2020), Limit: 3}, "345", true},
		{scheduler.Range{From: i64(2019), To: i64(2050)}, "2345", false},
		{scheduler.Range{From: i64(2090)}, "", false},
		{scheduler.Range{FromNonce: i64(-1), ToNonce: i64(1)}, "01", false},
		{scheduler.Range{FromNonce: i64(7)}, "89", false},
		{scheduler.Range{FromNonce: i64(5), Limit: 4}, "6789", false},
	} {
		got, more, err := l.Entries(ctx, pid, c.r)
		if err != nil || nonces(got) != c.want || more != c.more {
			t.Errorf("%+v: %q more=%v %v; want %q more=%v", c.r, nonces(got), more, err, c.want, c.more)
		}
	}
	recs, err := l.Since(ctx, 0, 100)
	if err != nil || len(recs) != 11 || recs[0].Process == nil || recs[10].Entry.Nonce != 9 {
		t.Fatalf("since: %d records, %v", len(recs), err)
	}
	if recs, _ := l.Since(ctx, 9, 100); len(recs) != 2 || recs[0].Seq() != 10 {
		t.Fatalf("since 9: %d records", len(recs))
	}
	if l.LastSeq() != 11 {
		t.Fatalf("LastSeq %d after reopening", l.LastSeq())
	}
}

// TestPowerLoss appends from many goroutines and cuts the power: every
// append whose wait returned is on disk, and the log is consistent.
func TestPowerLoss(t *testing.T) {
	fs := vfs.NewStrictMem()
	if err := fs.MkdirAll("db", 0o755); err != nil {
		t.Fatal(err)
	}
	root, _ := fs.OpenDir("")
	root.Sync()
	root.Close()
	cfg := Config{Dir: "db", fs: fs}
	l := open(t, cfg)
	f := newFixture(t)
	ctx := context.Background()
	const procs = 8
	pids := make([]string, procs)
	for i := range pids {
		p := f.process()
		pids[i] = p.ID()
		mustAppend(t, l, scheduler.Record{Process: p})
	}
	// Pre-build entries: the fixture is not safe for concurrent use.
	work := make([][]*scheduler.Entry, procs)
	for i, pid := range pids {
		for n := range int64(300) {
			work[i] = append(work[i], f.entry(pid, n, 5000+n, f.item(pid), ""))
		}
	}
	var (
		mu      sync.Mutex
		acked   = map[string]int64{}
		wg      sync.WaitGroup
		crashed atomic.Bool
	)
	for i := range pids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var waits []func() error
			var pending []*scheduler.Entry
			for n, e := range work[i] {
				wait, err := l.Append(ctx, scheduler.Record{Entry: e})
				if err != nil {
					return // the power is out
				}
				waits, pending = append(waits, wait), append(pending, e)
				// Pipelined as the sequencer does: several appends of one
				// process in flight.
				if len(waits) == 4 || n == len(work[i])-1 {
					for k, w := range waits {
						// An ack counts if its sync returned before the power
						// went out (later "syncs" are ignored, not durable).
						if w() == nil && !crashed.Load() {
							mu.Lock()
							acked[pending[k].Message.ID()] = pending[k].Nonce
							mu.Unlock()
						}
					}
					waits, pending = nil, nil
				}
				if i == 0 && n == 150 {
					crashed.Store(true)
					fs.SetIgnoreSyncs(true)
				}
			}
		}()
	}
	wg.Wait()
	l.Close()
	fs.ResetToSyncedState()
	fs.SetIgnoreSyncs(false)

	l = open(t, cfg)
	defer l.Close()
	lost := 0
	for id, nonce := range acked {
		e, err := l.Find(ctx, "", id)
		if err != nil || e.Nonce != nonce {
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged entries lost", lost, len(acked))
	}
	// Each process's log is gap-free and the sequence index agrees.
	total := 0
	for _, pid := range pids {
		es, _, err := l.Entries(ctx, pid, scheduler.Range{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for k, e := range es {
			if e.Nonce != int64(k) {
				t.Fatalf("%s: entry %d has nonce %d", pid, k, e.Nonce)
			}
		}
		total += len(es)
	}
	if recs, _ := l.Since(ctx, 0, 100000); len(recs) != total+procs || l.LastSeq() != uint64(total+procs) {
		t.Fatalf("%d records in sequence, %d entries + %d processes, LastSeq %d", len(recs), total, procs, l.LastSeq())
	}
	t.Logf("%d acknowledged, %d recovered", len(acked), total)
}
