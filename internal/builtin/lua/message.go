package main

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/aogo-dev/aogo/internal/jsonstr"
)

// # Why is so much of the message pipeline in Go?
//
// Go compiled to wasm and run by wazero is 10 to 30 times slower than the
// same code natively (measured on this module: an allocation costs about
// 280 ns, a gopher-lua table with a string key about 13 µs, since every
// such table allocates two Go maps). A message that went through the
// library in Lua as aos writes it (a table per tag, the outbox built of
// tag tables) cost about 2 ms in the vm; the target is 0.5 ms. So the Go
// side builds the message table in one pass with every size known, the
// tag list (msg.TagArray) is made only when a handler asks for it, the
// outbox lives in Go and is written straight to the result, and Eval's
// compiled chunks are cached.

// tagPair is one tag of a message or an outbox entry.
type tagPair struct{ name, value string }

// reserved are the message fields a tag never overwrites when it is copied
// to the message (aos's "non-extractable" tags, and the fields of the CU's
// message object).
var reserved = map[string]bool{
	"Data-Protocol": true, "Variant": true, "From-Process": true, "From-Module": true,
	"Type": true, "From": true, "Owner": true, "Anchor": true, "Target": true, "Data": true,
	"Tags": true, "TagArray": true, "Read-Only": true, "Id": true, "Signature": true,
	"Cron": true, "Epoch": true, "Nonce": true, "Timestamp": true, "Block-Height": true,
	"Hash-Chain": true, "Forwarded-By": true,
}

// decodeMessage turns the CU's message JSON into the table handlers see:
// every field of the JSON object, Tags as a table of name = value (the
// first tag of a name wins), and every tag that is not a reserved field
// copied to the message itself (msg.Action). When a name repeats, the list
// of tags is kept as msg.TagArray; otherwise TagArray is made on first use
// from Tags, which then has the same order (see msgIndex in process.lua).
func decodeMessage(L *lua.LState, data []byte) (*lua.LTable, error) {
	d := decoder{L: L, data: data}
	d.space()
	if d.pos >= len(d.data) || d.data[d.pos] != '{' {
		return nil, d.errorf("expected a JSON object")
	}
	d.pos++
	type field struct {
		key string
		val lua.LValue
	}
	fields := make([]field, 0, 20)
	var tags []tagPair
	haveTags := false
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
	} else {
		for {
			k, err := d.key()
			if err != nil {
				return nil, err
			}
			if k == "Tags" && !haveTags {
				haveTags = true
				if tags, err = d.tagList(); err != nil {
					return nil, err
				}
			} else {
				v, err := d.value(1)
				if err != nil {
					return nil, err
				}
				if v != lua.LNil {
					fields = append(fields, field{k, v})
				}
			}
			d.space()
			if d.pos >= len(d.data) {
				return nil, d.errorf("unterminated object")
			}
			if d.data[d.pos] == ',' {
				d.pos++
				continue
			}
			if d.data[d.pos] == '}' {
				d.pos++
				break
			}
			return nil, d.errorf("expected ',' or '}'")
		}
	}
	d.space()
	if d.pos != len(d.data) {
		return nil, d.errorf("unexpected data after the message")
	}

	// Room for the fields, the tags copied up, TagArray, reply, forward.
	msg := L.CreateTable(0, len(fields)+len(tags)+4)
	for _, f := range fields {
		msg.RawSetString(f.key, f.val)
	}
	tagMap := L.CreateTable(0, len(tags))
	dup := false
	for _, t := range tags {
		if tagMap.RawGetString(t.name) != lua.LNil {
			dup = true
			continue
		}
		tagMap.RawSetString(t.name, lua.LString(t.value))
		if !reserved[t.name] && msg.RawGetString(t.name) == lua.LNil {
			msg.RawSetString(t.name, lua.LString(t.value))
		}
	}
	msg.RawSetString("Tags", tagMap)
	if dup {
		msg.RawSetString("TagArray", tagArray(L, tags))
	}
	return msg, nil
}

// tagArray is [{name = …, value = …}, …].
func tagArray(L *lua.LState, tags []tagPair) *lua.LTable {
	list := L.CreateTable(len(tags), 0)
	for _, t := range tags {
		e := L.CreateTable(0, 2)
		e.RawSetString("name", lua.LString(t.name))
		e.RawSetString("value", lua.LString(t.value))
		list.Append(e)
	}
	return list
}

// tagList parses [{"name": …, "value": …}, …]; entries that are not a
// pair of strings are left out.
func (d *decoder) tagList() ([]tagPair, error) {
	d.space()
	if d.pos >= len(d.data) || d.data[d.pos] != '[' {
		// Not a list: ignore it as the CU never sends it.
		_, err := d.value(1)
		return nil, err
	}
	d.pos++
	tags := make([]tagPair, 0, 16)
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return tags, nil
	}
	for {
		d.space()
		if d.pos < len(d.data) && d.data[d.pos] == '{' {
			d.pos++
			var t tagPair
			var haveName, haveValue bool
			d.space()
			if d.pos < len(d.data) && d.data[d.pos] == '}' {
				d.pos++
			} else {
				for {
					k, err := d.key()
					if err != nil {
						return nil, err
					}
					d.space()
					if (k == "name" || k == "value") && d.pos < len(d.data) && d.data[d.pos] == '"' {
						s, err := d.str()
						if err != nil {
							return nil, err
						}
						if k == "name" {
							t.name, haveName = s, true
						} else {
							t.value, haveValue = s, true
						}
					} else if _, err := d.value(2); err != nil {
						return nil, err
					}
					d.space()
					if d.pos < len(d.data) && d.data[d.pos] == ',' {
						d.pos++
						continue
					}
					if d.pos < len(d.data) && d.data[d.pos] == '}' {
						d.pos++
						break
					}
					return nil, d.errorf("expected ',' or '}'")
				}
			}
			if haveName && haveValue {
				tags = append(tags, t)
			}
		} else if _, err := d.value(1); err != nil {
			return nil, err
		}
		d.space()
		if d.pos < len(d.data) && d.data[d.pos] == ',' {
			d.pos++
			continue
		}
		if d.pos < len(d.data) && d.data[d.pos] == ']' {
			d.pos++
			return tags, nil
		}
		return nil, d.errorf("expected ',' or ']'")
	}
}

