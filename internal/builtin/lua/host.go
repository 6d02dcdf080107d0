package main

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The message pipeline's hot path, in Go (see "Why is so much of the
// message pipeline in Go?" in message.go): preparing the message, the trust
// rule, Handlers.evaluate, Eval and ao.send. Each does exactly what the Lua
// of process.lua describes for it; process.lua keeps Lua versions of
// Handlers.evaluate and the matchers for code that calls them.

// lib holds what process.lua hands to Go when it is loaded.
var lib struct {
	ao        *lua.LTable    // the ao table
	start     *lua.LFunction // start(env): ao.init and the Owner and Name globals
	boot      *lua.LFunction // boot(msg): the process's own message
	msgMeta   *lua.LTable    // the metatable of messages (lazy fields)
	forward   *lua.LFunction // forward(msg): msg.forward
	sentMeta  *lua.LTable    // the metatable of ao.send's result
	prompt    *lua.LFunction // the library's Prompt
	strFind   *lua.LFunction // string.find, for Lua patterns
	evalFn    *lua.LFunction // the Eval handler (host.eval)
	lastEnv   *lua.LTable
	trusted   []string // ao.authorities when lastEnv was read
	processID string
}

// patternChars are the characters that make a string pattern a Lua
// pattern rather than a value compared exactly (as aos decides).
const patternChars = "^$()%.[]*+?"

// entry evaluates one message: entry(msg, env). It runs protected, so a
// Lua error anywhere below fails the message.
func entry(L *lua.LState) int {
	msg, env := L.CheckTable(1), L.CheckTable(2)
	if env != lib.lastEnv {
		call(L, lib.start, env)
		lib.lastEnv = env
		lib.trusted = lib.trusted[:0]
		if list, ok := lib.ao.RawGetString("authorities").(*lua.LTable); ok {
			for i := 1; i <= list.Len(); i++ {
				lib.trusted = append(lib.trusted, lua.LVAsString(list.RawGetInt(i)))
			}
		}
		lib.processID = lua.LVAsString(lib.ao.RawGetString("id"))
	}
	if L.GetGlobal("Owner") == lua.LNil || L.GetGlobal("Name") == lua.LNil {
		call(L, lib.start, env)
	}
	prepare(L, msg)
	if id, ok := msg.RawGetString("Id").(lua.LString); ok && string(id) == lib.processID {
		call(L, lib.boot, msg)
		return 0
	}
	evaluate(L, msg, env)
	return 0
}

// call calls fn with args and no results; errors propagate.
func call(L *lua.LState, fn lua.LValue, args ...lua.LValue) {
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	L.Call(len(args), 0)
}

// prepare finishes a decoded message: the lazy fields, Action = "Cron"
// for a cron tick without one, and the trust rule: a message pushed on
// behalf of a process (From, its From-Process tag, is not its signer
// Owner) by a signer the process does not trust counts as from its signer.
func prepare(L *lua.LState, msg *lua.LTable) {
	msg.Metatable = lib.msgMeta
	if lua.LVAsBool(msg.RawGetString("Cron")) && msg.RawGetString("Action") == lua.LNil {
		msg.RawSetString("Action", lua.LString("Cron"))
	}
	owner := msg.RawGetString("Owner")
	from := msg.RawGetString("From")
	if from == lua.LNil {
		msg.RawSetString("From", owner)
		return
	}
	if owner != lua.LNil && !isTrusted(lua.LVAsString(from), lua.LVAsString(owner)) {
		msg.RawSetString("From", owner)
	}
}

// isTrusted is ao.isTrusted: a message signed by its sender is; one pushed
// for a process is when its signer is an authority, or when the process
// names no authority.
func isTrusted(from, owner string) bool {
	if from == owner || len(lib.trusted) == 0 {
		return true
	}
	for _, a := range lib.trusted {
		if owner == a {
			return true
		}
	}
	return false
}

