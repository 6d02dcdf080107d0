package embedded

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"
)

// crashChildEnv switches TestCrashChild into the child role: its value is
// the store directory.
const crashChildEnv = "AOGO_EMBEDDED_CRASH_CHILD_DIR"

// TestCrashKill runs a child process that puts items as fast as it can and
// prints each id once PutItems has acknowledged it, SIGKILLs the child in
// the middle of that, reopens the store and checks that every acknowledged
// id is there and the store still works.
//
// A process crash keeps what the kernel already holds, so this tests the
// acknowledgement protocol and recovery, not fsync; TestPowerLoss covers
// fsync.
func TestCrashKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1", "-test.v=false")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()

	// Read acknowledged ids until enough have been seen, then kill the
	// child while it is still putting.
	const wantAcks = 3000
	var acked []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if len(line) != 43 {
			continue // not an id (a partial line, or test output)
		}
		acked = append(acked, line)
		if len(acked) == wantAcks {
			break
		}
	}
	if len(acked) < wantAcks {
		t.Fatalf("child stopped after %d acks: %v", len(acked), sc.Err())
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed = true
	cmd.Wait()

	s := openStore(t, testConfig(t, dir))
	ctx := context.Background()
	for _, id := range acked {
		if _, err := s.Item(ctx, id); err != nil {
			t.Fatalf("acknowledged item lost: %v", err)
		}
	}
	// The store works: sequence numbers continue, queries see everything.
	before := s.mu.seq
	it := fakeItem(t, newFakeSigner(99), "")
	put(t, s, it)
	if s.mu.seq != before+1 {
		t.Fatalf("seq %d after %d", s.mu.seq, before)
	}
	p, err := s.Query(ctx, arweave.TxQuery{First: 1})
	if err != nil {
		t.Fatal(err)
	}
	if p.Edges[0].Node.ID != it.ID() {
		t.Fatalf("newest item %s, want %s", p.Edges[0].Node.ID, it.ID())
	}
	got := queryAll(t, s, arweave.TxQuery{Tags: []arweave.TagFilter{{Name: "Action", Values: []string{"Eval"}}}}, 1000)
	if uint64(len(got)) != s.mu.seq || len(got) < len(acked) {
		t.Fatalf("tag index holds %d items, seq is %d, %d acknowledged", len(got), s.mu.seq, len(acked))
	}
	mine(t, s)
	t.Logf("%d acknowledged, %d recovered", len(acked), len(got)-1)
}

// TestCrashChild is the child of TestCrashKill; without the environment
// variable it does nothing.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("child of TestCrashKill")
	}
	s, err := Open(Config{Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	f := newFakeSigner(1)
	out := bufio.NewWriter(os.Stdout)
	// Bounded, in case the parent dies without killing us.
	deadline := time.Now().Add(30 * time.Second)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100_000 && time.Now().Before(deadline); i++ {
				batch := make([]*arweave.DataItem, 1+i%20)
				for j := range batch {
					batch[j] = fakeItem(t, f, "")
				}
				if err := s.PutItems(context.Background(), batch...); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				mu.Lock()
				for _, it := range batch {
					out.WriteString(it.ID() + "\n")
				}
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	os.Exit(0)
}

// TestPowerLoss loses everything that was not fsynced (pebble's strict
// in-memory file system) while writers are busy, and checks that every
// acknowledged item survives, including puts of ids another writer was
// still syncing.
func TestPowerLoss(t *testing.T) {
	cfg, fs := strictConfig(t)
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeSigner(1)
	pool := make([]*arweave.DataItem, 400)
	for i := range pool {
		pool[i] = fakeItem(t, f, "")
	}
	var (
		mu      sync.Mutex
		crashed bool
		acked   = map[string]bool{}
		wg      sync.WaitGroup
	)
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				// Overlapping batches: writers often put ids another
				// writer has applied but not yet synced.
				start := (i*5 + g*37) % len(pool)
				batch := pool[start:min(start+1+i%4, len(pool))]
				if err := s.PutItems(context.Background(), batch...); err != nil {
					t.Error(err)
					return
				}
				if g == 0 && i%7 == 0 {
					if _, err := s.Mine(context.Background()); err != nil {
						t.Error(err)
						return
					}
				}
				mu.Lock()
				if crashed {
					mu.Unlock()
					return
				}
				for _, it := range batch {
					acked[it.ID()] = true
				}
				mu.Unlock()
			}
		}()
	}
	for {
		mu.Lock()
		n := len(acked)
		if n >= len(pool)/2 {
			fs.SetIgnoreSyncs(true) // the power goes out
			crashed = true
			mu.Unlock()
			break
		}
		mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	wg.Wait()
	powerCut(t, s, fs)

	s = openStore(t, cfg)
	ctx := context.Background()
	lost := 0
	for id := range acked {
		if _, err := s.Item(ctx, id); err != nil {
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged items lost; seq %d height %d", lost, len(acked), s.mu.seq, s.mu.head.height)
	}
	// Whatever survived is consistent: the sequence index and the tag
	// index agree, and every item mined is in a surviving block.
	all := queryAll(t, s, arweave.TxQuery{}, 1000)
	tagged := queryAll(t, s, arweave.TxQuery{Tags: []arweave.TagFilter{{Name: "Type", Values: []string{"Message"}}}}, 1000)
	if len(all) != len(tagged) || uint64(len(all)) != s.mu.seq {
		t.Fatalf("%d items, %d tagged, seq %d", len(all), len(tagged), s.mu.seq)
	}
	put(t, s, pool...)
	mine(t, s)
	t.Logf("%d acknowledged, %d recovered, height %d", len(acked), len(all), s.mu.head.height)
}

// TestPowerLossDuplicate puts an id that is applied but not yet synced (as
// another PutItems call would leave it an instant before its sync): the
// put skips it, and must not return before it is durable.
func TestPowerLossDuplicate(t *testing.T) {
	cfg, fs := strictConfig(t)
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	it := fakeItem(t, newFakeSigner(1), "")
	// Apply it without a sync, as the first half of a PutItems would.
	e := newEntry(it, nil)
	b := s.db.NewBatch()
	s.mu.Lock()
	e.seq = s.mu.seq + 1
	if err := writeEntry(b, e); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Apply(b, pebble.NoSync); err != nil {
		t.Fatal(err)
	}
	s.mu.seq++
	s.mu.Unlock()

	put(t, s, it) // held already: nothing to write, but it must sync
	powerCut(t, s, fs)
	s = openStore(t, cfg)
	if _, err := s.Item(context.Background(), it.ID()); err != nil {
		t.Fatalf("acknowledged item lost: %v", err)
	}
}

// strictConfig is a store configuration on a file system that can lose
// what was not synced.
func strictConfig(t *testing.T) (Config, *vfs.MemFS) {
	fs := vfs.NewStrictMem()
	// The store's directory exists and is synced before the test starts.
	if err := fs.MkdirAll("db", 0o755); err != nil {
		t.Fatal(err)
	}
	root, err := fs.OpenDir("")
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Sync(); err != nil {
		t.Fatal(err)
	}
	root.Close()
	cfg := testConfig(t, "db")
	cfg.testing.fs = fs
	return cfg, fs
}

// powerCut closes s as if the power failed: everything not synced is lost.
func powerCut(t *testing.T, s *Store, fs *vfs.MemFS) {
	fs.SetIgnoreSyncs(true)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	fs.ResetToSyncedState()
	fs.SetIgnoreSyncs(false)
}
