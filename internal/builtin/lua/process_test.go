package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/vm"
)

// The process library through the real vm: every test spawns a process of
// the committed aogo-lua module and sends it messages as a compute unit
// would (protocol.md 7.2 and 7.3).

// TestEvalExpression: an Eval is tried as an expression first, so `1 + 41`
// and `return 1 + 41` both answer 42; statements answer nothing; the
// Output has the REPL's shape.
func TestEvalExpression(t *testing.T) {
	p := spawn(t, "")
	r := p.eval("1 + 41")
	if r.Error != "" || r.Output.Data != "42" || r.Output.Prompt != "aos@aogo> " || !r.Output.Print {
		t.Fatalf("1 + 41: %s", r.raw)
	}
	p.expect("return 1 + 41", "42")
	p.expect("x = 41", "")
	p.expect("x = x + 1; return x", "42")
	p.expect("x", "42")
	p.expect("'a', 1, true, nil", "a\t1\ttrue\tnil")
	p.expect("{1, 2, {a = 'b'}}", `[1,2,{"a":"b"}]`)
	p.expect("setmetatable({}, {__tostring = function() return 'custom' end})", "custom")
	p.expect("_VERSION", "Lua 5.1")
}

// TestPrintCaptured: print writes to the Output, one line per call, tab
// separated, before the Eval's value.
func TestPrintCaptured(t *testing.T) {
	p := spawn(t, "")
	p.expect(`print("hello", 1, nil) print("world") return "done"`, "hello\t1\tnil\nworld\ndone")
	p.expect(`io.write("a", 1)`, "a1")
	// Nothing printed in one message shows in the next.
	p.expect("2", "2")
}

// TestErrors: a Lua error fails the message with the error text (no
// traceback) in Error and in Output.data, after what was printed; the
// process state is as it was before the message.
func TestErrors(t *testing.T) {
	p := spawn(t, "")
	p.expect("n = 1", "")
	for code, want := range map[string]string{
		`n = 2; print("before"); error("boom")`: `[string "aos"]:1: boom`,
		`error({code = 7})`:                     `{"code":7}`,
		`error("plain", 0)`:                     `plain`,
		`x = `:                                  `[string "aos"] at EOF:   syntax error`,
		`nil + 1`:                               `[string "aos"]:1: cannot perform add operation between nil and number`,
		`os.exit(1)`:                            `[string "aos"]:1: os.exit is not available in an AO process`,
		`io.open("/etc/passwd")`:                `[string "aos"]:1: io.open is not available in an AO process`,
	} {
		r := p.eval(code)
		if r.Error != want || !strings.HasSuffix(r.Output.Data, want) || len(r.Messages) != 0 {
			t.Errorf("%s: Error %q, data %q; want %q", code, r.Error, r.Output.Data, want)
		}
	}
	r := p.eval(`n = 3; Send({Target = "x", Data = "lost"}); print("before"); error("boom")`)
	if r.Output.Data != "before\n[string \"aos\"]:1: boom" || len(r.Messages) != 0 {
		t.Fatalf("a failed message: %s", r.raw)
	}
	p.expect("n", "1") // rolled back by the vm
	// An error in a handler fails the message the same way.
	p.expect(`Handlers.add("bad", "Bad", function(msg) error("bad handler") end)`, "")
	r = p.handle(message{Action: "Bad"})
	if !strings.HasSuffix(r.Error, "bad handler") {
		t.Fatalf("handler error: %s", r.raw)
	}
}

