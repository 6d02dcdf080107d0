package main

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// The standard library a process gets: Lua 5.1's, minus everything that
// reaches the host, with time and randomness taken from the messages.
//
//	base        print writes to the message's Output; dofile and loadfile
//	            fail (there are no files); load also takes a string (5.2+)
//	package     require finds the library's modules and package.loaded;
//	            package.path is empty, so it never looks for files
//	string, table, coroutine, debug   as in gopher-lua
//	math        random is a PCG seeded from the process id, so a process
//	            draws the same numbers on every compute unit
//	os          time() is the message's Timestamp in seconds, clock() 0,
//	            date() formats the message's time in UTC; exit, execute,
//	            getenv, remove, rename, tmpname, setenv fail or answer nil
//	io          write appends to the Output like print; the rest fail
//	channel     absent (gopher-lua's goroutine channels)

// now is the Timestamp of the message being evaluated, in milliseconds.
var now float64

// rng is math.random's generator: seeded from the process id on the first
// message, then part of the process state like everything else.
var rng *rand.Rand

func setClock(msg *lua.LTable) {
	switch ts := msg.RawGetString("Timestamp").(type) {
	case lua.LNumber:
		now = float64(ts)
	case lua.LString:
		if f, err := strconv.ParseFloat(string(ts), 64); err == nil {
			now = f
		}
	}
}

// seedRandom seeds math.random from the process id, once.
func seedRandom(env lua.LValue) {
	if rng != nil {
		return
	}
	pid := ""
	if e, ok := env.(*lua.LTable); ok {
		if p, ok := e.RawGetString("Process").(*lua.LTable); ok {
			pid = lua.LVAsString(p.RawGetString("Id"))
		}
	}
	sum := sha256.Sum256([]byte(pid))
	rng = rand.New(rand.NewPCG(binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16])))
}

func openSandbox(L *lua.LState) {
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.DebugLibName, lua.OpenDebug},
		{lua.CoroutineLibName, lua.OpenCoroutine},
		{lua.OsLibName, lua.OpenOs},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	g := L.G.Global

	// base
	setFuncs(L, g, []namedFunc{
		{"print", luaPrint},
		{"dofile", unavailable("dofile")},
		{"loadfile", unavailable("loadfile")},
	})
	g.RawSetString("_printregs", lua.LNil)

	// package: no file search; the library's modules are preloaded.
	pkg := L.GetField(g, "package").(*lua.LTable)
	pkg.RawSetString("path", lua.LString(""))
	pkg.RawSetString("cpath", lua.LString(""))
	preload := L.GetField(pkg, "preload").(*lua.LTable)
	preload.RawSetString("json", L.NewFunction(openJSON))
	bint := openBint(L)
	preload.RawSetString("bint", L.NewFunction(func(L *lua.LState) int { L.Push(bint); return 1 }))

	// math
	math_ := L.GetField(g, "math").(*lua.LTable)
	setFuncs(L, math_, []namedFunc{{"random", mathRandom}, {"randomseed", mathRandomseed}})

	// os: keep date (made deterministic) and difftime.
	orig := L.GetField(g, "os").(*lua.LTable)
	origDate := orig.RawGetString("date").(*lua.LFunction)
	os := L.NewTable()
	setFuncs(L, os, []namedFunc{
		{"time", osTime},
		{"clock", func(L *lua.LState) int { L.Push(lua.LNumber(0)); return 1 }},
		{"date", func(L *lua.LState) int {
			format := L.OptString(1, "%c")
			format = "!" + strings.TrimPrefix(format, "!") // always UTC
			t := L.OptNumber(2, lua.LNumber(math.Floor(now/1000)))
			L.SetTop(0)
			L.Push(origDate)
			L.Push(lua.LString(format))
			L.Push(t)
			L.Call(2, 1)
			return 1
		}},
		{"difftime", func(L *lua.LState) int {
			L.Push(L.CheckNumber(1) - L.OptNumber(2, 0))
			return 1
		}},
		{"getenv", func(L *lua.LState) int { L.Push(lua.LNil); return 1 }},
		{"setlocale", func(L *lua.LState) int { L.Push(lua.LFalse); return 1 }},
	})
	for _, name := range []string{"exit", "execute", "remove", "rename", "tmpname", "setenv"} {
		os.RawSetString(name, L.NewFunction(unavailable("os."+name)))
	}
	g.RawSetString("os", os)
	L.GetField(pkg, "loaded").(*lua.LTable).RawSetString("os", os)

	// io: write goes to the Output.
	io := L.NewTable()
	io.RawSetString("write", L.NewFunction(ioWrite))
	for _, name := range []string{"open", "close", "read", "lines", "input", "output", "popen", "tmpfile", "flush", "type"} {
		io.RawSetString(name, L.NewFunction(unavailable("io."+name)))
	}
	g.RawSetString("io", io)
	L.GetField(pkg, "loaded").(*lua.LTable).RawSetString("io", io)
}

