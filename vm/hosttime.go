package vm

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tetratelabs/wazero/api"
)

// The time functions of the emscripten glue, evaluated in UTC (the
// reference uses the CU host's local zone, which is deterministic only when
// every CU runs in UTC; aogo always does). Field writes follow the glue
// exactly, since they land in process memory.

// jsDate is new Date(y, mon, d, h, mi, s) in UTC, with JS's rule that a
// year from 0 to 99 means 1900 + year.
func jsDate(year, mon, day, hour, min, sec int) time.Time {
	if year >= 0 && year <= 99 {
		year += 1900
	}
	return time.Date(year, time.January, 1, 0, 0, 0, 0, time.UTC).
		AddDate(0, mon, day-1).
		Add(time.Duration(hour)*time.Hour + time.Duration(min)*time.Minute + time.Duration(sec)*time.Second)
}

func putI32(mem api.Memory, p uint64, off uint32, v int) {
	mem.WriteUint32Le(uint32(p)+off, uint32(int32(v)))
}

func getI32(mem api.Memory, p uint64, off uint32) int {
	v, _ := mem.ReadUint32Le(uint32(p) + off)
	return int(int32(v))
}

// tmHost is _gmtime_js and _localtime_js in their shapes: (time_t*, tm*)
// in glues 1-3, (lo, hi, tm*) in glue 4, (time, tm*) in wasm64.
func tmHost(m *Module, def api.FunctionDefinition, local bool) hostImpl {
	n := len(def.ParamTypes())
	if n != 2 && n != 3 {
		return nil
	}
	return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
		var secs int64
		var tm uint64
		switch {
		case n == 3:
			secs = int64(uint64(uint32(stack[0])) | uint64(stack[1])<<32)
			tm = stack[2]
		case i.m.spec.glue == 4:
			secs, tm = int64(stack[0]), stack[1]
		default:
			secs, tm = int64(getI32(mem, stack[0], 0)), stack[1]
		}
		d := time.Unix(secs, 0).UTC()
		putI32(mem, tm, 0, d.Second())
		putI32(mem, tm, 4, d.Minute())
		putI32(mem, tm, 8, d.Hour())
		putI32(mem, tm, 12, d.Day())
		putI32(mem, tm, 16, int(d.Month())-1)
		putI32(mem, tm, 20, d.Year()-1900)
		putI32(mem, tm, 24, int(d.Weekday()))
		putI32(mem, tm, 28, d.YearDay()-1)
		if local {
			putI32(mem, tm, 36, 0) // tm_gmtoff
			putI32(mem, tm, 32, 0) // tm_isdst
		}
	}
}

// mktimeHost is _mktime_js (and _timegm_js): normalise the tm fields as a JS
// Date does and return the seconds, in the result shape the import has.
func mktimeHost(m *Module, def api.FunctionDefinition) hostImpl {
	if !shape(def, 1, 1) {
		return nil
	}
	return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
		tm := stack[0]
		d := jsDate(getI32(mem, tm, 20)+1900, getI32(mem, tm, 16), getI32(mem, tm, 12),
			getI32(mem, tm, 8), getI32(mem, tm, 4), getI32(mem, tm, 0))
		if getI32(mem, tm, 32) < 0 {
			putI32(mem, tm, 32, 0)
		}
		putI32(mem, tm, 24, int(d.Weekday()))
		putI32(mem, tm, 28, d.YearDay()-1)
		putI32(mem, tm, 0, d.Second())
		putI32(mem, tm, 4, d.Minute())
		putI32(mem, tm, 8, d.Hour())
		putI32(mem, tm, 12, d.Day())
		putI32(mem, tm, 16, int(d.Month())-1)
		secs := d.Unix()
		switch {
		case def.ResultTypes()[0] == api.ValueTypeI64:
			stack[0] = uint64(secs)
		case i.m.spec.glue == 4:
			// Legalized i64: the low half returned, the high half in tempRet0.
			putI32(mem, tm, 20, d.Year()-1900)
			hi := uint64(uint32(uint64(secs) >> 32))
			i.tempRet0 = hi
			if f := i.guest.ExportedFunction("_emscripten_tempret_set"); f != nil {
				// The glue sets it through the module's export (which a
				// metered module charges gas for).
				if _, err := call1(ctx, f, hi); err != nil {
					panic(err)
				}
			}
			stack[0] = uint64(uint32(secs))
		default:
			stack[0] = uint64(uint32(int32(secs)))
		}
	}
}