// TestEvalOnlyOwner: Eval from anyone but the owner is refused; other
// actions from strangers are fine.
func TestEvalOnlyOwner(t *testing.T) {
	p := spawn(t, "")
	p.expect("secret = 1", "")
	r := p.handle(message{Action: "Eval", Data: "secret = 2", Owner: otherUser})
	if r.Error != "Only the owner can Eval" || r.Output.Data != "Only the owner can Eval" {
		t.Fatalf("stranger's Eval: %s", r.raw)
	}
	// A process cannot claim to be the owner through From-Process unless
	// its signer is trusted (see TestAuthority).
	p.expect("secret", "1")
	p.expect("Owner == ao.env.Process.Owner and Owner", testOwner)
	// Ownership can be handed over.
	p.expect(fmt.Sprintf("Owner = %q", otherUser), "")
	if r := p.handle(message{Action: "Eval", Data: "secret", Owner: otherUser}); r.Output.Data != "1" {
		t.Fatalf("new owner's Eval: %s", r.raw)
	}
	if r := p.eval("secret"); r.Error != "Only the owner can Eval" {
		t.Fatalf("old owner's Eval: %s", r.raw)
	}
}

// TestHandlersOrder: handlers match in list order; a pattern's answer
// decides whether the evaluation goes on; prepend, before, after, once and
// remove place handlers as aos does; adding a name again replaces it in
// place.
func TestHandlersOrder(t *testing.T) {
	p := spawn(t, "")
	p.expect(`
Log = {}
function log(name) return function(msg) table.insert(Log, name) end end
Handlers.add("a", function(msg) return msg.Action == "Go" and "continue" end, log("a"))
Handlers.add("b", { Action = "Go", Kind = "x" }, log("b"))
Handlers.add("c", "Go", log("c"))
Handlers.prepend("first", Handlers.utils.continue(Handlers.utils.hasMatchingTag("Action", "Go")), log("first"))
Handlers.before("c").add("beforeC", function(msg) return msg.Action == "Go" and 1 or 0 end, log("beforeC"))
Handlers.after("c").add("afterC", "Go", log("afterC"))
`, "")
	p.expect(`local names = {} for _, h in ipairs(Handlers.list) do table.insert(names, h.name) end return table.concat(names, " ")`,
		"first _eval _default a b beforeC c afterC")

	// Kind is not x: b does not match; c breaks before afterC.
	p.handle(message{Action: "Go", Tags: tags("Kind", "y")})
	p.expect(`table.concat(Log, " ")`, "first a beforeC c")
	// Kind = x: b matches (a table pattern is a break).
	p.expect("Log = {}", "")
	p.handle(message{Action: "Go", Tags: tags("Kind", "x")})
	p.expect(`table.concat(Log, " ")`, "first a b")

	// Replacing keeps the place; remove drops it.
	p.expect(`Log = {} Handlers.add("b", "Nothing", function() end) Handlers.remove("c")`, "")
	p.handle(message{Action: "Go", Tags: tags("Kind", "x")})
	p.expect(`table.concat(Log, " ")`, "first a beforeC afterC")

	// once runs one time.
	p.expect(`Log = {} Handlers.once("one", "Once", log("once"))`, "")
	p.handle(message{Action: "Once"})
	r := p.handle(message{Action: "Once"})
	p.expect(`table.concat(Log, " ")`, "once")
	if !strings.HasPrefix(r.Output.Data, "New Message From ") {
		t.Fatalf("the second Once went to a handler: %s", r.raw)
	}

	// Patterns: "_" wildcards, Lua patterns, lists of values, functions of
	// the value, and msg fields besides tags.
	p.expect(`Log = {}
Handlers.add("wild", { Action = "Wild", Any = "_" }, log("wild"))
Handlers.add("pat", { Action = "^Pat%d+$" }, log("pat"))
Handlers.add("list", { Action = { "L1", "L2" } }, log("list"))
Handlers.add("fn", { Action = "Fn", Quantity = function(v) return tonumber(v) > 10 end }, log("fn"))
Handlers.add("from", { From = ao.id }, log("from"))`, "")
	for _, m := range []message{
		{Action: "Wild", Tags: tags("Any", "thing")}, {Action: "Wild"},
		{Action: "Pat42"}, {Action: "Pat"},
		{Action: "L2"}, {Action: "L3"},
		{Action: "Fn", Tags: tags("Quantity", "11")}, {Action: "Fn", Tags: tags("Quantity", "9")},
	} {
		p.handle(m)
	}
	p.expect(`table.concat(Log, " ")`, "wild pat list fn")

	// A pattern must answer something meaningful.
	p.expect(`Handlers.prepend("odd", function() return {} end, function() end)`, "")
	if r := p.handle(message{Action: "Any"}); !strings.Contains(r.Error, "a pattern must return") {
		t.Fatalf("odd pattern: %s", r.raw)
	}
}