func unavailable(name string) lua.LGFunction {
	return func(L *lua.LState) int {
		L.RaiseError("%s is not available in an AO process", name)
		return 0
	}
}

// luaPrint is print: its arguments, converted by tostring and separated by
// tabs, become one line of the message's Output.
func luaPrint(L *lua.LState) int {
	n := L.GetTop()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteByte('\t')
		}
		b.WriteString(L.ToStringMeta(L.Get(i)).String())
	}
	logs = append(logs, b.String())
	return 0
}

func ioWrite(L *lua.LState) int {
	n := L.GetTop()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		v := L.Get(i)
		switch v.(type) {
		case lua.LString, lua.LNumber:
			b.WriteString(v.String())
		default:
			L.ArgError(i, "string expected, got "+v.Type().String())
		}
	}
	logs = append(logs, b.String())
	return 0
}

// osTime is os.time: the message's time in whole seconds, or the time of a
// date table (year, month, day; hour defaults to 12), always in UTC.
func osTime(L *lua.LState) int {
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		if L.Get(1) != lua.LNil {
			L.TypeError(1, lua.LTTable)
		}
		L.Push(lua.LNumber(math.Floor(now / 1000)))
		return 1
	}
	field := func(name string, def int) int {
		switch v := t.RawGetString(name).(type) {
		case lua.LNumber:
			return int(v)
		case lua.LString:
			if n, err := strconv.Atoi(string(v)); err == nil {
				return n
			}
		}
		if def < 0 {
			L.RaiseError("field '%s' missing in date table", name)
		}
		return def
	}
	year, month, day := field("year", -1), field("month", -1), field("day", -1)
	d := time.Date(year, time.Month(month), day, field("hour", 12), field("min", 0), field("sec", 0), 0, time.UTC)
	L.Push(lua.LNumber(d.Unix()))
	return 1
}

// mathRandom is math.random: random() in [0,1), random(m) in [1,m],
// random(m, n) in [m,n].
func mathRandom(L *lua.LState) int {
	if rng == nil {
		rng = rand.New(rand.NewPCG(0, 0))
	}
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(rng.Float64()))
		return 1
	case 1:
		m := L.CheckInt64(1)
		if m < 1 {
			L.ArgError(1, "interval is empty")
		}
		L.Push(lua.LNumber(1 + rng.Int64N(m)))
		return 1
	default:
		lo, hi := L.CheckInt64(1), L.CheckInt64(2)
		if lo > hi {
			L.ArgError(2, "interval is empty")
		}
		L.Push(lua.LNumber(lo + rng.Int64N(hi-lo+1)))
		return 1
	}
}

func mathRandomseed(L *lua.LState) int {
	seed := uint64(L.CheckInt64(1))
	rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return 0
}

// hostTable is what process.lua gets from Go.
func hostTable(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	setFuncs(L, t, []namedFunc{
		// log(text) adds a line to the message's Output.
		{"log", func(L *lua.LState) int {
			logs = append(logs, L.CheckString(1))
			return 0
		}},
		{"spawn", hostSpawn},
		{"assign", hostAssign},
		{"outbox", hostOutbox},
		{"clearOutbox", func(L *lua.LState) int { clearOutbox(); return 0 }},
		{"aoSend", aoSend},
		{"eval", hostEval},
		{"evalHandler", evalHandler},
		{"msgIndex", msgIndex},
	})
	return t
}