// evaluate is Handlers.evaluate (process.lua has the Lua version and the
// rules).
func evaluate(L *lua.LState, msg, env *lua.LTable) {
	handlers, ok := L.GetGlobal("Handlers").(*lua.LTable)
	if !ok {
		L.RaiseError("Handlers is not a table")
	}
	list, ok := handlers.RawGetString("list").(*lua.LTable)
	if !ok {
		L.RaiseError("Handlers.list is not a table")
	}
	// A handler may add or remove handlers: go through the list as it was.
	n := list.Len()
	snapshot := make([]*lua.LTable, 0, n)
	for i := 1; i <= n; i++ {
		if h, ok := list.RawGetInt(i).(*lua.LTable); ok {
			snapshot = append(snapshot, h)
		}
	}
	handled := false
	var fallback *lua.LTable
	for _, h := range snapshot {
		name := h.RawGetString("name")
		if s, ok := name.(lua.LString); ok && s == "_default" {
			fallback = h
			continue
		}
		m := matchesSpec(L, msg, h.RawGetString("pattern"))
		var match float64
		switch m := m.(type) {
		case lua.LBool:
			if m {
				match = -1
			}
		case *lua.LNilType:
		case lua.LString:
			switch m {
			case "break":
				match = -1
			case "continue":
				match = 1
			case "skip":
			default:
				L.RaiseError("the pattern of handler %s returned %q: a pattern must return a boolean, a number, \"continue\", \"break\" or \"skip\"", lua.LVAsString(name), string(m))
			}
		case lua.LNumber:
			match = float64(m)
		default:
			L.RaiseError("the pattern of handler %s returned a %s: a pattern must return a boolean, a number, \"continue\", \"break\" or \"skip\"", lua.LVAsString(name), m.Type().String())
		}
		if match == 0 {
			continue
		}
		if match < 0 {
			handled = true
		}
		call(L, h.RawGetString("handle"), msg, env)
		if runs, ok := h.RawGetString("maxRuns").(lua.LNumber); ok {
			runs--
			h.RawSetString("maxRuns", runs)
			if runs <= 0 {
				removeHandler(list, name)
			}
		}
		if match < 0 {
			return
		}
	}
	if !handled && fallback != nil {
		call(L, fallback.RawGetString("handle"), msg, env)
	}
}

func removeHandler(list *lua.LTable, name lua.LValue) {
	for i := 1; i <= list.Len(); i++ {
		if h, ok := list.RawGetInt(i).(*lua.LTable); ok && h.RawGetString("name") == name {
			list.Remove(i)
			return
		}
	}
}

// matchesSpec is utils.matchesSpec: a function spec is called with msg; a
// table spec needs every key present in msg (or msg.Tags) and matching; a
// string spec is the Action.
func matchesSpec(L *lua.LState, msg *lua.LTable, spec lua.LValue) lua.LValue {
	switch spec := spec.(type) {
	case *lua.LFunction:
		L.Push(spec)
		L.Push(msg)
		L.Call(1, 1)
		v := L.Get(-1)
		L.Pop(1)
		return v
	case *lua.LTable:
		for k, pattern := spec.Next(lua.LNil); k != lua.LNil; k, pattern = spec.Next(k) {
			value := L.GetTable(msg, k)
			if value == lua.LNil {
				if tags, ok := msg.RawGetString("Tags").(*lua.LTable); ok {
					value = tags.RawGet(k)
				}
			}
			if value == lua.LNil || !matchesPattern(L, pattern, value, msg) {
				return lua.LFalse
			}
		}
		return lua.LTrue
	case lua.LString:
		action, ok := msg.RawGetString("Action").(lua.LString)
		return lua.LBool(ok && action == spec)
	}
	return lua.LFalse
}

// matchesPattern is utils.matchesPattern.
func matchesPattern(L *lua.LState, pattern, value lua.LValue, msg *lua.LTable) bool {
	switch p := pattern.(type) {
	case lua.LString:
		if p == "_" {
			return true
		}
		s := L.ToStringMeta(value).String()
		if !strings.ContainsAny(string(p), patternChars) {
			return s == string(p)
		}
		L.Push(lib.strFind)
		L.Push(lua.LString(s))
		L.Push(p)
		L.Call(2, 1)
		found := L.Get(-1) != lua.LNil
		L.Pop(1)
		return found
	case *lua.LFunction:
		L.Push(p)
		L.Push(value)
		L.Push(msg)
		L.Call(2, 1)
		ok := lua.LVAsBool(L.Get(-1))
		L.Pop(1)
		return ok
	case *lua.LTable:
		for k, sub := p.Next(lua.LNil); k != lua.LNil; k, sub = p.Next(k) {
			if matchesPattern(L, sub, value, msg) {
				return true
			}
		}
	}
	return false
}

// evalHandler is the handler of Action = Eval: the owner's Lua code, run
// as an expression ("return " .. code) if it is one, else as a chunk; the
// values it returns go to the Output (strings as they are, tables as JSON
// or their __tostring, anything else through tostring).
func evalHandler(L *lua.LState) int {
	msg := L.CheckTable(1)
	if !L.Equal(L.GetField(msg, "From"), L.GetGlobal("Owner")) {
		L.Error(lua.LString("Only the owner can Eval"), 0)
	}
	code, _ := L.GetField(msg, "Data").(lua.LString)
	runEval(L, string(code))
	return 0
}

// hostEval is host.eval(code), for On-Boot.
func hostEval(L *lua.LState) int {
	runEval(L, L.CheckString(1))
	return 0
}