// TestReplyAndSend: msg.reply answers the sender with X-Reference set to
// the message's Reference; Send and ao.send number their messages with a
// 32-digit Anchor and a Reference tag; fields become tags.
func TestReplyAndSend(t *testing.T) {
	p := spawn(t, "")
	p.expect(`Handlers.add("hello", "Hello", function(msg)
  msg.reply({ Data = "hi " .. msg.From, Action = "Hello-Reply" })
  Send({ Target = "Q1", Data = { n = 1 }, Action = "Note", Tags = { Extra = "yes" } })
end)`, "")
	r := p.handle(message{Action: "Hello", Tags: tags("Reference", "7")})
	if r.Error != "" || len(r.Messages) != 2 {
		t.Fatalf("Hello: %s", r.raw)
	}
	reply, note := r.Messages[0], r.Messages[1]
	wantTags := []tag{{"Data-Protocol", "ao"}, {"Variant", "ao.TN.1"}, {"Type", "Message"}, {"Reference", "1"}, {"Action", "Hello-Reply"}, {"X-Reference", "7"}}
	if reply.Target != testOwner || reply.Anchor != "00000000000000000000000000000001" || reply.Data != "hi "+testOwner ||
		fmt.Sprint(reply.Tags) != fmt.Sprint(wantTags) {
		t.Fatalf("reply %+v", reply)
	}
	if note.Target != "Q1" || note.Anchor != "00000000000000000000000000000002" || note.Data != `{"n":1}` ||
		note.Tag("Reference") != "2" || note.Tag("Action") != "Note" || note.Tag("Extra") != "yes" {
		t.Fatalf("note %+v", note)
	}

	// From Eval: the value shown, the counter going on, string replies.
	r = p.eval(`Send({ Target = "Q2", Action = "Ping", Quantity = 5 })`)
	if r.Output.Data != "message added to outbox" || len(r.Messages) != 1 || r.Messages[0].Anchor != fmt.Sprintf("%032d", 3) ||
		r.Messages[0].Tag("Quantity") != "5" {
		t.Fatalf("Send from Eval: %s", r.raw)
	}
	p.expect(`local m = ao.send({ Target = "Q3" }) return m.Reference .. " " .. m.Anchor .. " " .. type(m.onReply)`,
		"4 00000000000000000000000000000004 function")
	p.expect(`Handlers.add("s", "S", function(msg) msg.reply("plain") end)`, "")
	r = p.handle(message{Action: "S"})
	if len(r.Messages) != 1 || r.Messages[0].Data != "plain" || r.Messages[0].Tag("X-Reference") != "" {
		t.Fatalf("string reply without Reference: %s", r.raw)
	}
	// ao.outbox shows what is being sent.
	p.expect(`Send({ Target = "Q4", Data = "d" }) return #ao.outbox.Messages .. " " .. ao.outbox.Messages[1].Target`, "1 Q4")
}

// TestOnReply: a handler added with onReply runs on the answer (From the
// target, X-Reference the Reference) and only once.
func TestOnReply(t *testing.T) {
	p := spawn(t, "")
	p.expect(`Send({ Target = "`+peerPID+`", Action = "Ask" }).onReply(function(msg) Answer = msg.Data end)`, "")
	reply := message{From: peerPID, Owner: muAddr, Data: "yes", Tags: tags("X-Reference", "1")}
	p.handle(reply)
	p.expect("Answer", "yes")
	reply.Data = "again"
	if r := p.handle(reply); !strings.HasPrefix(r.Output.Data, "New Message From PEE...ee1") {
		t.Fatalf("a second answer: %s", r.raw)
	}
	p.expect("Answer", "yes")
}

