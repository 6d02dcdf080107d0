package main

import (
	"context"
	"testing"

	"github.com/aogo-dev/aogo/vm/guest"
)

// The benchmarks of issue 7: an Eval of a small expression and a message
// dispatched to a handler, per message, through the vm (the committed
// module) and, for the bare interpreter cost, natively: the same Go and Lua
// code called in this test binary through guest.Invoke, with no wasm.

// benchHandlers are the handlers of the benchmark process: Bench counts
// and replies, Count only counts.
const benchHandlers = `Handlers.add("bench", "Bench", function(msg) Count = (Count or 0) + 1; msg.reply({Data = tostring(Count)}) end)
Handlers.add("count", "Count", function(msg) Count = (Count or 0) + 1 end)`

func benchProc(b *testing.B) *proc {
	p := spawn(b, "")
	p.expect(benchHandlers, "")
	return p
}

func BenchmarkEval(b *testing.B) {
	p := benchProc(b)
	m := p.json(message{Action: "Eval", Data: "1 + 41"})
	benchVM(b, p, m)
}

func BenchmarkHandler(b *testing.B) {
	p := benchProc(b)
	m := p.json(message{Action: "Bench", Data: "x"})
	benchVM(b, p, m)
}

func BenchmarkHandlerNoReply(b *testing.B) {
	p := benchProc(b)
	m := p.json(message{Action: "Count", Data: "x"})
	benchVM(b, p, m)
}

func benchVM(b *testing.B, p *proc, m []byte) {
	ctx := context.Background()
	reportCPU(b, func() {
		res, err := p.inst.Handle(ctx, m, p.env)
		if err != nil || res.Failed() {
			b.Fatal(err, res)
		}
	})
}

// native runs the module's handler in this process: the interpreter and
// the library without the vm.
func benchNative(b *testing.B, action, data string) {
	ptags, env := testEnv(b)
	p := &proc{t: b, pid: testPID, owner: testOwner, env: env}
	boot := p.json(message{ID: testPID, Tags: ptags})
	guest.Invoke(boot, p.env)
	guest.Invoke(p.json(message{Action: "Eval", Data: benchHandlers}), p.env)
	m := p.json(message{Action: action, Data: data})
	reportCPU(b, func() { guest.Invoke(m, p.env) })
}

func BenchmarkEvalNative(b *testing.B)    { benchNative(b, "Eval", "1 + 41") }
func BenchmarkHandlerNative(b *testing.B) { benchNative(b, "Bench", "x") }

func BenchmarkHandlerNoReplyNative(b *testing.B) { benchNative(b, "Count", "x") }
