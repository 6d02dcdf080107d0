package ao

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/aogo-dev/aogo/arweave"
)

// Tag names that declare crons (protocol.md 2, 6.3).
const (
	CronIntervalTag = "Cron-Interval"
	CronTagPrefix   = "Cron-Tag-"
)

// ErrBadCron is returned (wrapped, with the offending tag) by ParseCrons
// when a process's cron tags cannot be honoured. Test with errors.Is.
var ErrBadCron = errors.New("ao: invalid cron")

// maxCronPeriod bounds a cron's period (seconds or blocks): 2^53, the
// largest integer the reference's JavaScript numbers hold exactly. Larger
// periods would never fire anyway; refusing them keeps every tick time
// (origin + k*Millis) inside int64.
const maxCronPeriod = 1 << 53

// Cron is one schedule of a process.
type Cron struct {
	ID       string        // the reference's cron id: "<index>-<interval string>", e.g. "0-10-seconds", "0-5-blocks"
	Interval string        // the tag value as given
	Millis   int64         // time-based: the interval in ms (whole seconds, >= 1000); 0 for block-based
	Blocks   int64         // block-based: every Blocks blocks (>= 1); 0 for time-based
	Tags     []arweave.Tag // from the Cron-Tag-<Name>=V tags following this Cron-Interval, as Name=V, in order
}

// IsTime reports whether c is time-based (as opposed to block-based).
func (c Cron) IsTime() bool { return c.Millis > 0 }

// ParseCrons reads a process's crons from its tags, in tag order
// (protocol.md 6.3). Each Cron-Interval tag starts a cron; each following
// Cron-Tag-<Name>=V tag adds the tag Name=V to the most recent cron. It
// returns nil, nil when the process has no Cron-Interval.
//
// # Intervals
//
// An interval is "<n>-<unit>". With unit "block" or "blocks" (exact case,
// as the reference compares them) the cron fires every n blocks, and n
// must be a decimal integer >= 1. Any other unit is read the way the
// reference CU reads it: both parts are trimmed (JavaScript whitespace) and
// given to the npm ms 2.1.3 library as "<n> <unit>", whose grammar is
// ^(-?(?:\d+)?\.?\d+) *(milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|
// mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)?$ (units ASCII
// case-insensitive, a year is 365.25 days, no unit means milliseconds,
// inputs over 100 characters are refused). The result is floored to whole
// seconds with the same float64 operations, so "1.5-hours" is 5400 s and
// "4.35-minutes" is 260 s (4.35*60000 is 260999.99999999997 in float64).
// "<n>" alone (no "-") is n milliseconds, as in the reference.
//
// # Why refuse what the reference accepts?
//
// ParseCrons returns an error wrapping ErrBadCron, so that the CU refuses
// the process when it loads it, rather than running it with a cron that is
// silently never woken:
//   - an interval ms does not understand ("1-month", "abc", "-5-seconds"):
//     the reference gets NaN and never fires that cron;
//   - an interval under 1 s ("0-seconds", "500-ms"): the reference throws
//     at evaluation;
//   - a block count that is not a plain decimal integer >= 1 ("0-blocks",
//     "1.5-blocks", "0x10-blocks"): the reference's parseInt reads these as
//     0 (never fires), 1 and 16; aogo does not guess;
//   - more than one "-" ("10-seconds-x"): the reference silently drops
//     everything after the second part;
//   - a period over 2^53 seconds or blocks (it would never fire).
//
// A tag named exactly "Cron-Tag-" (or whose name after the prefix holds a
// line break) is not a cron tag, as the reference's /^Cron-Tag-(.+)$/ does
// not match it: it is ignored. A Cron-Tag before any Cron-Interval is an
// error, as in the reference.
//
// # Order and ids
//
// The result holds the block crons first, in order of appearance, then the
// time crons sorted by Millis ascending (stable: equal intervals keep their
// order of appearance). That is the order in which the reference evaluates
// crons that fall at the same moment (block crons before time crons, time
// crons from most to least frequent). Each cron's ID is "<i>-<Interval>",
// where i is its position among the crons of its own kind (block crons
// 0, 1, …; time crons 0, 1, … after sorting), exactly as the reference's
// cronMessagesBetweenWith numbers them. So a process with "5-blocks" and
// "10-seconds" has the ids "0-5-blocks" and "0-10-seconds"; ids stay
// unique because a block interval never equals a time interval. Tick.Cron
// is an index into the returned slice, not the number in the ID.
func ParseCrons(tags arweave.Tags) ([]Cron, error) {
	var parsed []Cron // in order of appearance
	for _, tag := range tags {
		if tag.Name == CronIntervalTag {
			c, err := parseInterval(tag.Value)
			if err != nil {
				return nil, err
			}
			parsed = append(parsed, c)
			continue
		}
		name, ok := cronTagName(tag.Name)
		if !ok {
			continue
		}
		if len(parsed) == 0 {
			return nil, fmt.Errorf("%w: %s with no preceding %s", ErrBadCron, tag.Name, CronIntervalTag)
		}
		last := &parsed[len(parsed)-1]
		last.Tags = append(last.Tags, arweave.Tag{Name: name, Value: tag.Value})
	}
	if len(parsed) == 0 {
		return nil, nil
	}

	crons := make([]Cron, 0, len(parsed))
	for _, c := range parsed {
		if !c.IsTime() {
			c.ID = strconv.Itoa(len(crons)) + "-" + c.Interval
			crons = append(crons, c)
		}
	}
	nBlock := len(crons)
	for _, c := range parsed {
		if c.IsTime() {
			crons = append(crons, c)
		}
	}
	timed := crons[nBlock:]
	sort.SliceStable(timed, func(i, j int) bool { return timed[i].Millis < timed[j].Millis })
	for i := range timed {
		timed[i].ID = strconv.Itoa(i) + "-" + timed[i].Interval
	}
	return crons, nil
}