// utcZoneName is what the glue's zone-name extraction gives under TZ=UTC:
// glues 1-3 take the parenthesised name of Date.toTimeString(), glue 4 the
// short name of toLocaleTimeString().
const (
	utcLongName  = "Coordinated Universal Time"
	utcShortName = "UTC"
)

// tzsetHost is _tzset_js: (timezone*, daylight*, tzname*) in glues 1-3, which
// mallocs the two zone names on the first call; (timezone*, daylight*,
// std_name*, dst_name*) in glue 4, which writes them into the buffers. The
// "first call" flag that the glue keeps in JS is read from memory (tzname[0]
// already set), so a restored process behaves as the original.
func tzsetHost(m *Module, def api.FunctionDefinition) hostImpl {
	n := len(def.ParamTypes())
	if n != 3 && n != 4 {
		return nil
	}
	return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
		ps := i.m.ptrSize()
		if n == 4 {
			putUint(mem, stack[0], 0, ps) // long timezone

			mem.WriteUint32Le(uint32(stack[1]), 0)
			for _, p := range []uint64{stack[3], stack[2]} {
				mem.Write(uint32(p), []byte(utcShortName+"\x00"))
			}
			return
		}
		if first, _ := getUint(mem, stack[2], ps); first != 0 {
			return
		}
		mem.WriteUint32Le(uint32(stack[0]), 0)
		mem.WriteUint32Le(uint32(stack[1]), 0)
		winter := i.mallocString(ctx, utcLongName)
		summer := i.mallocString(ctx, utcLongName)
		putUint(mem, stack[2], summer, ps)
		putUint(mem, stack[2]+uint64(ps), winter, ps)
	}
}

// mallocString is the glue's allocateUTF8.
func (i *Instance) mallocString(ctx context.Context, s string) uint64 {
	if i.exports.malloc == nil {
		return 0
	}
	p, err := call1(ctx, i.exports.malloc, uint64(len(s)+1))
	if err != nil {
		panic(err)
	}
	if p != 0 {
		i.guest.Memory().Write(uint32(p), append([]byte(s), 0))
	}
	return p
}

// strftimeHost is the glue's strftime, ported rule for rule (C locale).
func strftimeHost(m *Module, def api.FunctionDefinition) hostImpl {
	if len(def.ParamTypes()) < 4 || len(def.ResultTypes()) != 1 {
		return nil
	}
	return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
		s, maxsize, format, tmp := stack[0], stack[1], stack[2], stack[3]
		pattern, _ := readCString(mem, format)
		zone := ""
		if zp, ok := getUint(mem, tmp+40, i.m.ptrSize()); ok && zp != 0 {
			z, _ := readCString(mem, zp)
			zone = string(z)
		}
		t := jsTM{
			sec: getI32(mem, tmp, 0), min: getI32(mem, tmp, 4), hour: getI32(mem, tmp, 8),
			mday: getI32(mem, tmp, 12), mon: getI32(mem, tmp, 16), year: getI32(mem, tmp, 20),
			wday: getI32(mem, tmp, 24), yday: getI32(mem, tmp, 28), gmtoff: getI32(mem, tmp, 36), zone: zone,
		}
		out := append([]byte(strftime(string(pattern), t)), 0)
		if uint64(len(out)) > maxsize {
			stack[0] = 0
			return
		}
		mem.Write(uint32(s), out)
		stack[0] = uint64(len(out) - 1)
	}
}