// TestForwardSpawnAssign: msg.forward, Spawn (with the child inheriting
// the authorities) and Assign fill the outbox as aos does.
func TestForwardSpawnAssign(t *testing.T) {
	p := spawn(t, "", tag{"Authority", muAddr})
	p.expect(`Handlers.add("fwd", "Fwd", function(msg) msg.forward("Q9", { Note = "fwd" }) end)`, "")
	r := p.handle(message{Action: "Fwd", Data: "payload", Tags: tags("Reference", "3", "Custom", "c")})
	if len(r.Messages) != 1 {
		t.Fatalf("forward: %s", r.raw)
	}
	f := r.Messages[0]
	if f.Target != "Q9" || f.Data != "payload" || f.Tag("Action") != "Fwd" || f.Tag("Custom") != "c" || f.Tag("Note") != "fwd" ||
		f.Tag("Reply-To") != testOwner || f.Tag("X-Origin") != testOwner || f.Tag("X-Reference") != "3" || f.Tag("Reference") != "1" {
		t.Fatalf("forwarded %+v", f)
	}

	r = p.eval(`Spawn({ Data = "child data", Name = "kid" })`)
	if r.Output.Data != "spawn added to outbox" || len(r.Spawns) != 1 {
		t.Fatalf("Spawn: %s", r.raw)
	}
	s := r.Spawns[0]
	if s.Anchor != fmt.Sprintf("%032d", 2) || s.Data != "child data" || s.Tag("Type") != "Process" || s.Tag("Module") != testModuleID ||
		s.Tag("From-Process") != testPID || s.Tag("From-Module") != testModuleID || s.Tag("Reference") != "2" ||
		s.Tag("Name") != "kid" || s.Tag("Authority") != muAddr {
		t.Fatalf("spawn %+v", s)
	}
	r = p.eval(`ao.spawn("OTHER-MODULE", {})`)
	if len(r.Spawns) != 1 || r.Spawns[0].Tag("Module") != "OTHER-MODULE" || r.Spawns[0].Data != "NODATA" {
		t.Fatalf("ao.spawn: %s", r.raw)
	}
	r = p.eval(`Assign({ Processes = { "P1", "P2" }, Message = "M1" })`)
	if len(r.Assignments) != 1 || fmt.Sprint(r.Assignments[0].Processes) != "[P1 P2]" || r.Assignments[0].Message != "M1" {
		t.Fatalf("Assign: %s", r.raw)
	}
}

// TestInbox: an unhandled message goes to Inbox (at most MAX_INBOX_SIZE,
// the oldest dropped) with a "New Message From" line in the Output.
func TestInbox(t *testing.T) {
	p := spawn(t, "")
	r := p.handle(message{Action: "Unknown", Data: "first"})
	if r.Error != "" || r.Output.Data != "New Message From OWN...oo1: Action = Unknown" {
		t.Fatalf("unhandled: %s", r.raw)
	}
	r = p.handle(message{Data: "no action", From: peerPID, Owner: muAddr})
	if r.Output.Data != "New Message From PEE...ee1: Action = nil" {
		t.Fatalf("unhandled without Action: %s", r.raw)
	}
	p.expect("#Inbox", "2")
	p.expect("Inbox[1].Data .. ' ' .. Inbox[1].Action .. ' ' .. Inbox[2].From", "first Unknown "+peerPID)
	p.expect("Inbox[1].Tags.Action .. ' ' .. Inbox[1].TagArray[4].name", "Unknown Action")
	p.expect("MAX_INBOX_SIZE = 3", "")
	for i := range 3 {
		p.handle(message{Action: "More", Data: fmt.Sprint(i)})
	}
	p.expect("#Inbox .. ' ' .. Inbox[1].Data", "3 0")
}