// cronTagName returns X for a tag named Cron-Tag-X, mirroring the
// reference's /^Cron-Tag-(.+)$/: X must be non-empty and, since "." does
// not match JavaScript line terminators, hold none of them.
func cronTagName(tagName string) (string, bool) {
	name, ok := strings.CutPrefix(tagName, CronTagPrefix)
	if !ok || name == "" || strings.ContainsAny(name, "\n\r\u2028\u2029") {
		return "", false
	}
	return name, true
}

// parseInterval reads one Cron-Interval value (see ParseCrons).
func parseInterval(interval string) (Cron, error) {
	bad := func(why string) (Cron, error) {
		return Cron{}, fmt.Errorf("%w: %s %q: %s", ErrBadCron, CronIntervalTag, interval, why)
	}
	parts := strings.Split(interval, "-")
	if len(parts) > 2 {
		return bad(`want "<n>-<unit>" with a single "-"`)
	}
	value := jsTrim(parts[0])
	unit := ""
	if len(parts) == 2 {
		unit = jsTrim(parts[1])
	}

	if unit == "block" || unit == "blocks" {
		if !isDigits(value) {
			return bad("block count must be a decimal integer")
		}
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil || n > maxCronPeriod {
			return bad("block count too large")
		}
		if n < 1 {
			return bad("block count must be at least 1")
		}
		return Cron{Interval: interval, Blocks: n}, nil
	}

	millis, ok := msParse(value, unit)
	if !ok {
		return bad("not a duration the ms library understands")
	}
	secs := math.Floor(millis / 1000)
	if secs < 1 {
		return bad("time-based cron cannot be less than 1 second")
	}
	if secs > maxCronPeriod {
		return bad("interval too large")
	}
	return Cron{Interval: interval, Millis: int64(secs) * 1000}, nil
}

// Unit sizes in ms, as ms 2.1.3 defines them (all exact in float64).
const (
	msSecond = 1000.0
	msMinute = msSecond * 60
	msHour   = msMinute * 60
	msDay    = msHour * 24
	msWeek   = msDay * 7
	msYear   = msDay * 365.25
)

// msUnits maps each unit ms 2.1.3 accepts (lower case) to its size.
var msUnits = map[string]float64{
	"years": msYear, "year": msYear, "yrs": msYear, "yr": msYear, "y": msYear,
	"weeks": msWeek, "week": msWeek, "w": msWeek,
	"days": msDay, "day": msDay, "d": msDay,
	"hours": msHour, "hour": msHour, "hrs": msHour, "hr": msHour, "h": msHour,
	"minutes": msMinute, "minute": msMinute, "mins": msMinute, "min": msMinute, "m": msMinute,
	"seconds": msSecond, "second": msSecond, "secs": msSecond, "sec": msSecond, "s": msSecond,
	"milliseconds": 1, "millisecond": 1, "msecs": 1, "msec": 1, "ms": 1,
}

