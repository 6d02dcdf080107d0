package embedded

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble"

	"github.com/aogo-dev/aogo/arweave"
)

// The benchmarks use fakeSigner items (valid layout, invalid signatures):
// the store does not verify, so they measure storage alone. Items look
// like AO messages (~250 bytes, four tags, a target).

// BenchmarkPut puts 100 items per durable PutItems call.
func BenchmarkPut(b *testing.B) {
	s := openStore(b, testConfig(b, b.TempDir()))
	f := newFakeSigner(1)
	target := arweave.B64(make([]byte, 32))
	ctx := context.Background()
	batch := make([]*arweave.DataItem, 100)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		for i := range batch {
			batch[i] = fakeItem(b, f, target)
		}
		b.StartTimer()
		if err := s.PutItems(ctx, batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkPutParallel puts one item per durable PutItems call from
// GOMAXPROCS*16 goroutines: concurrent calls share fsyncs.
func BenchmarkPutParallel(b *testing.B) {
	s := openStore(b, testConfig(b, b.TempDir()))
	target := arweave.B64(make([]byte, 32))
	ctx := context.Background()
	var seed atomic.Uint32
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		f := newFakeSigner(byte(seed.Add(1)))
		for pb.Next() {
			if err := s.PutItems(ctx, fakeItem(b, f, target)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkPutBundle puts bundles of 100 items (the SU uploader's shape).
func BenchmarkPutBundle(b *testing.B) {
	s := openStore(b, testConfig(b, b.TempDir()))
	f := newFakeSigner(1)
	target := arweave.B64(make([]byte, 32))
	ctx := context.Background()
	batch := make([]*arweave.DataItem, 100)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		for i := range batch {
			batch[i] = fakeItem(b, f, target)
		}
		b.StartTimer()
		if _, err := s.PutBundle(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkGet reads items by id from a store of 10,000.
func BenchmarkGet(b *testing.B) {
	s := openStore(b, testConfig(b, b.TempDir()))
	ids := fillStore(b, s, 10_000)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.Item(ctx, ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQueryTag pages through a tag and owner query over 10,000 items.
func BenchmarkQueryTag(b *testing.B) {
	s := openStore(b, testConfig(b, b.TempDir()))
	fillStore(b, s, 10_000)
	ctx := context.Background()
	q := arweave.TxQuery{
		Owners: []string{arweave.SignerAddress(newFakeSigner(1))},
		Tags:   []arweave.TagFilter{{Name: "Action", Values: []string{"Eval"}}},
		First:  100,
	}
	b.ResetTimer()
	for range b.N {
		p, err := s.Query(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Edges) != 100 {
			b.Fatalf("%d edges", len(p.Edges))
		}
	}
}

func fillStore(b *testing.B, s *Store, n int) []string {
	f := newFakeSigner(1)
	target := arweave.B64(make([]byte, 32))
	var ids []string
	batch := make([]*arweave.DataItem, 0, 100)
	for range n {
		it := fakeItem(b, f, target)
		ids = append(ids, it.ID())
		if batch = append(batch, it); len(batch) == cap(batch) {
			put(b, s, batch...)
			batch = batch[:0]
		}
	}
	put(b, s, batch...)
	return ids
}

// BenchmarkPebbleBaseline is the floor BenchmarkPut is compared with in
// docs/benchmarks.md: the same 100 items' bytes written to a bare pebble
// database as one synced batch, keyed by id, with no index at all.
func BenchmarkPebbleBaseline(b *testing.B) {
	db, err := pebble.Open(b.TempDir(), &pebble.Options{Logger: quietPebbleLogger{}})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	f := newFakeSigner(1)
	target := arweave.B64(make([]byte, 32))
	batch := make([]*arweave.DataItem, 100)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		for i := range batch {
			batch[i] = fakeItem(b, f, target)
		}
		b.StartTimer()
		wb := db.NewBatch()
		for _, it := range batch {
			if err := wb.Set([]byte(it.ID()), it.Bytes(), nil); err != nil {
				b.Fatal(err)
			}
		}
		if err := wb.Commit(pebble.Sync); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "items/s")
}

type quietPebbleLogger struct{}

func (quietPebbleLogger) Infof(string, ...any)  {}
func (quietPebbleLogger) Errorf(string, ...any) {}
func (quietPebbleLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}
