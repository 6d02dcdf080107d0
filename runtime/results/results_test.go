package results_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/aogo-dev/aogo/runtime/results"
)

const pid = "EiEwRzYAUD4R4NGjYxjOzVLkpA_r00cPuNUvX7knPks"

var ctx = context.Background()

func open(t *testing.T, dir string) *results.Store {
	t.Helper()
	s, err := results.Open(results.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func msgRec(ts, nonce int64) results.Record {
	return results.Record{
		Process: pid, Key: results.Key{Timestamp: ts, Ordinate: nonce, Cron: -1},
		MessageID: fmt.Sprintf("msg-%d", nonce),
		Result:    []byte(fmt.Sprintf(`{"Messages":[],"Assignments":[],"Spawns":[],"Output":"m%d"}`, nonce)),
	}
}

func tickRec(ts, ordinate int64, cron int) results.Record {
	return results.Record{
		Process: pid, Key: results.Key{Timestamp: ts, Ordinate: ordinate, Cron: cron},
		CronID: fmt.Sprintf("%d-%d-seconds", cron, 10*(cron+1)),
		Result: []byte(fmt.Sprintf(`{"Messages":[],"Assignments":[],"Spawns":[],"Output":"t%d.%d.%d"}`, ts, ordinate, cron)),
	}
}

// evaluation is a process's evaluations in evaluation order: the process
// message, ticks before the first message, messages and ticks interleaved,
// ticks of two crons at one moment, two messages at one timestamp, a tick
// at a message's own timestamp, and failed evaluations.
func evaluation() []results.Record {
	const t0 = 1700000000000
	p := msgRec(t0, -1)
	p.MessageID = pid // the process message
	out := []results.Record{
		p,
		tickRec(t0, -1, 0),
		tickRec(t0+1000, -1, 0),
		tickRec(t0+1000, -1, 1),
		msgRec(t0+1500, 0),
		msgRec(t0+1500, 1), // same timestamp, next nonce
		tickRec(t0+1500, 1, 0),
		tickRec(t0+2500, 1, 0),
		tickRec(t0+2500, 1, 1),
		msgRec(t0+2600, 2),
		msgRec(t0+90000, 3),
		tickRec(t0+90500, 3, 1),
		msgRec(t0+90600, 4),
		msgRec(t0+90600, 5),
		tickRec(t0+91000, 5, 0),
		tickRec(t0+91000, 5, 1),
		tickRec(t0+91000, 5, 2),
	}
	// Some failures, message and tick.
	out[5].Error, out[8].Error, out[12].Error = true, true, true
	return out
}

// filled is a store holding evaluation(), put in a shuffled order over
// several batches.
func filled(t *testing.T) (*results.Store, []results.Record) {
	t.Helper()
	s := open(t, t.TempDir())
	want := evaluation()
	recs := slices.Clone(want)
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
	for len(recs) > 0 {
		n := min(len(recs), 1+rng.IntN(4))
		if err := s.Put(ctx, recs[:n]...); err != nil {
			t.Fatal(err)
		}
		recs = recs[n:]
	}
	return s, want
}

func keys(recs []results.Record) []results.Key {
	out := make([]results.Key, len(recs))
	for i, r := range recs {
		out[i] = r.Key
	}
	return out
}

func equal(t *testing.T, what string, got, want []results.Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d records, want %d\n got %v\nwant %v", what, len(got), len(want), keys(got), keys(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Process != w.Process || g.Key != w.Key || g.MessageID != w.MessageID || g.CronID != w.CronID ||
			!bytes.Equal(g.Result, w.Result) || g.Error != w.Error {
			t.Fatalf("%s: record %d is %+v, want %+v", what, i, g, w)
		}
	}
}

func filter(recs []results.Record, keep func(results.Record) bool) []results.Record {
	var out []results.Record
	for _, r := range recs {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

func reversed(recs []results.Record) []results.Record {
	out := slices.Clone(recs)
	slices.Reverse(out)
	return out
}

func TestKeyCompare(t *testing.T) {
	ordered := []results.Key{
		{Timestamp: math.MinInt64, Ordinate: -1, Cron: -1},
		{Timestamp: -1, Ordinate: 5, Cron: 3},
		{Timestamp: 0, Ordinate: -1, Cron: -1},
		{Timestamp: 0, Ordinate: -1, Cron: 0},
		{Timestamp: 0, Ordinate: 0, Cron: -1},
		{Timestamp: 0, Ordinate: 0, Cron: 0},
		{Timestamp: 0, Ordinate: 0, Cron: 1},
		{Timestamp: 0, Ordinate: 1, Cron: -1},
		{Timestamp: 1, Ordinate: -1, Cron: -1},
		{Timestamp: 1700000000000, Ordinate: 9, Cron: -1},
		{Timestamp: 1700000000000, Ordinate: 10, Cron: -1}, // numeric, not "10" < "9"
		{Timestamp: math.MaxInt64, Ordinate: math.MaxInt64, Cron: math.MaxInt},
	}
	for i := range ordered {
		for j := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := ordered[i].Compare(ordered[j]); got != want {
				t.Errorf("%+v vs %+v: %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
	// The store sorts them the same way (its byte encoding is sign-safe).
	s := open(t, t.TempDir())
	var put []results.Record
	for i, k := range slices.Backward(ordered) {
		r := results.Record{Process: pid, Key: k, Result: []byte(`{}`)}
		if k.Cron == -1 {
			r.MessageID = fmt.Sprint("m", i)
		}
		put = append(put, r)
	}
	if err := s.Put(ctx, put...); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.Page(ctx, pid, results.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(keys(got)) != fmt.Sprint(ordered) {
		t.Fatalf("store order\n got %v\nwant %v", keys(got), ordered)
	}
}

func TestEvaluationOrder(t *testing.T) {
	s, want := filled(t)
	got, more, err := s.Page(ctx, pid, results.Query{})
	if err != nil || more {
		t.Fatalf("page: more=%v err=%v", more, err)
	}
	equal(t, "ASC", got, want)
	got, _, err = s.Page(ctx, pid, results.Query{Desc: true})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "DESC", got, reversed(want))
	// Other processes are separate, even one whose id extends this one's.
	other := results.Record{Process: pid + "x", Key: results.Key{Timestamp: 1, Cron: -1}, MessageID: "o", Result: []byte(`{}`)}
	if err := s.Put(ctx, other); err != nil {
		t.Fatal(err)
	}
	got, _, _ = s.Page(ctx, pid, results.Query{})
	equal(t, "after another process", got, want)
}

// TestPaging pages through every query shape with every limit, each page
// continuing from the cursor of the previous page's last record, and checks
// that the pages add up to the whole selection with no overlap or gap.
func TestPaging(t *testing.T) {
	s, all := filled(t)
	filters := map[string]struct {
		q    results.Query
		keep func(results.Record) bool
	}{
		"all":             {results.Query{}, func(results.Record) bool { return true }},
		"cron only":       {results.Query{CronOnly: true}, func(r results.Record) bool { return r.Key.Cron >= 0 }},
		"skip errors":     {results.Query{SkipErrors: true}, func(r results.Record) bool { return !r.Error }},
		"cron, no errors": {results.Query{CronOnly: true, SkipErrors: true}, func(r results.Record) bool { return r.Key.Cron >= 0 && !r.Error }},
	}
	for name, f := range filters {
		for _, desc := range []bool{false, true} {
			want := filter(all, f.keep)
			if desc {
				want = reversed(want)
			}
			for limit := 1; limit <= len(all)+1; limit++ {
				t.Run(fmt.Sprintf("%s/desc=%v/limit=%d", name, desc, limit), func(t *testing.T) {
					var got []results.Record
					q := f.q
					q.Desc, q.Limit = desc, limit
					for pages := 0; ; pages++ {
						if pages > len(all)+1 {
							t.Fatal("paging does not end")
						}
						page, more, err := s.Page(ctx, pid, q)
						if err != nil {
							t.Fatal(err)
						}
						if len(page) > limit || (more && len(page) != limit) {
							t.Fatalf("page of %d records (limit %d, more %v)", len(page), limit, more)
						}
						got = append(got, page...)
						if !more {
							break
						}
						cursor := results.EncodeCursor(page[len(page)-1], desc)
						k, err := results.ParseBound(cursor)
						if err != nil {
							t.Fatal(err)
						}
						q.From = &k
					}
					equal(t, "pages", got, want)
				})
			}
		}
	}
}

func TestFromToBounds(t *testing.T) {
	s, all := filled(t)
	k := func(i int) *results.Key { return &all[i].Key }
	cases := []struct {
		name string
		q    results.Query
		want []results.Record
	}{
		{"from exclusive", results.Query{From: k(4)}, all[5:]},
		{"to inclusive", results.Query{To: k(4)}, all[:5]},
		{"from and to", results.Query{From: k(2), To: k(9)}, all[3:10]},
		{"desc from exclusive", results.Query{Desc: true, From: k(4)}, reversed(all[:4])},
		{"desc to inclusive", results.Query{Desc: true, To: k(4)}, reversed(all[4:])},
		{"desc from and to", results.Query{Desc: true, From: k(9), To: k(2)}, reversed(all[2:9])},
		{"empty range", results.Query{From: k(9), To: k(2)}, nil},
		{"from = to", results.Query{From: k(3), To: k(3)}, nil},
		{"between keys", results.Query{From: &results.Key{Timestamp: all[9].Key.Timestamp + 1}, To: &results.Key{Timestamp: all[12].Key.Timestamp, Ordinate: 4, Cron: 0}}, all[10:13]},
	}
	for _, c := range cases {
		got, more, err := s.Page(ctx, pid, c.q)
		if err != nil || more {
			t.Fatalf("%s: more=%v err=%v", c.name, more, err)
		}
		equal(t, c.name, got, c.want)
	}
}

// TestPlainTimestampBounds: a plain timestamp is the point just after
// every record at that timestamp.
func TestPlainTimestampBounds(t *testing.T) {
	s, all := filled(t)
	ts := all[4].Key.Timestamp // two messages and a tick share it: all[4:7]
	b, err := results.ParseBound(fmt.Sprint(ts))
	if err != nil {
		t.Fatal(err)
	}
	page := func(q results.Query) []results.Record {
		got, _, err := s.Page(ctx, pid, q)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	equal(t, "from=ts", page(results.Query{From: &b}), all[7:])
	equal(t, "to=ts", page(results.Query{To: &b}), all[:7])
	equal(t, "desc from=ts", page(results.Query{From: &b, Desc: true}), reversed(all[:7]))
	equal(t, "desc to=ts", page(results.Query{To: &b, Desc: true}), reversed(all[7:]))
}

func TestByMessage(t *testing.T) {
	s, all := filled(t)
	for _, i := range []int{0, 4, 5, 9} {
		r := all[i]
		got, err := s.ByMessage(ctx, pid, r.MessageID)
		if err != nil {
			t.Fatalf("%s: %v", r.MessageID, err)
		}
		equal(t, r.MessageID, []results.Record{*got}, []results.Record{r})
	}
	if _, err := s.ByMessage(ctx, pid, pid); err != nil {
		t.Fatalf("the process message by the process id: %v", err)
	}
	if _, err := s.ByMessage(ctx, pid, "nope"); !errors.Is(err, results.ErrNotFound) {
		t.Fatalf("unknown message: %v", err)
	}
	if _, err := s.ByMessage(ctx, "other", "msg-1"); !errors.Is(err, results.ErrNotFound) {
		t.Fatalf("other process: %v", err)
	}
	// Replacing a record at the same key with another message's: the old
	// message no longer has a record.
	r := msgRec(all[4].Key.Timestamp, 0)
	r.MessageID = "replacement"
	if err := s.Put(ctx, r); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ByMessage(ctx, pid, "msg-0"); !errors.Is(err, results.ErrNotFound) {
		t.Fatalf("replaced message: %v", err)
	}
	if got, err := s.ByMessage(ctx, pid, "replacement"); err != nil || got.Key != r.Key {
		t.Fatalf("replacement: %v %v", got, err)
	}
}

func TestLast(t *testing.T) {
	s := open(t, t.TempDir())
	if _, err := s.Last(ctx, pid); !errors.Is(err, results.ErrNotFound) {
		t.Fatalf("empty: %v", err)
	}
	s2, all := filled(t)
	got, err := s2.Last(ctx, pid)
	if err != nil || got.Key != all[len(all)-1].Key {
		t.Fatalf("last: %v %v", got, err)
	}
}

func TestPrune(t *testing.T) {
	s, all := filled(t)
	n, err := s.Prune(ctx, pid, all[9].Key)
	if err != nil || n != 10 {
		t.Fatalf("pruned %d (%v), want 10", n, err)
	}
	got, _, _ := s.Page(ctx, pid, results.Query{})
	equal(t, "after prune", got, all[10:])
	if _, err := s.ByMessage(ctx, pid, all[9].MessageID); !errors.Is(err, results.ErrNotFound) {
		t.Fatalf("pruned message: %v", err)
	}
	if _, err := s.ByMessage(ctx, pid, all[10].MessageID); err != nil {
		t.Fatalf("kept message: %v", err)
	}
	if n, err := s.Prune(ctx, pid, all[9].Key); err != nil || n != 0 {
		t.Fatalf("prune again: %d %v", n, err)
	}
	// Between keys: everything at or before timestamp+1 of all[10].
	if n, err := s.Prune(ctx, pid, results.Key{Timestamp: all[10].Key.Timestamp + 1}); err != nil || n != 1 {
		t.Fatalf("prune between keys: %d %v", n, err)
	}
}

func TestPruneManyBatches(t *testing.T) {
	s := open(t, t.TempDir())
	var recs []results.Record
	for i := int64(0); i < 2500; i++ {
		recs = append(recs, msgRec(1000+i, i))
	}
	if err := s.Put(ctx, recs...); err != nil {
		t.Fatal(err)
	}
	n, err := s.Prune(ctx, pid, recs[2199].Key)
	if err != nil || n != 2200 {
		t.Fatalf("pruned %d (%v)", n, err)
	}
	got, _, _ := s.Page(ctx, pid, results.Query{})
	if len(got) != 300 || got[0].Key != recs[2200].Key {
		t.Fatalf("%d left", len(got))
	}
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := results.Open(results.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	all := evaluation()
	if err := s.Put(ctx, all...); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Page(ctx, pid, results.Query{}); !errors.Is(err, results.ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
	s = open(t, dir)
	got, _, err := s.Page(ctx, pid, results.Query{})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "reopened", got, all)
	if _, err := s.ByMessage(ctx, pid, "msg-3"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DiskUsage(); err != nil || n <= 0 {
		t.Fatalf("disk usage %d %v", n, err)
	}
}

func TestPutValidation(t *testing.T) {
	s := open(t, t.TempDir())
	good := msgRec(1, 0)
	bad := map[string]results.Record{
		"no process":             {Key: good.Key, MessageID: "m"},
		"message without id":     {Process: pid, Key: good.Key},
		"message with cron id":   {Process: pid, Key: good.Key, MessageID: "m", CronID: "0-1-second"},
		"tick with a message id": {Process: pid, Key: results.Key{Cron: 0}, MessageID: "m"},
		"cron below -1":          {Process: pid, Key: results.Key{Cron: -2}},
	}
	for name, r := range bad {
		if err := s.Put(ctx, good, r); !errors.Is(err, results.ErrBadRecord) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Nothing of a refused batch was written.
	if got, _, _ := s.Page(ctx, pid, results.Query{}); len(got) != 0 {
		t.Fatalf("%d records written by refused batches", len(got))
	}
}

// TestCursorFormat pins the reference CU's cursor bytes
// (servers/cu/src/domain/utils.js evaluationToCursor).
func TestCursorFormat(t *testing.T) {
	tick := results.Record{Key: results.Key{Timestamp: 1702841577654, Ordinate: 3, Cron: 1}, CronID: "1-10-minutes"}
	msg := results.Record{Key: results.Key{Timestamp: 1702841577654, Ordinate: 3, Cron: -1}, MessageID: "m"}
	first := results.Record{Key: results.Key{Timestamp: 5, Ordinate: -1, Cron: 0}, CronID: "0-1-second"}
	cases := []struct {
		r    results.Record
		desc bool
		json string
	}{
		{tick, false, `{"timestamp":1702841577654,"ordinate":"3","cron":"1-10-minutes","sort":"ASC"}`},
		{tick, true, `{"timestamp":1702841577654,"ordinate":"3","cron":"1-10-minutes","sort":"DESC"}`},
		{msg, false, `{"timestamp":1702841577654,"ordinate":"3","cron":null,"sort":"ASC"}`},
		{first, false, `{"timestamp":5,"ordinate":"-1","cron":"0-1-second","sort":"ASC"}`},
	}
	for _, c := range cases {
		got := results.EncodeCursor(c.r, c.desc)
		if want := base64.StdEncoding.EncodeToString([]byte(c.json)); got != want {
			raw, _ := base64.StdEncoding.DecodeString(got)
			t.Errorf("cursor %s, want %s", raw, c.json)
		}
		dc, err := results.DecodeCursor(got)
		if err != nil || dc.Key != c.r.Key || (dc.Sort == "DESC") != c.desc {
			t.Errorf("%s: decoded %+v %v", c.json, dc, err)
		}
	}
	// Made by node's btoa(JSON.stringify({timestamp, ordinate, cron,
	// sort})), as evaluationToCursor does.
	golden := map[string]string{
		"eyJ0aW1lc3RhbXAiOjE3MDI4NDE1Nzc2NTQsIm9yZGluYXRlIjoiMyIsImNyb24iOm51bGwsInNvcnQiOiJBU0MifQ==": results.EncodeCursor(msg, false),
		"eyJ0aW1lc3RhbXAiOjUsIm9yZGluYXRlIjoiLTEiLCJjcm9uIjoiMC0xLXNlY29uZCIsInNvcnQiOiJERVNDIn0=":     results.EncodeCursor(first, true),
	}
	for want, got := range golden {
		if got != want {
			t.Errorf("cursor %s, reference %s", got, want)
		}
	}
	// The index in the cursor is Key.Cron, whatever CronID says.
	odd := results.Record{Key: results.Key{Timestamp: 1, Ordinate: 2, Cron: 3}, CronID: "0-10-seconds"}
	raw, _ := base64.StdEncoding.DecodeString(results.EncodeCursor(odd, false))
	if want := `{"timestamp":1,"ordinate":"2","cron":"3-10-seconds","sort":"ASC"}`; string(raw) != want {
		t.Errorf("got %s, want %s", raw, want)
	}
}

// TestDecodeReferenceCursors: cursors as the reference (or a client
// reusing one) may present them.
func TestDecodeReferenceCursors(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		in   string
		want results.Key
		sort string
	}{
		{b64(`{"timestamp":1702841577654,"ordinate":"3","cron":"1-10-minutes","sort":"ASC"}`), results.Key{Timestamp: 1702841577654, Ordinate: 3, Cron: 1}, "ASC"},
		{b64(`{"timestamp":1702841577654,"ordinate":3,"cron":"0-5-blocks","sort":"DESC"}`), results.Key{Timestamp: 1702841577654, Ordinate: 3, Cron: 0}, "DESC"},
		{b64(`{"timestamp":"1702841577654","ordinate":"12","sort":"ASC"}`), results.Key{Timestamp: 1702841577654, Ordinate: 12, Cron: -1}, "ASC"},
		{b64(`{"timestamp":7,"ordinate":"0","cron":null}`), results.Key{Timestamp: 7, Ordinate: 0, Cron: -1}, ""},
		{b64(`{"timestamp":7}`), results.Key{Timestamp: 7, Ordinate: math.MaxInt64, Cron: math.MaxInt}, ""},
		// Unpadded, and with '+' turned to ' ' by a query string.
		{"eyJ0aW1lc3RhbXAiOjcsIm9yZGluYXRlIjoiMCJ9", results.Key{Timestamp: 7, Ordinate: 0, Cron: -1}, ""},
	}
	for _, c := range cases {
		got, err := results.DecodeCursor(c.in)
		if err != nil || got.Key != c.want || got.Sort != c.sort {
			t.Errorf("%s: got %+v %v, want %+v %s", c.in, got, err, c.want, c.sort)
		}
		if k, err := results.ParseBound(c.in); err != nil || k != c.want {
			t.Errorf("ParseBound %s: %+v %v", c.in, k, err)
		}
	}
	plus := b64(`{"timestamp":1,"ordinate":"1","cron":"0-a>b?"}`)
	if !bytes.Contains([]byte(plus), []byte("+")) {
		t.Fatalf("test cursor %s has no '+' or '/'", plus)
	}
	spaced := bytes.ReplaceAll([]byte(plus), []byte("+"), []byte(" "))
	if k, err := results.ParseBound(string(spaced)); err != nil || k != (results.Key{Timestamp: 1, Ordinate: 1, Cron: 0}) {
		t.Errorf("cursor with spaces for '+': %+v %v", k, err)
	}
}

func TestParseBoundErrors(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, in := range []string{
		"", "abc!", "12.5", b64(`[1,2]`), b64(`"x"`), b64(`{"ordinate":"1"}`), b64(`{"timestamp":1.5}`),
		b64(`{"timestamp":1,"ordinate":"x"}`), b64(`{"timestamp":1,"ordinate":"1","cron":"minutes"}`),
		b64(`{"timestamp":1,"ordinate":"1","cron":"-1-x"}`), b64(`{"timestamp":1,"sort":"UP"}`),
	} {
		if k, err := results.ParseBound(in); !errors.Is(err, results.ErrBadCursor) {
			t.Errorf("%q: got %+v %v, want ErrBadCursor", in, k, err)
		}
	}
}
