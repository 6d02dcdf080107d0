package ao

// Tests of the cron rules (protocol.md 6.3, conformance check 34).
//
// Parsing vectors: the "seconds" column was produced by running the
// reference's parseInterval (servers/cu/src/domain/lib/loadMessages.js)
// with npm ms 2.1.3 under Node 20; "refused" rows are intervals the
// reference throws on or never fires (see ParseCrons for the few it reads
// by ignoring garbage).

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
)

func TestParseCronInterval(t *testing.T) {
	tests := []struct {
		interval string
		millis   int64 // time-based
		blocks   int64 // block-based
		err      bool
	}{
		{interval: "10-seconds", millis: 10_000},
		{interval: "1-second", millis: 1_000},
		{interval: "2-sec", millis: 2_000},
		{interval: "3-secs", millis: 3_000},
		{interval: "4-s", millis: 4_000},
		{interval: "1-minute", millis: 60_000},
		{interval: "10-MINUTES", millis: 600_000},
		{interval: "2-Mins", millis: 120_000},
		{interval: "3-SeCoNdS", millis: 3_000},
		{interval: "1-min", millis: 60_000},
		{interval: "1-m", millis: 60_000},
		{interval: "1.5-hours", millis: 5_400_000},
		{interval: "1-hr", millis: 3_600_000},
		{interval: "2-hrs", millis: 7_200_000},
		{interval: "1-h", millis: 3_600_000},
		{interval: "1-day", millis: 86_400_000},
		{interval: "2-d", millis: 172_800_000},
		{interval: "1-week", millis: 604_800_000},
		{interval: "1-w", millis: 604_800_000},
		{interval: "1-year", millis: 31_557_600_000},
		{interval: "1-yr", millis: 31_557_600_000},
		{interval: "2-yrs", millis: 63_115_200_000},
		{interval: "1-y", millis: 31_557_600_000},
		{interval: ".5-minutes", millis: 30_000},
		{interval: "1.5-seconds", millis: 1_000},             // floored to whole seconds
		{interval: "4.35-minutes", millis: 260_000},          // 4.35*60000 = 260999.99999999997 in float64
		{interval: "2.3-hours", millis: 8_279_000},           // 8279999.999999999
		{interval: "1999-ms", millis: 1_000},                 // floored
		{interval: "1000-milliseconds", millis: 1_000},       //
		{interval: "2000-msecs", millis: 2_000},              //
		{interval: "10000", millis: 10_000},                  // no unit: ms
		{interval: "10000-", millis: 10_000},                 // empty unit: ms
		{interval: " 10 - seconds ", millis: 10_000},         // parts are trimmed
		{interval: "\ufeff10-seconds\u3000", millis: 10_000}, // JavaScript trim
		{interval: "05-seconds", millis: 5_000},
		{interval: strings.Repeat("0", 90) + "1-seconds", millis: 1_000}, // "0…01 seconds" is 99 chars
		{interval: "5-blocks", blocks: 5},
		{interval: "1-block", blocks: 1},
		{interval: " 7 -blocks", blocks: 7},
		{interval: "9007199254740992-blocks", blocks: 1 << 53},

		{interval: "0-seconds", err: true},
		{interval: "500-ms", err: true},
		{interval: "999-milliseconds", err: true},
		{interval: "0.5-seconds", err: true},
		{interval: "1-month", err: true},
		{interval: "2-months", err: true},
		{interval: "1-mo", err: true},
		{interval: "1-wk", err: true},
		{interval: "abc", err: true},
		{interval: "", err: true},
		{interval: "-", err: true},
		{interval: "10", err: true}, // 10 ms
		{interval: "-5-seconds", err: true},
		{interval: "1.-seconds", err: true},
		{interval: "1..5-seconds", err: true},
		{interval: "1.2.3-seconds", err: true},
		{interval: "1e3-seconds", err: true},
		{interval: "+5-seconds", err: true},
		{interval: "1 0-seconds", err: true},
		{interval: "10-seconds-x", err: true},
		{interval: "10000-ms-x", err: true},
		{interval: "10-\u017feconds", err: true},                     // ſ: no Unicode case folding
		{interval: "\u008510-seconds", err: true},                    // NEL is not JavaScript whitespace
		{interval: strings.Repeat("0", 92) + "1-seconds", err: true}, // 101 chars: ms refuses
		{interval: "99999999999999999999-seconds", err: true},        // over 2^53 s
		{interval: "1.5-blocks", err: true},
		{interval: "0-blocks", err: true},
		{interval: "0x10-blocks", err: true},
		{interval: "+5-blocks", err: true},
		{interval: "5-Blocks", err: true},
		{interval: "5-BLOCKS", err: true},
		{interval: "-blocks", err: true},
		{interval: "5-blocks-x", err: true},
		{interval: "9007199254740993-blocks", err: true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q", tc.interval), func(t *testing.T) {
			crons, err := ParseCrons(arweave.Tags{{Name: CronIntervalTag, Value: tc.interval}})
			if tc.err {
				if !errors.Is(err, ErrBadCron) {
					t.Fatalf("got %+v, %v; want ErrBadCron", crons, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(crons) != 1 {
				t.Fatalf("got %d crons", len(crons))
			}
			c := crons[0]
			if c.Millis != tc.millis || c.Blocks != tc.blocks {
				t.Fatalf("got Millis=%d Blocks=%d, want %d %d", c.Millis, c.Blocks, tc.millis, tc.blocks)
			}
			if c.IsTime() != (tc.millis > 0) {
				t.Fatalf("IsTime() = %v", c.IsTime())
			}
			if c.Interval != tc.interval || c.ID != "0-"+tc.interval {
				t.Fatalf("got Interval %q ID %q", c.Interval, c.ID)
			}
		})
	}
}

func TestParseCronsTagGrouping(t *testing.T) {
	tag := func(n, v string) arweave.Tag { return arweave.Tag{Name: n, Value: v} }
	tests := []struct {
		name string
		tags arweave.Tags
		want []Cron
		err  bool
	}{
		{name: "no tags", tags: nil, want: nil},
		{name: "no cron", tags: arweave.Tags{tag("Type", "Process"), tag("Module", "m")}, want: nil},
		{
			name: "tags follow their interval",
			tags: arweave.Tags{
				tag("Type", "Process"),
				tag(CronIntervalTag, "10-minutes"),
				tag("Cron-Tag-Action", "Tick"),
				tag("Name", "ignored"),
				tag("Cron-Tag-X-Y", "z"), // the name is everything after the prefix
				tag(CronIntervalTag, "5-blocks"),
				tag("Cron-Tag-Action", "Block"),
				tag("cron-tag-Lower", "not a cron tag"),
				tag("Cron-Tag-", "not a cron tag"),
				tag("Cron-Tag-A\nB", "not a cron tag"),
				tag("Cron-Tag-Empty", ""),
			},
			want: []Cron{
				{ID: "0-5-blocks", Interval: "5-blocks", Blocks: 5, Tags: []arweave.Tag{tag("Action", "Block"), tag("Empty", "")}},
				{ID: "0-10-minutes", Interval: "10-minutes", Millis: 600_000, Tags: []arweave.Tag{tag("Action", "Tick"), tag("X-Y", "z")}},
			},
		},
		{
			name: "interval without tags",
			tags: arweave.Tags{tag(CronIntervalTag, "1-minute"), tag(CronIntervalTag, "2-minutes"), tag("Cron-Tag-A", "b")},
			want: []Cron{
				{ID: "0-1-minute", Interval: "1-minute", Millis: 60_000},
				{ID: "1-2-minutes", Interval: "2-minutes", Millis: 120_000, Tags: []arweave.Tag{tag("A", "b")}},
			},
		},
		{name: "cron tag first", tags: arweave.Tags{tag("Cron-Tag-Action", "Tick"), tag(CronIntervalTag, "10-seconds")}, err: true},
		{name: "empty cron tag name first is ignored", tags: arweave.Tags{tag("Cron-Tag-", "x")}, want: nil},
		{name: "one bad interval refuses all", tags: arweave.Tags{tag(CronIntervalTag, "10-seconds"), tag(CronIntervalTag, "1-month")}, err: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCrons(tc.tags)
			if tc.err {
				if !errors.Is(err, ErrBadCron) {
					t.Fatalf("got %+v, %v; want ErrBadCron", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestParseCronsOrderAndIDs checks the reference's numbering: block crons
// in order of appearance, then time crons sorted by interval (stable), each
// kind numbered from 0.
func TestParseCronsOrderAndIDs(t *testing.T) {
	var tags arweave.Tags
	for _, iv := range []string{"1-hour", "5-blocks", "10-seconds", "1-block", "10000-ms", "1-minute", "0.5-minutes", "3-blocks"} {
		tags = append(tags, arweave.Tag{Name: CronIntervalTag, Value: iv}, arweave.Tag{Name: "Cron-Tag-Which", Value: iv})
	}
	crons, err := ParseCrons(tags)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id     string
		millis int64
	}{
		{"0-5-blocks", 0},
		{"1-1-block", 0},
		{"2-3-blocks", 0},
		{"0-10-seconds", 10_000},
		{"1-10000-ms", 10_000}, // ties keep their order of appearance
		{"2-0.5-minutes", 30_000},
		{"3-1-minute", 60_000},
		{"4-1-hour", 3_600_000},
	}
	if len(crons) != len(want) {
		t.Fatalf("got %d crons", len(crons))
	}
	for i, w := range want {
		c := crons[i]
		if c.ID != w.id || c.Millis != w.millis {
			t.Errorf("cron %d: got %s (%d ms), want %s (%d ms)", i, c.ID, c.Millis, w.id, w.millis)
		}
		if len(c.Tags) != 1 || c.Tags[0].Value != c.Interval {
			t.Errorf("cron %d: tags %v not those of %s", i, c.Tags, c.Interval)
		}
	}
}

// collectTime returns every tick TimeTicks yields.
func collectTime(crons []Cron, origin, after, upTo int64) []Tick {
	var out []Tick
	TimeTicks(crons, origin, after, upTo, func(tk Tick) bool {
		out = append(out, tk)
		return true
	})
	return out
}

// TestCheck34 is conformance check 34: Cron-Interval=10-seconds with
// Cron-Tag-Action=Tick, evaluated to 35 s after the process timestamp,
// yields exactly the ticks at origin+10 s, +20 s and +30 s.
func TestCheck34(t *testing.T) {
	crons, err := ParseCrons(arweave.Tags{
		{Name: "Data-Protocol", Value: "ao"},
		{Name: CronIntervalTag, Value: "10-seconds"},
		{Name: "Cron-Tag-Action", Value: "Tick"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []arweave.Tag{{Name: "Action", Value: "Tick"}}; !reflect.DeepEqual(crons[0].Tags, want) {
		t.Fatalf("tags %v", crons[0].Tags)
	}
	const origin = 1_700_000_000_123 // not a whole second: ticks keep the ms
	got := collectTime(crons, origin, origin, origin+35_000)
	want := []Tick{{origin + 10_000, 0}, {origin + 20_000, 0}, {origin + 30_000, 0}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestTimeTicksWindows(t *testing.T) {
	const o = 1_000_000
	c10 := []Cron{{Millis: 10_000}}
	tests := []struct {
		name        string
		crons       []Cron
		after, upTo int64
		want        []Tick
	}{
		{name: "upTo inclusive", crons: c10, after: o, upTo: o + 20_000, want: []Tick{{o + 10_000, 0}, {o + 20_000, 0}}},
		{name: "after exclusive", crons: c10, after: o + 10_000, upTo: o + 20_000, want: []Tick{{o + 20_000, 0}}},
		{name: "just before a tick", crons: c10, after: o, upTo: o + 9_999, want: nil},
		{name: "no tick at the origin", crons: c10, after: o - 50_000, upTo: o + 10_000, want: []Tick{{o + 10_000, 0}}},
		{name: "window before the origin", crons: c10, after: 0, upTo: o, want: nil},
		{name: "empty window", crons: c10, after: o + 30_000, upTo: o + 30_000, want: nil},
		{name: "reversed window", crons: c10, after: o + 30_000, upTo: o + 10_000, want: nil},
		{name: "far from the origin", crons: c10, after: o + 9_999_995_000, upTo: o + 10_000_010_000,
			want: []Tick{{o + 10_000_000_000, 0}, {o + 10_000_010_000, 0}}},
		{name: "block crons are skipped", crons: []Cron{{Blocks: 1}, {Millis: 10_000}}, after: o, upTo: o + 10_000,
			want: []Tick{{o + 10_000, 1}}},
		{
			// 2 s, 3 s and 6 s (plus a block cron at index 0): ties go by index.
			name:  "ties in cron index order",
			crons: []Cron{{Blocks: 2}, {Millis: 2_000}, {Millis: 3_000}, {Millis: 6_000}},
			after: o, upTo: o + 12_000,
			want: []Tick{
				{o + 2_000, 1}, {o + 3_000, 2}, {o + 4_000, 1},
				{o + 6_000, 1}, {o + 6_000, 2}, {o + 6_000, 3},
				{o + 8_000, 1}, {o + 9_000, 2}, {o + 10_000, 1},
				{o + 12_000, 1}, {o + 12_000, 2}, {o + 12_000, 3},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := collectTime(tc.crons, o, tc.after, tc.upTo)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

// TestTimeTicksCatchUpHour: after a long downtime, one call evaluates the
// missed hour of a 10-second cron: 360 ticks, in order, no duplicate, no gap.
func TestTimeTicksCatchUpHour(t *testing.T) {
	crons := []Cron{{ID: "0-10-seconds", Interval: "10-seconds", Millis: 10_000}}
	const origin = 1_700_000_000_456
	after := int64(origin + 30*86_400_000) // a month after spawn, on a tick
	upTo := after + 3_600_000
	got := collectTime(crons, origin, after, upTo)
	if len(got) != 360 {
		t.Fatalf("got %d ticks, want 360", len(got))
	}
	for i, tk := range got {
		if want := after + int64(i+1)*10_000; tk.Timestamp != want || tk.Cron != 0 {
			t.Fatalf("tick %d = %v, want {%d 0}", i, tk, want)
		}
	}
}

// TestTimeTicksLinear checks the cost without timing: TimeTicks inserts at
// most crons + ticks heap entries, whatever the window's length or distance
// from the origin (a walk second by second would show up here).
func TestTimeTicksLinear(t *testing.T) {
	const origin = 1_600_000_000_000
	const year = 365 * 86_400_000
	tests := []struct {
		name        string
		crons       []Cron
		after, upTo int64
		ticks       int
	}{
		{name: "a year of 1-second ticks", crons: []Cron{{Millis: 1_000}}, after: origin, upTo: origin + year, ticks: 365 * 86_400},
		{name: "sparse: yearly cron, 1000 years after spawn", crons: []Cron{{Millis: 31_557_600_000}},
			after: origin + 1000*year, upTo: origin + 1010*year, ticks: 10},
		{name: "a tick-free window far away", crons: []Cron{{Millis: 86_400_000}},
			after: origin + 100*year + 1, upTo: origin + 100*year + 1_000, ticks: 0},
		{name: "many crons over a day", crons: manyCrons(100), after: origin, upTo: origin + 86_400_000, ticks: ticksPerDay(100)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && tc.ticks > 1_000_000 {
				t.Skip("long")
			}
			n := 0
			last := Tick{Timestamp: tc.after}
			inserted := timeTicks(tc.crons, origin, tc.after, tc.upTo, func(tk Tick) bool {
				if tk.Timestamp < last.Timestamp || (tk.Timestamp == last.Timestamp && tk.Cron <= last.Cron && n > 0) {
					t.Fatalf("tick %v after %v", tk, last)
				}
				last = tk
				n++
				return true
			})
			if n != tc.ticks {
				t.Fatalf("got %d ticks, want %d", n, tc.ticks)
			}
			if inserted > len(tc.crons)+n {
				t.Fatalf("%d heap insertions for %d crons and %d ticks", inserted, len(tc.crons), n)
			}
		})
	}
}

// manyCrons returns n crons of 1, 2, …, n seconds.
func manyCrons(n int) []Cron {
	crons := make([]Cron, n)
	for i := range crons {
		crons[i].Millis = int64(i+1) * 1_000
	}
	return crons
}

func ticksPerDay(n int) int {
	total := 0
	for s := 1; s <= n; s++ {
		total += 86_400 / s
	}
	return total
}

func TestTimeTicksEarlyStop(t *testing.T) {
	crons := []Cron{{Millis: 1_000}, {Millis: 1_000}}
	var got []Tick
	TimeTicks(crons, 0, 0, 1_000_000_000_000, func(tk Tick) bool {
		got = append(got, tk)
		return len(got) < 5
	})
	want := []Tick{{1_000, 0}, {1_000, 1}, {2_000, 0}, {2_000, 1}, {3_000, 0}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestTicksExtremeBounds: windows touching the int64 limits neither
// overflow nor loop.
func TestTicksExtremeBounds(t *testing.T) {
	const max = int64(^uint64(0) >> 1)
	crons := []Cron{{Millis: 1 << 62}}
	got := collectTime(crons, 0, 0, max)
	if want := []Tick{{1 << 62, 0}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	got = collectTime([]Cron{{Millis: 1_000}}, max-2_500, max-10_000, max)
	if want := []Tick{{max - 1_500, 0}, {max - 500, 0}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	got = collectTime([]Cron{{Millis: 1_000}}, -max, max-1_500, max)
	if len(got) != 1 || got[0].Timestamp != max-614 { // -max + 18446744073709551000
		t.Fatalf("got %v", got)
	}
}

func TestBlockTicks(t *testing.T) {
	type bt struct {
		height int64
		cron   int
	}
	crons := []Cron{{Blocks: 5}, {Blocks: 2}, {Millis: 1_000}}
	tests := []struct {
		name     string
		from, to int64
		want     []bt
	}{
		{name: "from the origin", from: 100, to: 110, want: []bt{{102, 1}, {104, 1}, {105, 0}, {106, 1}, {108, 1}, {110, 0}, {110, 1}}},
		{name: "before the origin", from: 0, to: 102, want: []bt{{102, 1}}},
		{name: "from exclusive, to inclusive", from: 104, to: 105, want: []bt{{105, 0}}},
		{name: "nothing at the origin", from: 99, to: 101, want: nil},
		{name: "far away", from: 1_000_000, to: 1_000_005, want: []bt{{1_000_002, 1}, {1_000_004, 1}, {1_000_005, 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []bt
			BlockTicks(crons, 100, tc.from, tc.to, func(h int64, c int) bool {
				got = append(got, bt{h, c})
				return true
			})
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
	n := 0
	BlockTicks(crons, 100, 100, 1<<40, func(int64, int) bool { n++; return n < 3 })
	if n != 3 {
		t.Fatalf("early stop after %d calls", n)
	}
}

// naiveTicks is the dumb alternative: every k*period of every cron,
// filtered and sorted.
func naiveTicks(periods []int64, origin, after, upTo int64) []Tick {
	var out []Tick
	for i, p := range periods {
		if p <= 0 {
			continue
		}
		for at := origin + p; at <= upTo; at += p {
			if at > after {
				out = append(out, Tick{Timestamp: at, Cron: i})
			}
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Timestamp != out[b].Timestamp {
			return out[a].Timestamp < out[b].Timestamp
		}
		return out[a].Cron < out[b].Cron
	})
	return out
}

// TestTicksSplitWindowsAgree is the property behind catch-up and
// incremental evaluation agreeing: splitting (after, upTo] into arbitrary
// consecutive windows yields exactly the ticks of one call, which are also
// those of the naive enumeration.
func TestTicksSplitWindowsAgree(t *testing.T) {
	const seed = 34
	r := rand.New(rand.NewPCG(seed, seed))
	for iter := 0; iter < 500; iter++ {
		var crons []Cron
		for n := 1 + r.IntN(5); n > 0; n-- {
			if r.IntN(3) == 0 {
				crons = append(crons, Cron{Blocks: 1 + r.Int64N(7)})
			} else {
				crons = append(crons, Cron{Millis: 1_000 * (1 + r.Int64N(30))})
			}
		}
		origin := 1_700_000_000_000 + r.Int64N(1_000_000)
		after := origin - 5_000 + r.Int64N(100_000)
		upTo := after + r.Int64N(200_000)

		// Time ticks.
		periods := make([]int64, len(crons))
		for i, c := range crons {
			periods[i] = c.Millis
		}
		whole := collectTime(crons, origin, after, upTo)
		if want := naiveTicks(periods, origin, after, upTo); !reflect.DeepEqual(whole, want) {
			t.Fatalf("seed %d iter %d: one call %v, naive %v", seed, iter, whole, want)
		}
		var pieces []Tick
		for lo := after; lo < upTo; {
			hi := min(upTo, lo+r.Int64N(40_000))
			pieces = append(pieces, collectTime(crons, origin, lo, hi)...)
			lo = hi
		}
		if !reflect.DeepEqual(pieces, whole) {
			t.Fatalf("seed %d iter %d: split windows %v, one call %v", seed, iter, pieces, whole)
		}

		// Block ticks, with heights standing in for timestamps.
		for i, c := range crons {
			periods[i] = c.Blocks
		}
		oh := r.Int64N(1_000)
		from := oh - 3 + r.Int64N(50)
		to := from + r.Int64N(100)
		blocks := func(from, to int64) []Tick {
			var out []Tick
			BlockTicks(crons, oh, from, to, func(h int64, c int) bool {
				out = append(out, Tick{Timestamp: h, Cron: c})
				return true
			})
			return out
		}
		wholeB := blocks(from, to)
		if want := naiveTicks(periods, oh, from, to); !reflect.DeepEqual(wholeB, want) {
			t.Fatalf("seed %d iter %d: blocks %v, naive %v", seed, iter, wholeB, want)
		}
		var piecesB []Tick
		for lo := from; lo < to; {
			hi := min(to, lo+r.Int64N(20))
			piecesB = append(piecesB, blocks(lo, hi)...)
			lo = hi
		}
		if !reflect.DeepEqual(piecesB, wholeB) {
			t.Fatalf("seed %d iter %d: split block windows %v, one call %v", seed, iter, piecesB, wholeB)
		}
	}
}
