// Command lua is aogo-lua, the built-in Lua process module: an AO process
// programmable in Lua, with the process library aos users know (ao,
// Handlers, Send, Spawn, Inbox, Eval, json, utils, bint), running Lua 5.1
// through the pure-Go interpreter github.com/yuin/gopher-lua, compiled to
// the wasm32-wasip1-aogo module format (docs/native-modules.md).
// docs/process-authoring.md is the guide for process authors.
//
// The library is written in Lua (process.lua, embedded) with the parts
// where speed matters in Go: the message pipeline (host.go: preparing the
// message, the trust rule, Handlers.evaluate, Eval, ao.send, msg.reply),
// the message decoder and the outbox (message.go), the JSON codec (json.go),
// big integers (bint.go), print capture and the deterministic replacements
// of os and math (sandbox.go). message.go says why so much is in Go.
//
// The built module is committed as internal/builtin/modules/aogo-lua.wasm,
// so that a plain `go build` of aogo embeds it; TestModuleUpToDate fails
// when it no longer matches these sources. Rebuild it with
//
//	go generate ./internal/builtin/lua
//
// The build is reproducible: the same Go toolchain and sources give the
// same bytes (no paths, build id or VCS stamp; the variables that change
// code generation are pinned).
//
//go:generate env CGO_ENABLED=0 GOOS=wasip1 GOARCH=wasm GOWASM= GOEXPERIMENT= GOFLAGS= go build -buildmode=c-shared -trimpath -buildvcs=false "-ldflags=-s -w -buildid=" -o ../modules/aogo-lua.wasm .
package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"runtime/debug"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/aogo-dev/aogo/internal/jsonstr"
	"github.com/aogo-dev/aogo/vm/guest"
)

// gcPercent is the Go collector's GOGC. A gopher-lua process keeps a few
// megabytes live (the library, the interpreter's stacks) and makes about
// 10 KB of garbage per message; a collection marks the whole live heap,
// which in wasm costs milliseconds. At 400 the heap may grow to five times
// the live data between collections, and collections are four times rarer
// than at Go's default of 100.
const gcPercent = 400

// main is never called: the host calls _initialize (the package
// initialisers) and then handle.
func main() {}

//go:embed process.lua
var processLua string

// The process: one Lua state for the life of the process, and what the
// host functions of the library need while a message is evaluated. All of
// it is Go memory, hence part of the process state the vm snapshots.
var (
	L *lua.LState
	// entryFn is entry (host.go) as a Lua function, so that it runs
	// protected.
	entryFn *lua.LFunction

	// envJSON and envTable: the env of the last message, decoded once
	// (a process's env never changes).
	envJSON  []byte
	envTable lua.LValue

	// logs are the lines print and Eval produced during this message:
	// Output.data.
	logs []string
)

func init() {
	debug.SetGCPercent(gcPercent)
	var err error
	L, err = newProcess()
	if err != nil {
		// NB: the library is part of the module; a failure here is a
		// build that must not be published, and panicking makes
		// _initialize (and so loading the module) fail at once.
		panic(err)
	}
	guest.HandleRaw(handle)
}

// newProcess makes the Lua state with the sandboxed standard library and
// the process library loaded.
func newProcess() (*lua.LState, error) {
	L := lua.NewState(lua.Options{
		SkipOpenLibs: true,
		// Lua's own limit is about 200 nested C calls and a million stack
		// slots; gopher-lua's defaults (256 frames, a fixed registry) are
		// too small for ordinary recursive code.
		CallStackSize:   1024,
		RegistrySize:    1024 * 16,
		RegistryMaxSize: 1024 * 1024,
	})
	openSandbox(L)
	fn, err := L.Load(strings.NewReader(processLua), "process.lua")
	if err != nil {
		return nil, fmt.Errorf("aogo-lua: process.lua: %w", err)
	}
	L.Push(fn)
	L.Push(hostTable(L))
	if err := L.PCall(1, 1, nil); err != nil {
		return nil, fmt.Errorf("aogo-lua: process.lua: %w", err)
	}
	t, ok := L.Get(-1).(*lua.LTable)
	L.Pop(1)
	if !ok {
		return nil, fmt.Errorf("aogo-lua: process.lua did not return its table")
	}
	lib.ao, _ = L.GetGlobal("ao").(*lua.LTable)
	lib.start, _ = t.RawGetString("start").(*lua.LFunction)
	lib.boot, _ = t.RawGetString("boot").(*lua.LFunction)
	lib.msgMeta, _ = t.RawGetString("msgMeta").(*lua.LTable)
	lib.sentMeta, _ = t.RawGetString("sentMeta").(*lua.LTable)
	lib.forward, _ = t.RawGetString("forward").(*lua.LFunction)
	lib.prompt, _ = L.GetGlobal("Prompt").(*lua.LFunction)
	lib.strFind, _ = L.GetField(L.GetGlobal("string"), "find").(*lua.LFunction)
	if lib.ao == nil || lib.start == nil || lib.boot == nil || lib.msgMeta == nil || lib.sentMeta == nil || lib.forward == nil || lib.prompt == nil || lib.strFind == nil {
		return nil, fmt.Errorf("aogo-lua: process.lua did not set up the library")
	}
	entryFn = L.NewFunction(entry)
	return L, nil
}