func runEval(L *lua.LState, code string) {
	fn, errText := compileEval(L, code)
	if fn == nil {
		L.Error(lua.LString(errText), 0)
	}
	top := L.GetTop()
	L.Push(fn)
	L.Call(0, lua.MultRet)
	n := L.GetTop() - top
	if n == 0 || (n == 1 && L.Get(top+1) == lua.LNil) {
		L.SetTop(top)
		return
	}
	parts := make([]string, n)
	for i := range n {
		parts[i] = formatValue(L, L.Get(top+1+i))
	}
	L.SetTop(top)
	logs = append(logs, strings.Join(parts, "\t"))
}

// formatValue is how Eval shows a value.
func formatValue(L *lua.LState, v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return string(v)
	case *lua.LTable:
		if mt, ok := v.Metatable.(*lua.LTable); !ok || mt.RawGetString("__tostring") == lua.LNil {
			if b, err := encodeJSON(nil, v, 0); err == nil {
				return string(b)
			}
		}
	}
	return L.ToStringMeta(v).String()
}

// compileEval compiles Eval's code, through the cache.
func compileEval(L *lua.LState, code string) (*lua.LFunction, string) {
	if p, ok := evalCache.protos[code]; ok {
		return L.NewFunctionFromProto(p), ""
	}
	fn, err := L.Load(strings.NewReader("return "+code), `[string "aos"]`)
	if err != nil {
		fn, err = L.Load(strings.NewReader(code), `[string "aos"]`)
	}
	if err != nil {
		return nil, strings.TrimSpace(luaErrorText(err))
	}
	if evalCache.protos == nil {
		evalCache.protos = map[string]*lua.FunctionProto{}
	}
	if len(evalCache.order) >= evalCacheSize {
		delete(evalCache.protos, evalCache.order[0])
		evalCache.order = append(evalCache.order[:0], evalCache.order[1:]...)
	}
	evalCache.protos[code] = fn.Proto
	evalCache.order = append(evalCache.order, code)
	return fn, ""
}

// The Eval chunk cache: compiled code by source text, so that the same
// code sent again (a script, a benchmark, a REPL line repeated) is not
// parsed and compiled again. Bounded; the oldest entry goes first.
const evalCacheSize = 64

var evalCache struct {
	protos map[string]*lua.FunctionProto
	order  []string
}

// notTags are the fields of a message ao.send does not make tags of.
var notTags = map[string]bool{"Target": true, "Data": true, "Anchor": true, "Tags": true, "From": true}

// aoSend is ao.send(msg): a message in the outbox with Target, Data, a
// 32-digit zero-padded Anchor and the tags Data-Protocol, Variant, Type
// and Reference, then every other field of msg (in the table's order) and
// its Tags (a list of {name, value} or a table of name = value). Tag
// values that are not strings are converted (tables to JSON). It returns
// {Target, Anchor, Data, Reference} with onReply(fn).
func aoSend(L *lua.LState) int {
	msg := L.CheckTable(1)
	L.Push(send(L, msg.RawGetString("Target"), msg, nil))
	return 1
}

// send puts msg in the outbox for target; extra, if not nil, adds tags
// after msg's own. It returns the value ao.send returns.
func send(L *lua.LState, target lua.LValue, msg *lua.LTable, extra func([]tagPair) []tagPair) *lua.LTable {
	ref := lua.LVAsNumber(lib.ao.RawGetString("reference")) + 1
	lib.ao.RawSetString("reference", ref)
	refs := ref.String()
	anchor := strings.Repeat("0", max(0, 32-len(refs))) + refs
	e := outEntry{anchor: anchor, tags: make([]tagPair, 0, 8)}
	e.tags = append(e.tags, tagPair{"Data-Protocol", "ao"}, tagPair{"Variant", "ao.TN.1"}, tagPair{"Type", "Message"}, tagPair{"Reference", refs})
	e.tags = appendTags(L, e.tags, msg, extra != nil)
	if extra != nil {
		e.tags = extra(e.tags)
	}
	if target != lua.LNil {
		e.target, e.hasTarget = L.ToStringMeta(target).String(), true
	}
	if v := msg.RawGetString("Data"); v != lua.LNil {
		e.data, e.hasData = valueText(L, v), true
	}
	outbox.messages = append(outbox.messages, e)
	sent := L.CreateTable(0, 4)
	if e.hasTarget {
		sent.RawSetString("Target", lua.LString(e.target))
	}
	sent.RawSetString("Anchor", lua.LString(anchor))
	if e.hasData {
		sent.RawSetString("Data", lua.LString(e.data))
	}
	sent.RawSetString("Reference", lua.LString(refs))
	sent.Metatable = lib.sentMeta
	return sent
}

