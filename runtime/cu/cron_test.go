package cu_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/runtime/results"
)

// TestAdvanceCron: ticks fall at the process's timestamp + k x interval,
// are evaluated only up to the SU's seal, catch up after a downtime without
// skipping one, interleave with messages by time, and are the same on
// every CU.
func TestAdvanceCron(t *testing.T) {
	w := newWorld(t, "minimal-fmt2-metered.wasm", "wasm32-unknown-emscripten2")
	pid := w.spawn(arweave.Tag{Name: "Cron-Interval", Value: "10-seconds"}, arweave.Tag{Name: "Cron-Tag-Action", Value: "Inc"})
	ctx := context.Background()
	p, err := w.su.Process(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	origin := p.Timestamp
	u := w.newCU(t.TempDir())

	w.advance(35 * time.Second)
	recs, err := u.Advance(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	// The process message (cold start), then three ticks.
	if len(recs) != 4 || recs[0].MessageID != pid {
		t.Fatalf("%d evaluations: %+v", len(recs), recs)
	}
	for k, r := range recs[1:] {
		if want := origin + int64(k+1)*10_000; r.Key.Timestamp != want || r.Key.Cron != 0 || r.MessageID != "" || r.CronID != "0-10-seconds" {
			t.Fatalf("tick %d: %+v, want timestamp %d", k, r, want)
		}
	}
	if out := output(t, recs[3].Result); out != `"4"` {
		t.Fatalf("third tick output %s", out)
	}
	seal, _, err := w.su.Seal(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Nothing new until the seal moves; never past it.
	if recs, err := u.Advance(ctx, pid); err != nil || len(recs) != 0 {
		t.Fatalf("advance again: %d, %v", len(recs), err)
	}
	w.advance(5 * time.Second) // the seal reaches origin+40 s: that tick is due
	recs, err = u.Advance(ctx, pid)
	if err != nil || len(recs) != 1 || recs[0].Key.Timestamp != origin+40_000 {
		t.Fatalf("after 5 s more: %+v, %v", recs, err)
	}
	if s2, _, _ := w.su.Seal(ctx); recs[0].Key.Timestamp > s2 || s2 < seal {
		t.Fatalf("tick at %d past the seal %d", recs[0].Key.Timestamp, s2)
	}

	// An hour of downtime: every missed tick, in order, and a message
	// scheduled at the last tick's millisecond, which goes first (a
	// message stamped at or before a tick's time precedes it).
	w.advance(time.Hour)
	mid := w.send(pid, "Inc", "")
	m, err := w.su.Find(ctx, pid, mid)
	if err != nil {
		t.Fatal(err)
	}
	if m.Timestamp != origin+3_640_000 {
		t.Fatalf("message stamped %d, want %d", m.Timestamp, origin+3_640_000)
	}
	recs, err = u.Advance(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 361 {
		t.Fatalf("%d evaluations after an hour, want 360 ticks and the message", len(recs))
	}
	ticks := 0
	for i, r := range recs {
		if i == 359 {
			if r.MessageID != mid || output(t, r.Result) != `"365"` {
				t.Fatalf("evaluation 359: %+v %s; want the message", r, r.Result)
			}
			continue
		}
		if want := origin + int64(ticks+5)*10_000; r.Key.Timestamp != want || r.Key.Cron != 0 || r.MessageID != "" {
			t.Fatalf("catch-up tick %d at %d (cron %d), want %d", ticks, r.Key.Timestamp, r.Key.Cron, want)
		}
		ticks++
	}
	if output(t, recs[360].Result) != `"366"` || recs[360].Key.Ordinate != m.Nonce {
		t.Fatalf("the tick after the message: %+v %s", recs[360], recs[360].Result)
	}

	// A second CU derives the same evaluations, byte for byte.
	u2 := w.newCU(t.TempDir())
	again, err := u2.Advance(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	var all []results.Record
	for _, q := range []results.Query{{}} {
		page, _, err := resultsOf(t, u, pid, q)
		if err != nil {
			t.Fatal(err)
		}
		all = page
	}
	if len(again) != len(all) {
		t.Fatalf("second CU: %d evaluations, first %d", len(again), len(all))
	}
	for i := range all {
		if again[i].Key != all[i].Key || !bytes.Equal(again[i].Result, all[i].Result) {
			t.Fatalf("evaluation %d differs: %+v / %+v", i, again[i], all[i])
		}
	}
}

func resultsOf(t *testing.T, u interface {
	Results(context.Context, string, results.Query) ([]results.Record, bool, error)
}, pid string, q results.Query) ([]results.Record, bool, error) {
	t.Helper()
	return u.Results(context.Background(), pid, q)
}

// output is a result's Output, as JSON.
func output(t *testing.T, result []byte) string {
	t.Helper()
	var r struct {
		Output json.RawMessage `json:"Output"`
	}
	if err := json.Unmarshal(result, &r); err != nil {
		t.Fatalf("%v: %s", err, result)
	}
	return string(r.Output)
}

// TestBlockCron: a block cron ticks at the blocks whose height is a
// multiple of its interval from the process's height, at each block's
// timestamp, once a newer block is known (a block learned late is never
// skipped), interleaved with time ticks by time.
func TestBlockCron(t *testing.T) {
	w := newWorld(t, "minimal-fmt2-metered.wasm", "wasm32-unknown-emscripten2")
	pid := w.spawn(arweave.Tag{Name: "Cron-Interval", Value: "2-blocks"}, arweave.Tag{Name: "Cron-Tag-Action", Value: "Inc"},
		arweave.Tag{Name: "Cron-Interval", Value: "25-seconds"}, arweave.Tag{Name: "Cron-Tag-Action", Value: "Inc"})
	ctx := context.Background()
	p, err := w.su.Process(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	u := w.newCU(t.TempDir())
	times := map[int64]int64{} // height -> block timestamp (ms)
	for range 6 {
		w.advance(10 * time.Second)
		h := w.mine()
		b, err := w.store.Blocks(ctx, arweave.BlockQuery{MinHeight: &h, MaxHeight: &h})
		if err != nil {
			t.Fatal(err)
		}
		times[h] = b.Edges[0].Node.Timestamp * 1000
	}
	recs, err := u.Advance(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	type tick struct {
		at   int64
		cron int
	}
	var got []tick
	for _, r := range recs[1:] { // after the process message
		got = append(got, tick{r.Key.Timestamp, r.Key.Cron})
	}
	h0 := p.BlockHeight
	// Blocks h0+2 and h0+4 (the newest, h0+6, waits for a newer block:
	// ticks are evaluated only below the newest block's time), and the time
	// ticks at +25 s and +50 s, in time order.
	want := []tick{{times[h0+2], 0}, {p.Timestamp + 25_000, 1}, {times[h0+4], 0}, {p.Timestamp + 50_000, 1}}
	if len(got) != len(want) {
		t.Fatalf("ticks %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ticks %v, want %v", got, want)
		}
	}
	w.advance(10 * time.Second)
	w.mine()
	recs, err = u.Advance(ctx, pid)
	if err != nil || len(recs) != 1 || recs[0].Key != (results.Key{Timestamp: times[h0+6], Ordinate: -1, Cron: 0}) {
		t.Fatalf("after one more block: %+v %v", recs, err)
	}
}