// msParse returns ms(value + " " + unit) for a trimmed value and unit, as
// the reference calls it, and false where ms returns undefined. value holds
// no "-" (the interval was split on it), so the regexp's optional sign
// never matches.
func msParse(value, unit string) (float64, bool) {
	if len(value)+1+len(unit) > 100 {
		return 0, false
	}
	if !isMsNumber(value) {
		return 0, false
	}
	size := 1.0 // no unit: milliseconds
	if unit != "" {
		var ok bool
		if size, ok = msUnits[asciiLower(unit)]; !ok {
			return 0, false
		}
	}
	n, err := strconv.ParseFloat(value, 64) // correctly rounded, like parseFloat
	if err != nil {
		return 0, false
	}
	if size == 1 {
		return n, true // ms returns n itself: no multiplication
	}
	return n * size, true
}

// isMsNumber reports whether s matches (?:\d+)?\.?\d+ (ASCII digits), the
// number part of ms's grammar: "5", "1.5" and ".5", but not "5." or "".
func isMsNumber(s string) bool {
	intPart, frac, hasDot := strings.Cut(s, ".")
	if !hasDot {
		return isDigits(s)
	}
	return (intPart == "" || isDigits(intPart)) && isDigits(frac)
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// asciiLower lower-cases ASCII letters only. A JavaScript /i regexp
// without the u flag folds no non-ASCII letter onto an ASCII one, so
// "ſ" (U+017F) must not become "s" as strings.EqualFold would make it.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// jsTrim is JavaScript's String.prototype.trim: it strips WhiteSpace and
// LineTerminator code points, a set that differs from unicode.IsSpace
// (U+FEFF is trimmed, U+0085 is not).
func jsTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		switch r {
		case '\t', '\n', '\v', '\f', '\r', ' ', 0x00A0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
			return true
		}
		return 0x2000 <= r && r <= 0x200A
	})
}

// A Tick is one cron evaluation.
//
// # Where ticks fall
//
// Tick times come only from the process itself, never from a CU's clock:
// a time cron's ticks fall at origin + k*Millis for k >= 1, where origin is
// the process's own SU timestamp (ms); a block cron's ticks fall at the
// heights originHeight + k*Blocks for k >= 1, originHeight being the
// process's own SU block height. Nothing ticks at or before the origin.
//
// The reference instead ticks at L.Timestamp + j*1000 after each scheduled
// message L and keeps the ticks whose whole second matches, so its tick
// times carry L's millisecond remainder and move when a message is
// scheduled. aogo's ticks do not depend on the scheduled messages, so a
// catch-up over a long window and many small incremental steps give the
// same ticks.
//
// # Order of evaluation
//
// A CU evaluates a process's scheduled messages and its ticks as one
// sequence, ordered by this rule:
//   - a tick at time T is evaluated after every scheduled message whose
//     Timestamp <= T and before every scheduled message whose
//     Timestamp > T (so a message at exactly T comes first, as in the
//     reference, which emits L, then the ticks in [L.Timestamp,
//     R.Timestamp), then R);
//   - ticks with equal T are evaluated in cron index order (the index into
//     ParseCrons's slice: block crons before time crons, time crons from
//     the most to the least frequent);
//   - a block tick at height h is placed at T = block h's timestamp (ms),
//     as in the reference; when several blocks share that T, their ticks
//     go by height, then cron index;
//   - a CU evaluates ticks only up to the SU's seal (GET /timestamp), which
//     every later assignment exceeds, so no later message can be ordered
//     before an evaluated tick. Evaluating ticks past the seal could put a
//     tick before a message the SU has yet to assign, and two CUs would
//     then disagree.
//
// Catch-up after downtime evaluates every missed tick: determinism forbids
// skipping any. TimeTicks and BlockTicks do O(crons + ticks) heap steps
// of O(log crons) each, whatever the length of the window, and a window split into consecutive pieces
// (after, t1], (t1, t2], … yields exactly the ticks of the whole window, in
// the same order.
type Tick struct {
	Timestamp int64 // ms
	Cron      int   // index into the []Cron
}