// appendTags adds msg's fields and Tags as ao.send does (without the
// reply tags X-Reference and X-Origin when reply is set: msg.reply sets
// them).
func appendTags(L *lua.LState, tags []tagPair, msg *lua.LTable, reply bool) []tagPair {
	for k, v := msg.Next(lua.LNil); k != lua.LNil; k, v = msg.Next(k) {
		ks, ok := k.(lua.LString)
		if !ok || notTags[string(ks)] || v.Type() == lua.LTFunction {
			continue
		}
		if reply && (ks == "X-Reference" || ks == "X-Origin") {
			continue
		}
		tags = append(tags, tagPair{string(ks), valueText(L, v)})
	}
	list, ok := msg.RawGetString("Tags").(*lua.LTable)
	if !ok {
		return tags
	}
	if list.Len() > 0 {
		for i := 1; i <= list.Len(); i++ {
			t, ok := list.RawGetInt(i).(*lua.LTable)
			if !ok {
				continue
			}
			tags = append(tags, tagPair{L.ToStringMeta(t.RawGetString("name")).String(), valueText(L, t.RawGetString("value"))})
		}
		return tags
	}
	for k, v := list.Next(lua.LNil); k != lua.LNil; k, v = list.Next(k) {
		tags = append(tags, tagPair{L.ToStringMeta(k).String(), valueText(L, v)})
	}
	return tags
}

// valueText is a tag value or Data as text: strings as they are, plain
// tables as JSON, anything else through tostring.
func valueText(L *lua.LState, v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return string(v)
	case *lua.LTable:
		if v.Metatable == lua.LNil {
			b, err := encodeJSON(nil, v, 0)
			if err != nil {
				L.RaiseError("%s", err.Error())
			}
			return string(b)
		}
	}
	return L.ToStringMeta(v).String()
}

// currentPrompt is the prompt of the Output: Name .. "@aogo> ", or what a
// Prompt function of the process's own returns.
func currentPrompt() string {
	p := L.GetGlobal("Prompt")
	if p != lib.prompt && p.Type() == lua.LTFunction {
		if err := L.CallByParam(lua.P{Fn: p, NRet: 1, Protect: true}); err == nil {
			s, ok := L.Get(-1).(lua.LString)
			L.Pop(1)
			if ok {
				return string(s)
			}
		}
	}
	return defaultPrompt()
}

// msgIndex is the __index of messages: the fields made when first used
// (and then stored in the message), TagArray, reply and forward.
func msgIndex(L *lua.LState) int {
	msg := L.CheckTable(1)
	key, ok := L.Get(2).(lua.LString)
	if !ok {
		return 0
	}
	var v lua.LValue
	switch key {
	case "TagArray":
		list := L.NewTable()
		if tags, ok := msg.RawGetString("Tags").(*lua.LTable); ok {
			for k, val := tags.Next(lua.LNil); k != lua.LNil; k, val = tags.Next(k) {
				e := L.CreateTable(0, 2)
				e.RawSetString("name", k)
				e.RawSetString("value", val)
				list.Append(e)
			}
		}
		v = list
	case "reply":
		v = L.NewClosure(msgReply, msg)
	case "forward":
		L.Push(lib.forward)
		L.Push(msg)
		L.Call(1, 1)
		v = L.Get(-1)
		L.Pop(1)
	default:
		return 0
	}
	msg.RawSetString(string(key), v)
	L.Push(v)
	return 1
}

// msgReply is msg.reply(reply): reply (a table, or a string for its Data)
// sent to the message's Reply-To, else reply.Target, else its From, with
// X-Reference = the message's X-Reference or Reference (and its X-Origin,
// if any), as ao.send sends it. It returns what ao.send returns.
func msgReply(L *lua.LState) int {
	msg := L.CheckTable(lua.UpvalueIndex(1))
	var reply *lua.LTable
	switch r := L.Get(1).(type) {
	case lua.LString:
		reply = L.CreateTable(0, 1)
		reply.RawSetString("Data", r)
	case *lua.LTable:
		reply = r
	default:
		L.ArgError(1, "msg.reply: the reply must be a table or a string")
	}
	target := msg.RawGetString("Reply-To")
	if target == lua.LNil {
		target = reply.RawGetString("Target")
	}
	if target == lua.LNil {
		target = msg.RawGetString("From")
	}
	ref := msg.RawGetString("X-Reference")
	if ref == lua.LNil {
		ref = msg.RawGetString("Reference")
	}
	origin := msg.RawGetString("X-Origin")
	L.Push(send(L, target, reply, func(tags []tagPair) []tagPair {
		if ref != lua.LNil {
			tags = append(tags, tagPair{"X-Reference", valueText(L, ref)})
		}
		if origin != lua.LNil {
			tags = append(tags, tagPair{"X-Origin", valueText(L, origin)})
		}
		return tags
	}))
	return 1
}