// handle evaluates one message: it decodes the message (and, the first
// time, the env) into Lua tables, runs the library's handler and writes the
// result document.
func handle(msgJSON, env []byte) []byte {
	logs = logs[:0]
	clearOutbox()
	msg, err := decodeMessage(L, msgJSON)
	if err != nil {
		return failure("aogo-lua: decoding the message: " + err.Error())
	}
	if envTable == nil || !bytes.Equal(env, envJSON) {
		e, err := decodeJSON(L, env)
		if err != nil {
			return failure("aogo-lua: decoding the env: " + err.Error())
		}
		if _, ok := e.(*lua.LTable); !ok {
			return failure("aogo-lua: the env is not a JSON object")
		}
		envJSON, envTable = append(envJSON[:0], env...), e
		seedRandom(envTable)
	}
	setClock(msg)

	if err := L.CallByParam(lua.P{Fn: entryFn, NRet: 0, Protect: true}, msg, envTable); err != nil {
		text := luaErrorText(err)
		logs = append(logs, text)
		return encodeResult(currentPrompt(), text)
	}
	return encodeResult(currentPrompt(), "")
}

// luaErrorText is the message of a Lua error without gopher-lua's stack
// traceback: a string as it is, other values as JSON (or tostring).
func luaErrorText(err error) string {
	ae, ok := err.(*lua.ApiError)
	if !ok || ae.Object == nil {
		return err.Error()
	}
	text := ""
	switch v := ae.Object.(type) {
	case lua.LString:
		text = string(v)
	case *lua.LTable:
		if b, err := encodeJSON(nil, v, 0); err == nil {
			text = string(b)
		} else {
			text = L.ToStringMeta(v).String()
		}
	default:
		text = L.ToStringMeta(v).String()
	}
	text = strings.TrimRight(text, " \t\r\n")
	if text == "" {
		text = "error"
	}
	return text
}

func defaultPrompt() string {
	if name, ok := L.GetGlobal("Name").(lua.LString); ok && name != "" {
		return string(name) + "@aogo> "
	}
	return "aos@aogo> "
}

// encodeResult writes {"ok":true,"response":{"Output":{"data","prompt","print"},
// "Messages","Spawns","Assignments"[,"Error"]}}. A failed message sends
// nothing (a compute unit discards its outbox anyway).
func encodeResult(prompt, errText string) []byte {
	b := make([]byte, 0, 512)
	b = append(b, `{"ok":true,"response":{"Output":{"data":`...)
	b = jsonstr.Append(b, strings.Join(logs, "\n"))
	b = append(b, `,"prompt":`...)
	b = jsonstr.Append(b, prompt)
	b = append(b, `,"print":true},`...)
	if errText != "" {
		clearOutbox()
	}
	b = appendOutbox(b)
	if errText != "" {
		b = append(b, `,"Error":`...)
		b = jsonstr.Append(b, errText)
	}
	return append(b, '}', '}')
}

// failure is {"ok":false,"response":text}: the host passed something that
// is not a message, a fault of the host and not of the process.
func failure(text string) []byte {
	b := append([]byte(nil), `{"ok":false,"response":`...)
	b = jsonstr.Append(b, text)
	return append(b, '}')
}

// namedFunc is one function of a library table. Libraries are built from
// lists, not maps, so that their tables' iteration order is fixed.
type namedFunc struct {
	name string
	fn   lua.LGFunction
}

func setFuncs(L *lua.LState, t *lua.LTable, fns []namedFunc) {
	for _, f := range fns {
		t.RawSetString(f.name, L.NewFunction(f.fn))
	}
}