// TimeTicks calls fn for every tick of the time-based crons with
// after < Timestamp <= upTo, in (Timestamp, Cron index) order, stopping
// early if fn returns false. The ticks of cron c fall at origin + k*c.Millis
// for k >= 1, where origin is the process's own timestamp (its SU
// timestamp); block-based crons are skipped. Cost: O(crons + ticks·log
// crons), with a heap of at most one entry per cron; the window is never
// walked millisecond by millisecond or second by second.
func TimeTicks(crons []Cron, origin, after, upTo int64, fn func(Tick) bool) {
	timeTicks(crons, origin, after, upTo, fn)
}

// timeTicks is TimeTicks; it returns the number of heap insertions (see
// mergeTicks), which tests use to check the cost.
func timeTicks(crons []Cron, origin, after, upTo int64, fn func(Tick) bool) int {
	periods := make([]int64, len(crons))
	for i, c := range crons {
		periods[i] = c.Millis
	}
	return mergeTicks(periods, origin, after, upTo, func(at int64, cron int) bool {
		return fn(Tick{Timestamp: at, Cron: cron})
	})
}

// BlockTicks calls fn for every tick of the block-based crons: the heights
// h with from < h <= to and h > originHeight where
// (h - originHeight) % Blocks == 0, in (height, cron index) order, stopping
// early if fn returns false. originHeight is the process's own SU block
// height; time-based crons are skipped. Same cost as TimeTicks.
func BlockTicks(crons []Cron, originHeight, from, to int64, fn func(height int64, cron int) bool) {
	blockTicks(crons, originHeight, from, to, fn)
}

// blockTicks is BlockTicks, returning the number of heap insertions.
func blockTicks(crons []Cron, originHeight, from, to int64, fn func(height int64, cron int) bool) int {
	periods := make([]int64, len(crons))
	for i, c := range crons {
		periods[i] = c.Blocks
	}
	return mergeTicks(periods, originHeight, from, to, fn)
}

// tickHead is the next tick of one cron, as an offset from the origin.
type tickHead struct {
	off  uint64
	cron int
}

func (a tickHead) less(b tickHead) bool {
	return a.off < b.off || (a.off == b.off && a.cron < b.cron)
}

// mergeTicks calls fn(origin + k*periods[i], i) for every i with
// periods[i] > 0 and every k >= 1 such that after < origin + k*periods[i]
// <= upTo, in (value, i) order, until fn returns false. It merges the
// crons' arithmetic sequences with a binary min-heap holding one head per
// cron, so it does O(log crons) work per tick plus O(crons) set-up.
//
// It returns the number of heads inserted into the heap (one per cron
// with a tick in the window, plus one per tick that has a successor in
// the window): at most crons + ticks.
//
// NB: arithmetic is done on uint64 offsets from origin, which cannot
// overflow: every offset pushed is at most upTo - origin.
func mergeTicks(periods []int64, origin, after, upTo int64, fn func(at int64, cron int) bool) int {
	if upTo <= origin || upTo <= after {
		return 0
	}
	span := uint64(upTo) - uint64(origin) // > 0, exact
	var lo uint64                         // ticks have offsets > lo
	if after > origin {
		lo = uint64(after) - uint64(origin)
	}

	var h []tickHead
	for i, p := range periods {
		if p <= 0 {
			continue
		}
		step := uint64(p)
		k := lo/step + 1 // first k with k*step > lo
		if k > span/step {
			continue // k*step > span: no tick in the window
		}
		h = append(h, tickHead{off: k * step, cron: i})
	}
	inserted := len(h)
	for i := len(h)/2 - 1; i >= 0; i-- {
		siftDown(h, i)
	}

	for len(h) > 0 {
		top := h[0]
		if !fn(int64(uint64(origin)+top.off), top.cron) {
			return inserted
		}
		step := uint64(periods[top.cron])
		if span-top.off >= step { // top.off + step <= span, without overflow
			h[0].off += step
			inserted++
		} else {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		}
		siftDown(h, 0)
	}
	return inserted
}

// siftDown restores the heap property below index i.
func siftDown(h []tickHead, i int) {
	for {
		least := i
		if l := 2*i + 1; l < len(h) && h[l].less(h[least]) {
			least = l
		}
		if r := 2*i + 2; r < len(h) && h[r].less(h[least]) {
			least = r
		}
		if least == i {
			return
		}
		h[i], h[least] = h[least], h[i]
		i = least
	}
}