// TestPingInfo: the defaults answer Ping and Info unless a handler of the
// process does.
func TestPingInfo(t *testing.T) {
	p := spawn(t, "", tag{"Name", "alice"})
	r := p.handle(message{Action: "Ping", Tags: tags("Reference", "5")})
	if len(r.Messages) != 1 || r.Messages[0].Data != "Pong" || r.Messages[0].Tag("Action") != "Pong" || r.Messages[0].Tag("X-Reference") != "5" {
		t.Fatalf("Ping: %s", r.raw)
	}
	r = p.handle(message{Action: "Info"})
	if len(r.Messages) != 1 || r.Output.Prompt != "alice@aogo> " {
		t.Fatalf("Info: %s", r.raw)
	}
	var info struct {
		Name, Owner, Process, Module string
		Handlers                     []string
	}
	if err := json.Unmarshal([]byte(r.Messages[0].Data), &info); err != nil ||
		info.Name != "alice" || info.Owner != testOwner || info.Process != testPID || fmt.Sprint(info.Handlers) != "[_eval _default]" {
		t.Fatalf("Info data %s: %v", r.Messages[0].Data, err)
	}
	if m := r.Messages[0]; m.Tag("Name") != "alice" || m.Tag("Process-Owner") != testOwner || m.Tag("Handlers") != "_eval,_default" {
		t.Fatalf("Info tags %+v", m)
	}
	p.expect(`Handlers.add("info", "Info", function(msg) msg.reply("mine") end) Handlers.add("short", "Short", "a string handle replies")`, "")
	if r := p.handle(message{Action: "Short"}); len(r.Messages) != 1 || r.Messages[0].Data != "a string handle replies" {
		t.Fatalf("string handle: %s", r.raw)
	}
	if r := p.handle(message{Action: "Info"}); len(r.Messages) != 1 || r.Messages[0].Data != "mine" {
		t.Fatalf("own Info: %s", r.raw)
	}
	// The prompt follows Name, or a Prompt function.
	p.expect(`Name = "bob"`, "")
	if r := p.eval("1"); r.Output.Prompt != "bob@aogo> " {
		t.Fatalf("prompt %q", r.Output.Prompt)
	}
	p.expect(`function Prompt() return "custom> " end`, "")
	if r := p.eval("1"); r.Output.Prompt != "custom> " {
		t.Fatalf("prompt %q", r.Output.Prompt)
	}
}

// TestCron: cron ticks (no Id, no Data, Cron true) reach handlers by their
// Action, or as Action "Cron" when the cron has no Action tag; an
// unhandled tick is not kept in Inbox.
func TestCron(t *testing.T) {
	p := spawn(t, "")
	p.expect(`Ticks = 0 Handlers.add("cron", "Cron", function(msg) Ticks = Ticks + 1; LastTick = msg.Timestamp end)`, "")
	p.handle(message{Cron: true})
	p.handle(message{Cron: true, Tags: tags("Action", "Cron")})
	p.expect("Ticks", "2")
	p.expect("LastTick", fmt.Sprint(1700000000000+int64(p.n-1)*1000))
	if r := p.handle(message{Cron: true, Tags: tags("Action", "Tick")}); r.Output.Data != "" || r.Error != "" {
		t.Fatalf("an unhandled tick: %s", r.raw)
	}
	p.expect("#Inbox", "0")
}