type jsTM struct {
	sec, min, hour, mday, mon, year, wday, yday, gmtoff int
	zone                                                string
}

var strftimeRules1 = [][2]string{
	{"%c", "%a %b %d %H:%M:%S %Y"}, {"%D", "%m/%d/%y"}, {"%F", "%Y-%m-%d"}, {"%h", "%b"},
	{"%r", "%I:%M:%S %p"}, {"%R", "%H:%M"}, {"%T", "%H:%M:%S"}, {"%x", "%m/%d/%y"},
	{"%X", "%H:%M:%S"}, {"%Ec", "%c"}, {"%EC", "%C"}, {"%Ex", "%m/%d/%y"}, {"%EX", "%H:%M:%S"},
	{"%Ey", "%y"}, {"%EY", "%Y"}, {"%Od", "%d"}, {"%Oe", "%e"}, {"%OH", "%H"}, {"%OI", "%I"},
	{"%Om", "%m"}, {"%OM", "%M"}, {"%OS", "%S"}, {"%Ou", "%u"}, {"%OU", "%U"}, {"%OV", "%V"},
	{"%Ow", "%w"}, {"%OW", "%W"}, {"%Oy", "%y"},
}

var (
	weekdays = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	months   = []string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
	monthDaysLeap    = []int{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	monthDaysRegular = []int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
)

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func lead(v string, digits int, c byte) string {
	for len(v) < digits {
		v = string(c) + v
	}
	return v
}

func leadInt(v, digits int) string { return lead(strconv.Itoa(v), digits, '0') }

func idx[T any](s []T, k int) (T, bool) {
	var zero T
	if k < 0 || k >= len(s) {
		return zero, false
	}
	return s[k], true
}

// weekBasedYear is the glue's getWeekBasedYear.
func weekBasedYear(t jsTM) int {
	this := jsDate(t.year+1900, 0, 1, 0, 0, 0).AddDate(0, 0, t.yday)
	firstWeekStart := func(jan4 time.Time) time.Time {
		y := jan4.Year()
		switch jan4.Weekday() {
		case 0:
			return jsDate(y-1, 11, 29, 0, 0, 0)
		case 1:
			return jan4
		case 2:
			return jsDate(y, 0, 3, 0, 0, 0)
		case 3:
			return jsDate(y, 0, 2, 0, 0, 0)
		case 4:
			return jsDate(y, 0, 1, 0, 0, 0)
		case 5:
			return jsDate(y-1, 11, 31, 0, 0, 0)
		default:
			return jsDate(y-1, 11, 30, 0, 0, 0)
		}
	}
	thisStart := firstWeekStart(jsDate(this.Year(), 0, 4, 0, 0, 0))
	nextStart := firstWeekStart(jsDate(this.Year()+1, 0, 4, 0, 0, 0))
	cmp := func(a, b time.Time) int {
		ay, am, ad := a.Date()
		by, bm, bd := b.Date()
		switch {
		case ay != by:
			return sign(ay - by)
		case am != bm:
			return sign(int(am) - int(bm))
		}
		return sign(ad - bd)
	}
	if cmp(thisStart, this) <= 0 {
		if cmp(nextStart, this) <= 0 {
			return this.Year() + 1
		}
		return this.Year()
	}
	return this.Year() - 1
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

func strftime(pattern string, t jsTM) string {
	for _, r := range strftimeRules1 {
		pattern = strings.ReplaceAll(pattern, r[0], r[1])
	}
	pattern = strings.ReplaceAll(pattern, "%%", "\x00\x00")
	rules := []struct {
		spec string
		fn   func() string
	}{
		{"%a", func() string { w, _ := idx(weekdays, t.wday); return w[:min(3, len(w))] }},
		{"%A", func() string { w, _ := idx(weekdays, t.wday); return w }},
		{"%b", func() string { mo, _ := idx(months, t.mon); return mo[:min(3, len(mo))] }},
		{"%B", func() string { mo, _ := idx(months, t.mon); return mo }},
		{"%C", func() string { return leadInt(int(int32((t.year+1900)/100)), 2) }},
		{"%d", func() string { return leadInt(t.mday, 2) }},
		{"%e", func() string { return lead(strconv.Itoa(t.mday), 2, ' ') }},
		{"%g", func() string {
			s := strconv.Itoa(weekBasedYear(t))
			if len(s) > 2 {
				return s[2:]
			}
			return ""
		}},
		{"%G", func() string { return strconv.Itoa(weekBasedYear(t)) }},
		{"%H", func() string { return leadInt(t.hour, 2) }},
		{"%I", func() string {
			h := t.hour
			if h == 0 {
				h = 12
			} else if h > 12 {
				h -= 12
			}
			return leadInt(h, 2)
		}},
		{"%j", func() string {
			days := monthDaysRegular
			if isLeap(t.year + 1900) {
				days = monthDaysLeap
			}
			sum := 0
			for k := 0; k <= t.mon-1 && k < len(days); k++ {
				sum += days[k]
			}
			return leadInt(t.mday+sum, 3)
		}},
		{"%m", func() string { return leadInt(t.mon+1, 2) }},
		{"%M", func() string { return leadInt(t.min, 2) }},
		{"%n", func() string { return "\n" }},
		{"%p", func() string {
			if t.hour >= 0 && t.hour < 12 {
				return "AM"
			}
			return "PM"
		}},
		{"%S", func() string { return leadInt(t.sec, 2) }},
		{"%t", func() string { return "\t" }},
		{"%u", func() string {
			if t.wday == 0 {
				return "7"
			}
			return strconv.Itoa(t.wday)
		}},
		{"%U", func() string { return leadInt(int(math.Floor(float64(t.yday+7-t.wday)/7)), 2) }},
		{"%V", func() string {
			val := int(math.Floor(float64(t.yday+7-(t.wday+6)%7) / 7))
			if (t.wday+371-t.yday-2)%7 <= 2 {
				val++
			}
			if val == 0 {
				val = 52
				dec31 := (t.wday + 7 - t.yday - 1) % 7
				if dec31 == 4 || (dec31 == 5 && isLeap(t.year%400-1)) {
					val++
				}
			} else if val == 53 {
				jan1 := (t.wday + 371 - t.yday) % 7
				if jan1 != 4 && (jan1 != 3 || !isLeap(t.year)) {
					val = 1
				}
			}
			return leadInt(val, 2)
		}},
		{"%w", func() string { return strconv.Itoa(t.wday) }},
		{"%W", func() string { return leadInt(int(math.Floor(float64(t.yday+7-(t.wday+6)%7)/7)), 2) }},
		{"%y", func() string {
			s := strconv.Itoa(t.year + 1900)
			if len(s) > 2 {
				return s[2:]
			}
			return ""
		}},
		{"%Y", func() string { return strconv.Itoa(t.year + 1900) }},
		{"%z", func() string {
			off := float64(t.gmtoff)
			ahead := off >= 0
			off = math.Abs(off) / 60
			off = off/60*100 + math.Mod(off, 60)
			s := "0000" + strconv.FormatFloat(off, 'f', -1, 64)
			if ahead {
				return "+" + s[len(s)-4:]
			}
			return "-" + s[len(s)-4:]
		}},
		{"%Z", func() string { return t.zone }},
		{"%%", func() string { return "%" }},
	}
	for _, r := range rules {
		if strings.Contains(pattern, r.spec) {
			pattern = strings.ReplaceAll(pattern, r.spec, r.fn())
		}
	}
	return strings.ReplaceAll(pattern, "\x00\x00", "%")
}
