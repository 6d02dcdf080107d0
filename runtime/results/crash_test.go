package results

import (
	"context"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"
)

// TestCrashKeepsBatchesWhole: Put does not sync, so a crash may lose
// batches, but a batch survives whole or not at all, record and message
// index together. The file system here keeps only what was synced.
func TestCrashKeepsBatchesWhole(t *testing.T) {
	ctx := context.Background()
	const pid = "crash-process"
	mem := vfs.NewStrictMem()
	// The database directory itself must be durable.
	if err := mem.MkdirAll("db", 0o755); err != nil {
		t.Fatal(err)
	}
	root, err := mem.OpenDir("")
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Sync(); err != nil {
		t.Fatal(err)
	}
	root.Close()
	open := func() *Store {
		s, err := Open(Config{Dir: "db", fs: mem})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	batch := func(from, n int) []Record {
		var out []Record
		for i := from; i < from+n; i++ {
			out = append(out, Record{Process: pid, Key: Key{Timestamp: int64(i), Ordinate: int64(i), Cron: -1},
				MessageID: fmt.Sprint("m", i), Result: []byte(fmt.Sprintf(`{"Output":%d}`, i))})
		}
		return out
	}
	s := open()
	if err := s.Put(ctx, batch(0, 10)...); err != nil {
		t.Fatal(err)
	}
	// Something syncs the WAL (pebble itself, or another writer): batches
	// before it are durable.
	if err := s.db.LogData(nil, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, batch(10, 10)...); err != nil {
		t.Fatal(err)
	}
	// Crash: nothing unsynced reaches the disk.
	mem.SetIgnoreSyncs(true)
	s.Close()
	mem.ResetToSyncedState()
	mem.SetIgnoreSyncs(false)

	s = open()
	defer s.Close()
	got, _, err := s.Page(ctx, pid, Query{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d of 20 records survived the crash", len(got))
	if len(got) != 10 && len(got) != 20 {
		t.Fatalf("%d records after the crash: a batch was torn", len(got))
	}
	for i, r := range got {
		if r.Key.Timestamp != int64(i) || string(r.Result) != fmt.Sprintf(`{"Output":%d}`, i) {
			t.Fatalf("record %d: %+v", i, r)
		}
		if m, err := s.ByMessage(ctx, pid, r.MessageID); err != nil || m.Key != r.Key {
			t.Fatalf("index of %s: %v", r.MessageID, err)
		}
	}
	if _, err := s.ByMessage(ctx, pid, fmt.Sprint("m", len(got))); err == nil {
		t.Fatal("an index entry survived without its record")
	}
}