// TestAuthority: a message pushed on behalf of a process (From is its
// From-Process tag) counts as from that process only when its signer is
// one of the process's Authority addresses; else as from its signer.
func TestAuthority(t *testing.T) {
	p := spawn(t, "", tag{"Authority", muAddr + ", OTHER-AUTHORITY"})
	p.expect("table.concat(ao.authorities, ' ')", muAddr+" OTHER-AUTHORITY")
	p.expect(`Handlers.add("who", "Who", function(msg) Who = msg.From end)`, "")
	p.handle(message{Action: "Who", From: peerPID, Owner: muAddr})
	p.expect("Who", peerPID)
	p.handle(message{Action: "Who", From: peerPID, Owner: otherUser})
	p.expect("Who", otherUser)
	// Claiming to be the owner through From-Process does not allow Eval.
	if r := p.handle(message{Action: "Eval", Data: "1", From: testOwner, Owner: otherUser}); r.Error != "Only the owner can Eval" {
		t.Fatalf("forged Eval: %s", r.raw)
	}
	// A process naming no authority believes every From-Process.
	q := spawn(t, "")
	q.expect(`Handlers.add("who", "Who", function(msg) Who = msg.From end)`, "")
	q.handle(message{Action: "Who", From: peerPID, Owner: otherUser})
	q.expect("Who", peerPID)
}

// TestOnBoot: a process spawned with On-Boot = Data runs its Data as Lua
// on its first message, with the Name tag as its name.
func TestOnBoot(t *testing.T) {
	p := spawn(t, `Booted = "yes" Handlers.add("hi", "Hi", function(msg) msg.reply("hello") end)`, tag{"On-Boot", "Data"}, tag{"Name", "booty"})
	p.expect("Booted .. ' ' .. Name", "yes booty")
	if r := p.handle(message{Action: "Hi"}); len(r.Messages) != 1 || r.Messages[0].Data != "hello" {
		t.Fatalf("Hi: %s", r.raw)
	}
}

// TestDeterminism: time is the message's, random numbers are seeded from
// the process id, and tables iterate in insertion order.
func TestDeterminism(t *testing.T) {
	p := spawn(t, "")
	r := p.eval("os.time()")
	if want := fmt.Sprint((1700000000000 + int64(p.n)*1000) / 1000); r.Output.Data != want {
		t.Fatalf("os.time() = %s, want %s", r.Output.Data, want)
	}
	p.expect(`os.date("!%Y-%m-%d", 0)`, "1970-01-01")
	p.expect(`os.time({year = 2024, month = 1, day = 2, hour = 0})`, "1704153600")
	p.expect("os.clock()", "0")
	p.expect("os.getenv('HOME') == nil", "true")
	draws := p.evalOK("math.random(1, 1000000), math.random(), math.random(10)")
	q := spawn(t, "")
	if again := q.evalOK("math.random(1, 1000000), math.random(), math.random(10)"); again != draws {
		t.Fatalf("the same process drew %q then %q", draws, again)
	}
	p.expect("math.randomseed(7) local a = math.random(100) math.randomseed(7) return a == math.random(100)", "true")
	p.expect(`local t = {} t.zebra = 1 t.apple = 2 t.mango = 3 t[10] = 4 local k = {} for key in pairs(t) do k[#k+1] = tostring(key) end return table.concat(k, " ")`,
		"10 zebra apple mango")
}