// The outbox of the message being evaluated, filled by the library's
// ao.send, ao.spawn and ao.assign (through the host functions below) and
// written to the result by encodeResult.
type outEntry struct {
	target, anchor, data string
	hasTarget, hasData   bool
	tags                 []tagPair
}

type assignment struct {
	processes []string
	message   string
}

var outbox struct {
	messages    []outEntry
	spawns      []outEntry
	assignments []assignment
}

func clearOutbox() {
	clear(outbox.messages)
	clear(outbox.spawns)
	clear(outbox.assignments)
	outbox.messages = outbox.messages[:0]
	outbox.spawns = outbox.spawns[:0]
	outbox.assignments = outbox.assignments[:0]
}

// flatTags reads a list {name1, value1, name2, value2, …} of strings.
func flatTags(L *lua.LState, t *lua.LTable) []tagPair {
	n := t.Len()
	tags := make([]tagPair, 0, n/2)
	for i := 1; i+1 <= n; i += 2 {
		tags = append(tags, tagPair{lua.LVAsString(t.RawGetInt(i)), lua.LVAsString(t.RawGetInt(i + 1))})
	}
	return tags
}

func optString(v lua.LValue) (string, bool) {
	if v == lua.LNil {
		return "", false
	}
	return lua.LVAsString(v), true
}

// hostSpawn is host.spawn(anchor, data, tags): a spawn in the outbox.
func hostSpawn(L *lua.LState) int {
	e := outEntry{anchor: L.CheckString(1), tags: flatTags(L, L.CheckTable(3))}
	e.data, e.hasData = optString(L.Get(2))
	outbox.spawns = append(outbox.spawns, e)
	return 0
}

// hostAssign is host.assign(processes, message).
func hostAssign(L *lua.LState) int {
	list := L.CheckTable(1)
	a := assignment{message: L.CheckString(2)}
	for i := 1; i <= list.Len(); i++ {
		a.processes = append(a.processes, lua.LVAsString(list.RawGetInt(i)))
	}
	outbox.assignments = append(outbox.assignments, a)
	return 0
}

// hostOutbox is host.outbox(kind): a copy of the outbox's Messages, Spawns
// or Assignments as Lua tables, for code that reads ao.outbox.
func hostOutbox(L *lua.LState) int {
	list := L.NewTable()
	entry := func(e outEntry, spawn bool) *lua.LTable {
		t := L.CreateTable(0, 4)
		if e.hasTarget && !spawn {
			t.RawSetString("Target", lua.LString(e.target))
		}
		t.RawSetString("Anchor", lua.LString(e.anchor))
		if e.hasData {
			t.RawSetString("Data", lua.LString(e.data))
		}
		t.RawSetString("Tags", tagArray(L, e.tags))
		return t
	}
	switch L.CheckString(1) {
	case "Messages":
		for _, e := range outbox.messages {
			list.Append(entry(e, false))
		}
	case "Spawns":
		for _, e := range outbox.spawns {
			list.Append(entry(e, true))
		}
	case "Assignments":
		for _, a := range outbox.assignments {
			t := L.CreateTable(0, 2)
			ps := L.CreateTable(len(a.processes), 0)
			for _, p := range a.processes {
				ps.Append(lua.LString(p))
			}
			t.RawSetString("Processes", ps)
			t.RawSetString("Message", lua.LString(a.message))
			list.Append(t)
		}
	}
	L.Push(list)
	return 1
}

// appendOutbox writes "Messages":[…],"Spawns":[…],"Assignments":[…] as the
// guest SDK writes them.
func appendOutbox(b []byte) []byte {
	entries := func(b []byte, list []outEntry, spawn bool) []byte {
		b = append(b, '[')
		for i, e := range list {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			if !spawn && e.hasTarget {
				b = append(b, `"Target":`...)
				b = jsonstr.Append(b, e.target)
				b = append(b, ',')
			}
			b = append(b, `"Anchor":`...)
			b = jsonstr.Append(b, e.anchor)
			if e.hasData {
				b = append(b, `,"Data":`...)
				b = jsonstr.Append(b, e.data)
			}
			b = append(b, `,"Tags":[`...)
			for j, t := range e.tags {
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"name":`...)
				b = jsonstr.Append(b, t.name)
				b = append(b, `,"value":`...)
				b = jsonstr.Append(b, t.value)
				b = append(b, '}')
			}
			b = append(b, ']', '}')
		}
		return append(b, ']')
	}
	b = append(b, `"Messages":`...)
	b = entries(b, outbox.messages, false)
	b = append(b, `,"Spawns":`...)
	b = entries(b, outbox.spawns, true)
	b = append(b, `,"Assignments":[`...)
	for i, a := range outbox.assignments {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Processes":[`...)
		for j, p := range a.processes {
			if j > 0 {
				b = append(b, ',')
			}
			b = jsonstr.Append(b, p)
		}
		b = append(b, `],"Message":`...)
		b = jsonstr.Append(b, a.message)
		b = append(b, '}')
	}
	return append(b, ']')
}