// TestLibraries: json, utils, bint and require of the library's modules.
func TestLibraries(t *testing.T) {
	p := spawn(t, "")
	p.expect(`json.encode({ a = 1, b = { 1, 2.5, "x" }, c = {}, d = true })`, `{"a":1,"b":[1,2.5,"x"],"c":[],"d":true}`)
	p.expect(`local v = json.decode('{"z":1,"a":[1,null,3],"s":"\\u00e9"}') return v.z, #v.a, v.a[3], v.s`, "1\t3\t3\té")
	if got := p.evalOK(`pcall(json.encode, { f = print })`); !strings.HasSuffix(got, "json: cannot encode a value of type function") {
		t.Fatalf("encoding a function: %q", got)
	}
	p.expect(`utils.map(function(x) return x * 2 end)({ 1, 2, 3 })`, "[2,4,6]")
	p.expect(`utils.filter(function(x) return x > 1 end, { 1, 2, 3 })`, "[2,3]")
	p.expect(`utils.reduce(function(a, b) return a + b end, 0, { 1, 2, 3 })`, "6")
	p.expect(`utils.find(utils.propEq("n", 2), { { n = 1 }, { n = 2, v = "x" } }).v`, "x")
	p.expect(`utils.includes(2, { 1, 2 }), utils.includes(5, { 1, 2 })`, "true\tfalse")
	p.expect(`utils.keys({ a = 1, b = 2 }), utils.values({ a = 1, b = 2 })`, `["a","b"]`+"\t[1,2]")
	p.expect(`utils.compose(function(x) return x + 1 end, function(x) return x * 2 end)(5)`, "11")
	p.expect(`utils.concat({ 1 }, { 2 }), utils.reverse({ 1, 2, 3 })`, "[1,2]\t[3,2,1]")
	p.expect(`require(".utils") == utils and require("json") == json and require(".handlers") == Handlers and require("ao") == ao`, "true")

	p.expect(`bint("123456789012345678901234567890") * 2 + 1`, "246913578024691357802469135781")
	p.expect(`bint.sub("10", "11"), bint.div("-7", "2"), bint.mod("-7", "2"), bint.tdiv("-7", "2")`, "-1\t-4\t1\t-3")
	p.expect(`bint("5") < bint("10"), bint.lt("5", 10), bint("5") == bint(5), bint.compare(2, 1)`, "true\ttrue\ttrue\t1")
	p.expect(`local B = require(".bint")(256) return B.zero() + B("2") ^ 100`, "1267650600228229401496703205376")
	p.expect(`tostring(bint(255)), bint(255):tostring(16), bint.tonumber("42") + 1, "n=" .. bint(3)`, "255\tff\t43\tn=3")
	p.expect(`json.encode({ big = bint("1000000000000000000000") })`, `{"big":"1000000000000000000000"}`)
	if r := p.eval(`bint(1) / 0`); !strings.Contains(r.Error, "attempt to divide by zero") {
		t.Fatalf("division by zero: %s", r.raw)
	}
	if r := p.eval(`bint("12x")`); !strings.Contains(r.Error, "an integer, a decimal string or a bint expected") {
		t.Fatalf("bad bint: %s", r.raw)
	}
}

// TestSnapshotRestore: the whole Lua state (globals, handlers, Inbox, the
// outbox counter, the random generator) lives in the module's memory: a
// process restored from a snapshot into a fresh instance carries on as the
// original does.
func TestSnapshotRestore(t *testing.T) {
	ctx := context.Background()
	p := spawn(t, "")
	p.expect(`Count = 0 Handlers.add("inc", "Inc", function(msg) Count = Count + 1; msg.reply(tostring(Count)) end)`, "")
	p.handle(message{Action: "Inc"})
	p.handle(message{Action: "Stray"})
	state, err := p.inst.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	inst, err := module(t).Instantiate(ctx, vm.InstanceConfig{}, state)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close(ctx) })
	q := &proc{t: t, inst: inst, env: p.env, pid: p.pid, owner: p.owner, n: p.n}

	for _, m := range []message{{Action: "Inc"}, {Action: "Eval", Data: "Count, #Inbox, math.random(1000)"}} {
		a, b := p.handle(m), q.handle(m)
		if string(a.raw) != string(b.raw) {
			t.Fatalf("original %s\nrestored %s", a.raw, b.raw)
		}
	}
	if got := q.evalOK("Count"); got != "2" {
		t.Fatalf("Count after restore = %s", got)
	}
}

// TestModuleTags: the module the node publishes carries the tags
// aoconnect's spawn checks (protocol.md 3.2) and its name.
func TestModuleTags(t *testing.T) {
	got := map[string]string{}
	for _, tg := range moduleTags(t) {
		got[tg.Name] = tg.Value
	}
	for name, want := range map[string]string{
		"Data-Protocol": "ao", "Type": "Module", "Module-Format": "wasm32-wasip1-aogo",
		"Input-Encoding": "JSON-V1", "Output-Encoding": "JSON-V1", "Name": "aogo-lua",
	} {
		if got[name] != want {
			t.Errorf("tag %s = %q, want %q", name, got[name], want)
		}
	}
}
