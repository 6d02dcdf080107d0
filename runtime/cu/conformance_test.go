package cu_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/runtime/cu"
	"github.com/aogo-dev/aogo/scheduler"
)

// The CU conformance checks of protocol.md section 9 (25-38), over the
// CU's HTTP API where the check is about HTTP.
//
// Each test follows init/test/check: a world (an SU over an embedded store
// with a test-driven wall clock, and a published test module), then the
// requests, then what section 9 says must hold.
//
// The C test modules (vm/testdata) do not show the message or env that
// handle() receives, so checks 29, 30, 31 and 34 also run an "echo" module
// built below, byte by byte: a wasm32-wasip1-aogo module whose Output is
// {"msg": <the message JSON>, "env": <the env JSON>}, verbatim.

// --- an echo module -------------------------------------------------------

// confEchoModule returns a wasm32-wasip1-aogo module (docs/native-modules.md)
// with no imports: ao_alloc is a bump allocator whose pointer lives at
// address 0, ao_free resets it (the host frees everything after each
// message), and handle(msg, msgLen, env, envLen) answers
//
//	{"ok":true,"response":{"Output":{"msg":<msg>,"env":<env>},"Messages":[],"Spawns":[],"Assignments":[]}}
func confEchoModule() []byte {
	const (
		heapBase = 4096
		addr1    = 16   // prefix
		addr2    = 1024 // between msg and env
		addr3    = 2048 // suffix
	)
	p1 := `{"ok":true,"response":{"Output":{"msg":`
	p2 := `,"env":`
	p3 := `},"Messages":[],"Spawns":[],"Assignments":[]}}`

	uleb := func(v uint64) []byte {
		var b []byte
		for {
			c := byte(v & 0x7f)
			v >>= 7
			if v != 0 {
				c |= 0x80
			}
			b = append(b, c)
			if v == 0 {
				return b
			}
		}
	}
	sleb := func(v int64) []byte {
		var b []byte
		for {
			c := byte(v & 0x7f)
			v >>= 7
			if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
				return append(b, c)
			}
			b = append(b, c|0x80)
		}
	}
	vec := func(items ...[]byte) []byte {
		out := uleb(uint64(len(items)))
		for _, it := range items {
			out = append(out, it...)
		}
		return out
	}
	name := func(s string) []byte { return append(uleb(uint64(len(s))), s...) }
	section := func(id byte, body []byte) []byte {
		return append(append([]byte{id}, uleb(uint64(len(body)))...), body...)
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	const (
		i32, i64                       = 0x7f, 0x7e
		localGet, localSet, localTee   = 0x20, 0x21, 0x22
		i32Const, i64Const             = 0x41, 0x42
		i32Add, i64Or, i64Shl, i64ExtU = 0x6a, 0x84, 0x86, 0xad
		call, end                      = 0x10, 0x0b
	)
	i32c := func(v int64) []byte { return append([]byte{i32Const}, sleb(v)...) }
	get := func(k byte) []byte { return []byte{localGet, k} }
	set := func(k byte) []byte { return []byte{localSet, k} }
	load0 := []byte{0x28, 0x02, 0x00}  // i32.load align=4 offset=0
	store0 := []byte{0x36, 0x02, 0x00} // i32.store align=4 offset=0
	memcpy := []byte{0xfc, 0x0a, 0x00, 0x00}
	body := func(locals []byte, code ...[]byte) []byte {
		b := cat(append([][]byte{locals}, code...)...)
		b = append(b, end)
		return append(uleb(uint64(len(b))), b...)
	}

	types := vec(
		[]byte{0x60, 0x00, 0x00},                          // () -> ()
		[]byte{0x60, 0x01, i32, 0x01, i32},                // (i32) -> i32
		[]byte{0x60, 0x01, i32, 0x00},                     // (i32) -> ()
		[]byte{0x60, 0x04, i32, i32, i32, i32, 0x01, i64}, // (i32 x4) -> i64
	)
	funcs := vec([]byte{0}, []byte{1}, []byte{2}, []byte{3})
	memory := vec([]byte{0x00, 16}) // 16 pages, no maximum
	exports := vec(
		cat(name("memory"), []byte{0x02, 0}),
		cat(name("_initialize"), []byte{0x00, 0}),
		cat(name("ao_alloc"), []byte{0x00, 1}),
		cat(name("ao_free"), []byte{0x00, 2}),
		cat(name("handle"), []byte{0x00, 3}),
	)
	// handle's locals: 0 msg, 1 msgLen, 2 env, 3 envLen, 4 result, 5 cursor, 6 total.
	copyAt := func(src, n []byte) []byte { // copy n bytes from src to the cursor, advance it
		return cat(get(5), src, n, memcpy, get(5), n, []byte{i32Add}, set(5))
	}
	codes := vec(
		body(vec()), // _initialize
		body(vec([]byte{1, i32}), // ao_alloc(size): p = *0; *0 = p + size + 8; p
			i32c(0), load0, set(1),
			i32c(0), get(1), get(0), []byte{i32Add}, i32c(8), []byte{i32Add}, store0,
			get(1)),
		body(vec(), i32c(0), i32c(heapBase), store0), // ao_free: reset the heap
		body(vec([]byte{3, i32}),
			get(1), get(3), []byte{i32Add}, i32c(int64(len(p1)+len(p2)+len(p3))), []byte{i32Add}, set(6),
			get(6), []byte{call, 1}, []byte{localTee, 4}, set(5),
			copyAt(i32c(addr1), i32c(int64(len(p1)))),
			copyAt(get(0), get(1)),
			copyAt(i32c(addr2), i32c(int64(len(p2)))),
			copyAt(get(2), get(3)),
			copyAt(i32c(addr3), i32c(int64(len(p3)))),
			get(4), []byte{i64ExtU}, []byte{i64Const}, sleb(32), []byte{i64Shl},
			get(6), []byte{i64ExtU}, []byte{i64Or}),
	)
	segment := func(addr int64, b []byte) []byte {
		return cat([]byte{0x00}, i32c(addr), []byte{end}, uleb(uint64(len(b))), b)
	}
	data := vec(
		segment(0, binary.LittleEndian.AppendUint32(nil, heapBase)),
		segment(addr1, []byte(p1)),
		segment(addr2, []byte(p2)),
		segment(addr3, []byte(p3)),
	)
	return cat([]byte("\x00asm\x01\x00\x00\x00"),
		section(1, types), section(3, funcs), section(5, memory),
		section(7, exports), section(10, codes), section(11, data))
}

// --- helpers ---------------------------------------------------------------

// confModuleTags are the tags of a module item of the given format, without
// Memory-Limit and Compute-Limit.
func confModuleTags(format string, extra ...arweave.Tag) []arweave.Tag {
	return append([]arweave.Tag{
		{Name: "Data-Protocol", Value: "ao"}, {Name: "Variant", Value: "ao.TN.1"}, {Name: "Type", Value: "Module"},
		{Name: "Module-Format", Value: format}, {Name: "Input-Encoding", Value: "JSON-V1"},
		{Name: "Output-Encoding", Value: "JSON-V1"},
	}, extra...)
}

var confLimits = []arweave.Tag{{Name: "Memory-Limit", Value: "256-mb"}, {Name: "Compute-Limit", Value: "9000000000000"}}

// confPublish stores a module item in the world's store and returns its id.
func confPublish(w *world, binary []byte, tags []arweave.Tag) (*arweave.DataItem, string) {
	w.t.Helper()
	mod, err := arweave.SignDataItem(w.user, arweave.ItemOptions{Tags: tags, Data: binary})
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.store.PutItems(context.Background(), mod); err != nil {
		w.t.Fatal(err)
	}
	return mod, mod.ID()
}

// confProcessTags are the tags of a process of module.
func confProcessTags(w *world, module string, extra ...arweave.Tag) []arweave.Tag {
	return append([]arweave.Tag{
		{Name: "Data-Protocol", Value: "ao"}, {Name: "Variant", Value: "ao.TN.1"}, {Name: "Type", Value: "Process"},
		{Name: "Module", Value: module}, {Name: "Scheduler", Value: w.su.Address()},
	}, extra...)
}

// confSpawn schedules a process of module (world.spawn uses the world's
// module) and returns its id.
func confSpawn(w *world, module string, extra ...arweave.Tag) string {
	w.t.Helper()
	res, err := w.su.Schedule(context.Background(), w.sign("", "process data", confProcessTags(w, module, extra...)...))
	if err != nil {
		w.t.Fatal(err)
	}
	return res.ID
}

// confEchoWorld is a world with the echo module published; it returns the
// echo module's item.
func confEchoWorld(t *testing.T) (*world, *arweave.DataItem) {
	t.Helper()
	w := newWorld(t, "minimal-fmt2.wasm", "wasm32-unknown-emscripten2")
	mod, _ := confPublish(w, confEchoModule(), confModuleTags("wasm32-wasip1-aogo", confLimits...))
	return w, mod
}

// confDo sends a request and returns the status and the body.
func confDo(t *testing.T, method, url string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// confGet GETs url, requires 200 and returns the body.
func confGet(t *testing.T, url string) []byte {
	t.Helper()
	code, _, b := confDo(t, http.MethodGet, url, nil)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, code, b)
	}
	return b
}

// confError checks an error answer: the status, a JSON Content-Type and a
// {"error": "<non-empty string>"} body. It returns the error text.
func confError(t *testing.T, what string, code int, h http.Header, body []byte, want int) string {
	t.Helper()
	if code != want {
		t.Errorf("%s: status %d, want %d: %s", what, code, want, body)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q, want JSON", what, ct)
	}
	var e map[string]any
	if err := json.Unmarshal(body, &e); err != nil {
		t.Errorf("%s: body is not JSON: %v: %q", what, err, body)
		return ""
	}
	msg, ok := e["error"].(string)
	if !ok || msg == "" {
		t.Errorf(`%s: body %s has no "error" string`, what, body)
	}
	return msg
}

// confDecode decodes JSON with numbers kept as json.Number.
func confDecode(t *testing.T, b []byte, v any) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
}

// confOutput is a result's Output, as JSON text.
func confOutput(t *testing.T, result []byte) string {
	t.Helper()
	var r map[string]json.RawMessage
	confDecode(t, result, &r)
	return string(r["Output"])
}

// confResult GETs /result/{id}?process-id={pid}.
func confResult(t *testing.T, base, pid, id string) []byte {
	t.Helper()
	return confGet(t, base+"/result/"+id+"?process-id="+pid)
}

// confEcho is what the echo module saw for one evaluation.
type confEcho struct {
	Msg map[string]any
	Env map[string]any
}

// confEchoed decodes the echo module's Output from a result.
func confEchoed(t *testing.T, result []byte) confEcho {
	t.Helper()
	var r struct {
		Output struct {
			Msg map[string]any `json:"msg"`
			Env map[string]any `json:"env"`
		}
		Error json.RawMessage
	}
	confDecode(t, result, &r)
	if r.Error != nil || r.Output.Msg == nil || r.Output.Env == nil {
		t.Fatalf("not an echo: %s", result)
	}
	return confEcho{Msg: r.Output.Msg, Env: r.Output.Env}
}

// confInt reads a JSON integer (a json.Number without fraction or exponent).
func confInt(t *testing.T, what string, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok || strings.ContainsAny(n.String(), ".eE") {
		t.Fatalf("%s = %#v, want a JSON integer", what, v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("%s = %s: %v", what, n, err)
	}
	return i
}

// confKeys are the sorted keys of a JSON object.
func confKeys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// confTags converts decoded [{name,value}] to arweave tags.
func confTags(t *testing.T, v any) []arweave.Tag {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("Tags = %#v, want an array", v)
	}
	out := []arweave.Tag{}
	for _, x := range list {
		m, ok := x.(map[string]any)
		if !ok || len(m) != 2 {
			t.Fatalf("tag %#v is not {name, value}", x)
		}
		name, ok1 := m["name"].(string)
		value, ok2 := m["value"].(string)
		if !ok1 || !ok2 {
			t.Fatalf("tag %#v is not {name, value}", x)
		}
		out = append(out, arweave.Tag{Name: name, Value: value})
	}
	return out
}

// confConnection is a /results or /cron answer.
type confConnection struct {
	PageInfo struct {
		HasNextPage bool `json:"hasNextPage"`
	} `json:"pageInfo"`
	Edges []struct {
		Cursor string          `json:"cursor"`
		Node   json.RawMessage `json:"node"`
	} `json:"edges"`
}

// confPage GETs a connection (/results or /cron).
func confPage(t *testing.T, url string) confConnection {
	t.Helper()
	body := confGet(t, url)
	var raw map[string]json.RawMessage
	confDecode(t, body, &raw)
	if _, ok := raw["pageInfo"]; !ok {
		t.Fatalf("%s: no pageInfo: %s", url, body)
	}
	if e := raw["edges"]; len(e) == 0 || e[0] != '[' {
		t.Fatalf("%s: edges is not an array: %s", url, body)
	}
	var c confConnection
	confDecode(t, body, &c)
	return c
}

// confCursor is a decoded cursor (protocol.md 6.1: base64 of JSON).
type confCursor struct {
	Timestamp int64   `json:"timestamp"`
	Ordinate  string  `json:"ordinate"`
	Cron      *string `json:"cron"`
	Sort      string  `json:"sort"`
}

func confDecodeCursor(t *testing.T, c string) confCursor {
	t.Helper()
	if c == "" {
		t.Fatal("empty cursor")
	}
	raw, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		t.Fatalf("cursor %q is not standard base64: %v", c, err)
	}
	var out confCursor
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("cursor %q is not JSON: %v: %s", c, err, raw)
	}
	return out
}

// confProcess is the SU's record of a process.
func confProcess(t *testing.T, w *world, pid string) *scheduler.Process {
	t.Helper()
	p, err := w.su.Process(context.Background(), pid)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// confEntry is the SU's entry of a message.
func confEntry(t *testing.T, w *world, pid, id string) *scheduler.Entry {
	t.Helper()
	e, err := w.su.Find(context.Background(), pid, id)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// --- the checks ------------------------------------------------------------

// Check 25: GET / returns 200 {"address": "<CU wallet>", "timestamp": <number>}.
func TestCheck25Root(t *testing.T) {
	w := newWorld(t, "minimal-fmt2.wasm", "wasm32-unknown-emscripten2")
	wallet, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	base := serve(t, w.newCU(t.TempDir(), func(c *cu.Config) { c.Signer = wallet }))
	before := time.Now().UnixMilli()
	code, h, body := confDo(t, http.MethodGet, base+"/", nil)
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /: %d %q %s", code, h.Get("Content-Type"), body)
	}
	var m map[string]any
	confDecode(t, body, &m)
	if want := arweave.SignerAddress(wallet); want == "" || m["address"] != want {
		t.Errorf("address %#v, want %q", m["address"], want)
	}
	if ts := confInt(t, "timestamp", m["timestamp"]); ts < before {
		t.Errorf("timestamp %d is not a current time in ms (>= %d)", ts, before)
	}
}

// Check 26: GET /result/{id}?process-id= returns 200 JSON with array
// Messages, Assignments and Spawns, and Output; no Memory. The id may be
// a message id, its assignment's id, or the process id.
func TestCheck26ResultShape(t *testing.T) {
	w := newWorld(t, "minimal-fmt2-metered.wasm", "wasm32-unknown-emscripten2")
	pid := w.spawn()
	inc := w.send(pid, "Inc", "")
	send := w.send(pid, "Send", pid)
	base := serve(t, w.newCU(t.TempDir()))

	shape := func(what string, body []byte) map[string]json.RawMessage {
		t.Helper()
		var r map[string]json.RawMessage
		confDecode(t, body, &r)
		for _, f := range []string{"Messages", "Assignments", "Spawns"} {
			if v := r[f]; len(v) == 0 || v[0] != '[' {
				t.Errorf("%s: %s is %s, want an array: %s", what, f, v, body)
			}
		}
		if _, ok := r["Output"]; !ok {
			t.Errorf("%s: no Output: %s", what, body)
		}
		if _, ok := r["Memory"]; ok {
			t.Errorf("%s: has Memory", what)
		}
		if _, ok := r["Error"]; ok {
			t.Errorf("%s: has an Error: %s", what, body)
		}
		return r
	}
	r := shape("Send", confResult(t, base, pid, send))
	var msgs, spawns, assigns []json.RawMessage
	for _, x := range []struct {
		f   string
		dst *[]json.RawMessage
	}{{"Messages", &msgs}, {"Spawns", &spawns}, {"Assignments", &assigns}} {
		confDecode(t, r[x.f], x.dst)
	}
	if len(msgs) != 1 || len(spawns) != 1 || len(assigns) != 1 || string(r["Output"]) != `"sent"` {
		t.Errorf("Send: %d messages, %d spawns, %d assignments, Output %s", len(msgs), len(spawns), len(assigns), r["Output"])
	}
	if got := shape("Inc", confResult(t, base, pid, inc)); string(got["Output"]) != `"2"` || string(got["Messages"]) != "[]" {
		t.Errorf("Inc: Output %s, Messages %s", got["Output"], got["Messages"])
	}
	if got := shape("process", confResult(t, base, pid, pid)); string(got["Output"]) != `"1"` {
		t.Errorf("process message: Output %s, want \"1\"", got["Output"])
	}
	// By assignment id: the same result as by message id.
	e := confEntry(t, w, pid, inc)
	if a, m := confResult(t, base, pid, e.Assignment.ID()), confResult(t, base, pid, inc); !bytes.Equal(a, m) {
		t.Errorf("by assignment id %s, by message id %s", a, m)
	}
}

// Check 27: GET /result/{id} without process-id fails with a non-2xx JSON
// {error}.
func TestCheck27ResultWithoutProcessID(t *testing.T) {
	w := newWorld(t, "minimal-fmt2.wasm", "wasm32-unknown-emscripten2")
	pid := w.spawn()
	mid := w.send(pid, "Inc", "")
	base := serve(t, w.newCU(t.TempDir()))
	for _, url := range []string{"/result/" + mid, "/result/" + mid + "?process-id=", "/result/" + pid} {
		code, h, body := confDo(t, http.MethodGet, base+url, nil)
		if code >= 200 && code < 300 {
			t.Errorf("GET %s: %d %s, want a failure", url, code, body)
			continue
		}
		confError(t, "GET "+url, code, h, body, http.StatusBadRequest)
	}
}

// Check 28: a message whose evaluation throws has a result with Error, and
// the next message sees the memory of before the failing one. Error,
// Trap and Reject all count the message in the module before failing, so
// rollback shows as the counter not including them.
func TestCheck28ErrorRollsBack(t *testing.T) {
	w := newWorld(t, "minimal-fmt2-metered.wasm", "wasm32-unknown-emscripten2")
	pid := w.spawn()           // 1
	inc := w.send(pid, "", "") // 2
	steps := []struct {
		fail, errText, next string
	}{
		{"Error", "requested error", `"3"`},
		{"Trap", "unreachable", `"4"`},
		{"Reject", "rejected", `"5"`},
	}
	var ids [][2]string
	for _, s := range steps {
		ids = append(ids, [2]string{w.send(pid, s.fail, ""), w.send(pid, "Inc", "")})
	}
	base := serve(t, w.newCU(t.TempDir()))
	if out := confOutput(t, confResult(t, base, pid, inc)); out != `"2"` {
		t.Fatalf("before the failures: Output %s, want \"2\"", out)
	}
	for i, s := range steps {
		body := confResult(t, base, pid, ids[i][0])
		var r map[string]json.RawMessage
		confDecode(t, body, &r)
		if e := r["Error"]; !strings.Contains(string(e), s.errText) {
			t.Errorf("%s: Error %s, want one containing %q: %s", s.fail, e, s.errText, body)
		}
		if out := confOutput(t, confResult(t, base, pid, ids[i][1])); out != s.next {
			t.Errorf("Inc after %s: Output %s, want %s (the failing message's count rolled back)", s.fail, out, s.next)
		}
	}
}

// Check 29: the message JSON given to handle(): From = the From-Process tag
// when present (else Owner), Forwarded-By = the signer only with
// From-Process, integer Nonce/Timestamp/Block-Height, Cron false,
// Read-Only false, no tags named From or Owner. The echo module shows
// what handle() received. (message_internal_test.go covers the cases the
// SU cannot produce here: assignments with Exclude, non-UTF-8 anchors.)
func TestCheck29MessageJSON(t *testing.T) {
	w, mod := confEchoWorld(t)
	pid := confSpawn(w, mod.ID())
	userAddr := arweave.SignerAddress(w.user)
	protocol := []arweave.Tag{{Name: "Data-Protocol", Value: "ao"}, {Name: "Variant", Value: "ao.TN.1"}, {Name: "Type", Value: "Message"}}

	plainTags := append(slices.Clone(protocol), arweave.Tag{Name: "Action", Value: "Echo"},
		arweave.Tag{Name: "From", Value: "forged-from"}, arweave.Tag{Name: "Owner", Value: "forged-owner"}, arweave.Tag{Name: "X", Value: "1"})
	plain := w.sign(pid, "hello </script> & ünïcode", plainTags...)
	fwdTags := append(slices.Clone(protocol), arweave.Tag{Name: "From-Process", Value: "QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"})
	fwd := w.sign(pid, "forwarded", fwdTags...)
	lossy, err := arweave.SignDataItem(w.user, arweave.ItemOptions{Target: pid, Tags: protocol, Data: []byte("a\xffb")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, it := range []*arweave.DataItem{plain, fwd, lossy} {
		if _, err := w.su.Schedule(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	base := serve(t, w.newCU(t.TempDir()))

	scheduledKeys := []string{"Anchor", "Block-Height", "Cron", "Data", "Epoch", "From", "Hash-Chain", "Id", "Nonce", "Owner", "Read-Only", "Signature", "Tags", "Target", "Timestamp"}
	check := func(what string, it *arweave.DataItem, wantFrom string, forwarded bool, wantData string, wantTags []arweave.Tag) {
		t.Helper()
		e := confEntry(t, w, pid, it.ID())
		m := confEchoed(t, confResult(t, base, pid, it.ID())).Msg
		keys := slices.Clone(scheduledKeys)
		if forwarded {
			keys = append(keys, "Forwarded-By")
			slices.Sort(keys)
		}
		if got := confKeys(m); !slices.Equal(got, keys) {
			t.Errorf("%s: keys %v, want %v", what, got, keys)
		}
		if m["From"] != wantFrom {
			t.Errorf("%s: From %#v, want %q", what, m["From"], wantFrom)
		}
		if forwarded && m["Forwarded-By"] != userAddr {
			t.Errorf("%s: Forwarded-By %#v, want the signer %q", what, m["Forwarded-By"], userAddr)
		}
		if m["Owner"] != userAddr || m["Id"] != it.ID() || m["Target"] != pid || m["Data"] != wantData ||
			m["Signature"] != arweave.B64(it.Signature) || m["Hash-Chain"] != e.HashChain {
			t.Errorf("%s: Owner %v Id %v Target %v Data %q Signature %v Hash-Chain %v", what, m["Owner"], m["Id"], m["Target"], m["Data"], m["Signature"], m["Hash-Chain"])
		}
		if it.AnchorString() != "" && m["Anchor"] != it.AnchorString() {
			t.Errorf("%s: Anchor %#v, want %q", what, m["Anchor"], it.AnchorString())
		}
		if confInt(t, what+" Nonce", m["Nonce"]) != e.Nonce || confInt(t, what+" Epoch", m["Epoch"]) != 0 ||
			confInt(t, what+" Timestamp", m["Timestamp"]) != e.Timestamp || confInt(t, what+" Block-Height", m["Block-Height"]) != e.BlockHeight {
			t.Errorf("%s: Nonce %v Epoch %v Timestamp %v Block-Height %v; entry %d %d %d", what, m["Nonce"], m["Epoch"], m["Timestamp"], m["Block-Height"], e.Nonce, e.Timestamp, e.BlockHeight)
		}
		if m["Cron"] != false || m["Read-Only"] != false {
			t.Errorf("%s: Cron %#v Read-Only %#v, want false false", what, m["Cron"], m["Read-Only"])
		}
		if got := confTags(t, m["Tags"]); !slices.Equal(got, wantTags) {
			t.Errorf("%s: Tags %v, want %v", what, got, wantTags)
		}
	}
	check("plain", plain, userAddr, false, "hello </script> & ünïcode",
		append(slices.Clone(protocol), arweave.Tag{Name: "Action", Value: "Echo"}, arweave.Tag{Name: "X", Value: "1"}))
	check("forwarded", fwd, "QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ", true, "forwarded", fwdTags)
	check("non-UTF-8 data", lossy, userAddr, false, "a\uFFFDb", protocol)
	if m := confEchoed(t, confResult(t, base, pid, lossy.ID())).Msg; m["Anchor"] != nil {
		t.Errorf("no anchor: Anchor %#v, want null", m["Anchor"])
	}

	// The process message (cold start): the Process item at its SU time,
	// without Epoch, Nonce or Hash-Chain.
	p := confProcess(t, w, pid)
	m := confEchoed(t, confResult(t, base, pid, pid)).Msg
	want := []string{"Anchor", "Block-Height", "Cron", "Data", "From", "Id", "Owner", "Read-Only", "Signature", "Tags", "Target", "Timestamp"}
	if got := confKeys(m); !slices.Equal(got, want) {
		t.Errorf("process message: keys %v, want %v", got, want)
	}
	if m["Id"] != pid || m["Target"] != pid || m["Owner"] != userAddr || m["From"] != userAddr || m["Data"] != "process data" ||
		confInt(t, "Timestamp", m["Timestamp"]) != p.Timestamp || confInt(t, "Block-Height", m["Block-Height"]) != p.BlockHeight ||
		m["Cron"] != false || m["Read-Only"] != false {
		t.Errorf("process message: %v", m)
	}
	if got := confTags(t, m["Tags"]); !slices.Equal(got, []arweave.Tag(p.Item.Tags)) {
		t.Errorf("process message: Tags %v, want %v", got, p.Item.Tags)
	}
}

// Check 30: the env JSON given to handle() is
// {Process:{Id,Owner,Tags}, Module:{Id,Owner,Tags}}.
func TestCheck30EnvJSON(t *testing.T) {
	w, mod := confEchoWorld(t)
	pid := confSpawn(w, mod.ID(), arweave.Tag{Name: "Name", Value: "env-test"})
	mid := w.send(pid, "Echo", "")
	base := serve(t, w.newCU(t.TempDir()))
	p := confProcess(t, w, pid)
	userAddr := arweave.SignerAddress(w.user)
	for _, id := range []string{pid, mid} {
		env := confEchoed(t, confResult(t, base, pid, id)).Env
		if got := confKeys(env); !slices.Equal(got, []string{"Module", "Process"}) {
			t.Fatalf("env keys %v", got)
		}
		for _, x := range []struct {
			name string
			item *arweave.DataItem
		}{{"Process", p.Item}, {"Module", mod}} {
			e, ok := env[x.name].(map[string]any)
			if !ok {
				t.Fatalf("env.%s = %#v", x.name, env[x.name])
			}
			if got := confKeys(e); !slices.Equal(got, []string{"Id", "Owner", "Tags"}) {
				t.Errorf("env.%s keys %v", x.name, got)
			}
			if e["Id"] != x.item.ID() || e["Owner"] != userAddr {
				t.Errorf("env.%s: Id %v Owner %v, want %s %s", x.name, e["Id"], e["Owner"], x.item.ID(), userAddr)
			}
			if got := confTags(t, e["Tags"]); !slices.Equal(got, []arweave.Tag(x.item.Tags)) {
				t.Errorf("env.%s.Tags %v, want %v", x.name, got, x.item.Tags)
			}
		}
	}

	// A C module parses it too: the rich module's Env action answers
	// env.Process.Id.
	w2 := newWorld(t, "rich-fmt2.wasm", "wasm32-unknown-emscripten2")
	pid2 := w2.spawn()
	envMsg := w2.send(pid2, "Env", "")
	var out struct{ Output struct{ Process string } }
	confDecode(t, confResult(t, serve(t, w2.newCU(t.TempDir())), pid2, envMsg), &out)
	if out.Output.Process != pid2 {
		t.Errorf("rich Env: process %q, want %q", out.Output.Process, pid2)
	}
}

// confDryRun POSTs a dry-run and requires 200.
func confDryRun(t *testing.T, base, pid string, body string) []byte {
	t.Helper()
	code, _, b := confDo(t, http.MethodPost, base+"/dry-run?process-id="+pid, []byte(body))
	if code != http.StatusOK {
		t.Fatalf("dry-run %s: %d %s", body, code, b)
	}
	return b
}

// Check 31: POST /dry-run returns the output without changing state (a
// later dry-run, /result or /state sees unchanged memory), and the module
// sees Read-Only: true.
func TestCheck31DryRun(t *testing.T) {
	t.Run("stateless", func(t *testing.T) {
		w := newWorld(t, "minimal-fmt2-metered.wasm", "wasm32-unknown-emscripten2")
		pid := w.spawn()
		w.send(pid, "Inc", "") // 2
		base := serve(t, w.newCU(t.TempDir()))
		before := confGet(t, base+"/state/"+pid)
		inc := `{"Owner":"1234","Tags":[{"name":"Action","value":"Inc"}]}`
		for i := range 2 {
			if out := confOutput(t, confDryRun(t, base, pid, inc)); out != `"3"` {
				t.Fatalf("dry-run %d: Output %s, want \"3\"", i, out)
			}
		}
		if after := confGet(t, base+"/state/"+pid); !bytes.Equal(before, after) {
			t.Errorf("the dry-runs changed the state (%d bytes before, %d after)", len(before), len(after))
		}
		mid := w.send(pid, "Inc", "")
		if out := confOutput(t, confResult(t, base, pid, mid)); out != `"3"` {
			t.Errorf("real Inc after two dry-runs: Output %s, want \"3\"", out)
		}
		if out := confOutput(t, confDryRun(t, base, pid, inc)); out != `"4"` {
			t.Errorf("dry-run after the real Inc: Output %s, want \"4\"", out)
		}
		// A failing dry-run does not break the process either.
		confDryRun(t, base, pid, `{"Owner":"1234","Tags":[{"name":"Action","value":"Trap"}]}`)
		if out := confOutput(t, confDryRun(t, base, pid, inc)); out != `"4"` {
			t.Errorf("dry-run after a trapping dry-run: Output %s, want \"4\"", out)
		}
	})
	t.Run("message", func(t *testing.T) {
		w, mod := confEchoWorld(t)
		pid := confSpawn(w, mod.ID())
		mid := w.send(pid, "Echo", "")
		base := serve(t, w.newCU(t.TempDir()))
		e := confEntry(t, w, pid, mid)
		m := confEchoed(t, confDryRun(t, base, pid, `{"Id":"1234","Owner":"1234","Data":"hi","Tags":[{"name":"Action","value":"Echo"}]}`)).Msg
		if m["Read-Only"] != true || m["Cron"] != false {
			t.Errorf("Read-Only %#v Cron %#v, want true false", m["Read-Only"], m["Cron"])
		}
		if m["Owner"] != "1234" || m["From"] != "1234" || m["Id"] != "1234" || m["Data"] != "hi" || m["Target"] != pid {
			t.Errorf("Owner %v From %v Id %v Data %v Target %v", m["Owner"], m["From"], m["Id"], m["Data"], m["Target"])
		}
		if confInt(t, "Timestamp", m["Timestamp"]) != e.Timestamp || confInt(t, "Block-Height", m["Block-Height"]) != e.BlockHeight {
			t.Errorf("Timestamp %v Block-Height %v, want the last evaluated %d %d", m["Timestamp"], m["Block-Height"], e.Timestamp, e.BlockHeight)
		}
		for _, k := range []string{"Epoch", "Nonce", "Hash-Chain", "Forwarded-By"} {
			if _, ok := m[k]; ok {
				t.Errorf("dry-run message has %s: %v", k, m[k])
			}
		}
		m = confEchoed(t, confDryRun(t, base, pid, `{"Owner":"1234","Tags":[{"name":"From-Process","value":"PPP"}]}`)).Msg
		if m["From"] != "PPP" || m["Owner"] != "1234" || m["Read-Only"] != true {
			t.Errorf("with From-Process: From %v Owner %v Read-Only %v", m["From"], m["Owner"], m["Read-Only"])
		}
	})
}

// Check 32: the reference rate-limits dry-runs (429 once a client's budget
// is spent). aogo does not rate-limit (the check applies "if rate limiting
// is enabled"; docs/http-api.md). This test documents that: many
// dry-runs from one client, more than the reference's 6 per minute, all
// succeed and none answers 429.
func TestCheck32DryRunNotRateLimited(t *testing.T) {
	w := newWorld(t, "minimal-fmt2.wasm", "wasm32-unknown-emscripten2")
	pid := w.spawn()
	base := serve(t, w.newCU(t.TempDir()))
	for i := range 20 {
		code, _, b := confDo(t, http.MethodPost, base+"/dry-run?process-id="+pid, []byte(`{"Owner":"1234","Tags":[{"name":"Action","value":"Inc"}]}`))
		if code != http.StatusOK {
			t.Fatalf("dry-run %d: %d %s (aogo has no dry-run rate limit)", i, code, b)
		}
		if out := confOutput(t, b); out != `"2"` {
			t.Fatalf("dry-run %d: Output %s, want \"2\"", i, out)
		}
	}
}

// Check 33: /results pages with string cursors, ASC and DESC, continuing
// from the last cursor without overlap; errored evaluations are absent.
func TestCheck33ResultsPaging(t *testing.T) {
	w := newWorld(t, "minimal-fmt2-metered.wasm", "wasm32-unknown-emscripten2")
	pid := w.spawn() // 1
	w.send(pid, "Inc", "")
	w.send(pid, "Error", "") // left out of /results
	w.send(pid, "Inc", "")
	last := w.send(pid, "Inc", "")
	base := serve(t, w.newCU(t.TempDir()))
	confResult(t, base, pid, last) // /results reads stored evaluations only

	walk := func(sort string, limit int) (outs []string, cursors []string) {
		t.Helper()
		from := ""
		for range 10 {
			url := fmt.Sprintf("%s/results/%s?sort=%s&limit=%d", base, pid, sort, limit)
			if from != "" {
				url += "&from=" + from
			}
			c := confPage(t, url)
			if len(c.Edges) > limit {
				t.Fatalf("%s: %d edges, limit %d", url, len(c.Edges), limit)
			}
			for _, e := range c.Edges {
				var node map[string]json.RawMessage
				confDecode(t, e.Node, &node)
				if _, ok := node["Error"]; ok {
					t.Errorf("an errored evaluation is listed: %s", e.Node)
				}
				outs = append(outs, string(node["Output"]))
				cursors = append(cursors, e.Cursor)
				if cur := confDecodeCursor(t, e.Cursor); cur.Sort != sort {
					t.Errorf("cursor sort %q, want %q", cur.Sort, sort)
				}
			}
			if !c.PageInfo.HasNextPage {
				return outs, cursors
			}
			if len(c.Edges) == 0 {
				t.Fatalf("%s: hasNextPage with no edges", url)
			}
			from = c.Edges[len(c.Edges)-1].Cursor
		}
		t.Fatal("paging does not end")
		return nil, nil
	}
	asc, ascCursors := walk("ASC", 2)
	if want := []string{`"1"`, `"2"`, `"3"`, `"4"`}; !slices.Equal(asc, want) {
		t.Errorf("ASC by 2: %v, want %v", asc, want)
	}
	desc, _ := walk("DESC", 2)
	if want := []string{`"4"`, `"3"`, `"2"`, `"1"`}; !slices.Equal(desc, want) {
		t.Errorf("DESC by 2: %v, want %v", desc, want)
	}
	if odd, _ := walk("ASC", 3); !slices.Equal(odd, asc) {
		t.Errorf("ASC by 3: %v, want %v", odd, asc)
	}
	// The first page says there is more; a page from the last cursor is empty.
	if c := confPage(t, base+"/results/"+pid+"?sort=ASC&limit=2"); !c.PageInfo.HasNextPage || len(c.Edges) != 2 {
		t.Errorf("first page: %d edges, hasNextPage %v", len(c.Edges), c.PageInfo.HasNextPage)
	}
	if c := confPage(t, base+"/results/"+pid+"?sort=ASC&from="+ascCursors[len(ascCursors)-1]); len(c.Edges) != 0 || c.PageInfo.HasNextPage {
		t.Errorf("after the last cursor: %d edges, hasNextPage %v", len(c.Edges), c.PageInfo.HasNextPage)
	}
	// Default sort is ascending, default limit 25.
	if c := confPage(t, base+"/results/"+pid); len(c.Edges) != 4 {
		t.Errorf("defaults: %d edges, want 4", len(c.Edges))
	}
}

// Check 34: a process with Cron-Interval=10-seconds evaluated to 35 s after
// its timestamp has exactly 3 cron evaluations, at origin+10/20/30 s, each
// ordered before the scheduled messages that come later in time; their
// messages have Cron:true, the cron's tags, Target=pid, From=the process
// owner and no Id.
func TestCheck34Cron(t *testing.T) {
	t.Run("ticks", func(t *testing.T) {
		w := newWorld(t, "minimal-fmt2-metered.wasm", "wasm32-unknown-emscripten2")
		pid := w.spawn(arweave.Tag{Name: "Cron-Interval", Value: "10-seconds"}, arweave.Tag{Name: "Cron-Tag-Action", Value: "Inc"}) // 1
		origin := confProcess(t, w, pid).Timestamp
		w.advance(5 * time.Second)
		w.send(pid, "Inc", "") // 2 at +5 s; ticks: 3 at +10 s, 4 at +20 s
		w.advance(20 * time.Second)
		w.send(pid, "Inc", "") // 5 at +25 s; tick: 6 at +30 s
		w.advance(10 * time.Second)
		base := serve(t, w.newCU(t.TempDir()))

		c := confPage(t, base+"/cron/"+pid)
		if len(c.Edges) != 3 || c.PageInfo.HasNextPage {
			t.Fatalf("%d cron evaluations (hasNextPage %v), want 3", len(c.Edges), c.PageInfo.HasNextPage)
		}
		for k, e := range c.Edges {
			cur := confDecodeCursor(t, e.Cursor)
			if want := origin + int64(k+1)*10_000; cur.Timestamp != want || cur.Cron == nil || *cur.Cron != "0-10-seconds" {
				t.Errorf("tick %d: cursor %+v, want timestamp %d, cron 0-10-seconds", k, cur, want)
			}
			if out, want := confOutput(t, e.Node), []string{`"3"`, `"4"`, `"6"`}[k]; out != want {
				t.Errorf("tick %d: Output %s, want %s", k, out, want)
			}
		}

		// In /results: message, message, tick, tick, message, tick; the
		// counter shows that each evaluation saw the ones before it.
		all := confPage(t, base+"/results/"+pid+"?limit=100")
		var outs []string
		var kinds []bool
		var prev confCursor
		for i, e := range all.Edges {
			cur := confDecodeCursor(t, e.Cursor)
			if i > 0 && cur.Timestamp <= prev.Timestamp {
				t.Errorf("evaluation %d at %d, not after %d", i, cur.Timestamp, prev.Timestamp)
			}
			prev = cur
			outs = append(outs, confOutput(t, e.Node))
			kinds = append(kinds, cur.Cron != nil)
		}
		if want := []string{`"1"`, `"2"`, `"3"`, `"4"`, `"5"`, `"6"`}; !slices.Equal(outs, want) {
			t.Errorf("results in order: %v, want %v", outs, want)
		}
		if want := []bool{false, false, true, true, false, true}; !slices.Equal(kinds, want) {
			t.Errorf("cron flags in order: %v, want %v", kinds, want)
		}
	})
	t.Run("message", func(t *testing.T) {
		w, mod := confEchoWorld(t)
		pid := confSpawn(w, mod.ID(), arweave.Tag{Name: "Cron-Interval", Value: "10-seconds"}, arweave.Tag{Name: "Cron-Tag-Action", Value: "Tick"})
		p := confProcess(t, w, pid)
		w.advance(35 * time.Second)
		base := serve(t, w.newCU(t.TempDir()))
		c := confPage(t, base+"/cron/"+pid)
		if len(c.Edges) != 3 {
			t.Fatalf("%d cron evaluations, want 3", len(c.Edges))
		}
		owner := arweave.SignerAddress(w.user)
		for k, e := range c.Edges {
			m := confEchoed(t, e.Node).Msg
			if got, want := confKeys(m), []string{"Block-Height", "Cron", "From", "Owner", "Read-Only", "Tags", "Target", "Timestamp"}; !slices.Equal(got, want) {
				t.Errorf("tick %d: keys %v, want %v (no Id, Signature, Anchor, Data, Epoch, Nonce, Hash-Chain)", k, got, want)
			}
			if m["Cron"] != true || m["Read-Only"] != false || m["Target"] != pid || m["From"] != owner || m["Owner"] != owner {
				t.Errorf("tick %d: %v", k, m)
			}
			if got := confTags(t, m["Tags"]); !slices.Equal(got, []arweave.Tag{{Name: "Action", Value: "Tick"}}) {
				t.Errorf("tick %d: Tags %v, want Action=Tick only", k, got)
			}
			if ts := confInt(t, "Timestamp", m["Timestamp"]); ts != p.Timestamp+int64(k+1)*10_000 {
				t.Errorf("tick %d: Timestamp %d, want %d", k, ts, p.Timestamp+int64(k+1)*10_000)
			}
			confInt(t, "Block-Height", m["Block-Height"])
		}
	})
}

// Check 35: /cron answers only cron evaluations, ascending and
// cursor-paged, and from=<last cursor> returns no duplicates.
func TestCheck35CronPaging(t *testing.T) {
	w := newWorld(t, "minimal-fmt2-metered.wasm", "wasm32-unknown-emscripten2")
	pid := w.spawn(arweave.Tag{Name: "Cron-Interval", Value: "10-seconds"}, arweave.Tag{Name: "Cron-Tag-Action", Value: "Inc"}) // 1
	w.advance(25 * time.Second)
	w.send(pid, "Inc", "") // after ticks 2 and 3: 4
	w.advance(30 * time.Second)
	base := serve(t, w.newCU(t.TempDir()))
	want := []string{`"2"`, `"3"`, `"5"`, `"6"`, `"7"`} // ticks at +10..+50 s

	var outs, cursors []string
	from := ""
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatal("paging does not end")
		}
		url := base + "/cron/" + pid + "?limit=2"
		if from != "" {
			url += "&from=" + from
		}
		c := confPage(t, url)
		if len(c.Edges) > 2 {
			t.Fatalf("page %d: %d edges, limit 2", page, len(c.Edges))
		}
		for _, e := range c.Edges {
			if slices.Contains(cursors, e.Cursor) {
				t.Errorf("page %d repeats cursor %s", page, e.Cursor)
			}
			cursors = append(cursors, e.Cursor)
			outs = append(outs, confOutput(t, e.Node))
			if cur := confDecodeCursor(t, e.Cursor); cur.Cron == nil {
				t.Errorf("a scheduled message in /cron: %+v", cur)
			}
		}
		if !c.PageInfo.HasNextPage {
			break
		}
		from = c.Edges[len(c.Edges)-1].Cursor
	}
	if !slices.Equal(outs, want) {
		t.Errorf("cron outputs %v, want %v", outs, want)
	}
	if c := confPage(t, base+"/cron/"+pid+"?from="+cursors[len(cursors)-1]); len(c.Edges) != 0 {
		t.Errorf("from the last cursor: %d edges, want none", len(c.Edges))
	}
	// Asking again evaluates nothing new and lists the same ticks once.
	again := confPage(t, base+"/cron/"+pid)
	var again2 []string
	for _, e := range again.Edges {
		again2 = append(again2, e.Cursor)
	}
	if !slices.Equal(again2, cursors) {
		t.Errorf("a second /cron: %d cursors, want the same %d", len(again2), len(cursors))
	}
}

// Check 36: two evaluations of the same process from scratch (fresh CUs,
// the same SU data) give identical outputs for every message and tick.
// The second CU gets there another way (message by message, then to the
// seal), which must not matter either.
func TestCheck36Determinism(t *testing.T) {
	w := newWorld(t, "rich-fmt3-metered.wasm", "wasm32-unknown-emscripten3")
	pid := w.spawn(arweave.Tag{Name: "Cron-Interval", Value: "10-seconds"}, arweave.Tag{Name: "Cron-Tag-Action", Value: "Inc"})
	var ids []string
	for i, a := range []string{"Inc", "Echo", "Time", "Error", "Send", "Fail", "Inc", "Trap", "Time", "Env", "Inc"} {
		w.advance(time.Duration(1+i%3) * 3 * time.Second)
		ids = append(ids, w.send(pid, a, "data "+strconv.Itoa(i)))
	}
	w.advance(25 * time.Second)

	type view struct {
		results, cron []byte
		perID         [][]byte
	}
	collect := func(base string, stepwise bool) view {
		var v view
		if stepwise {
			for _, id := range ids {
				confResult(t, base, pid, id)
			}
		}
		v.cron = confGet(t, base+"/cron/"+pid+"?limit=1000")
		v.results = confGet(t, base+"/results/"+pid+"?limit=1000")
		for _, id := range append([]string{pid}, ids...) {
			v.perID = append(v.perID, confResult(t, base, pid, id))
		}
		return v
	}
	a := collect(serve(t, w.newCU(t.TempDir())), false)
	b := collect(serve(t, w.newCU(t.TempDir())), true)
	var conn confConnection
	confDecode(t, a.results, &conn)
	if len(conn.Edges) < len(ids) { // errored ones are left out, ticks added
		t.Fatalf("only %d results", len(conn.Edges))
	}
	confDecode(t, a.cron, &conn)
	if len(conn.Edges) < 5 {
		t.Fatalf("only %d ticks", len(conn.Edges))
	}
	if !bytes.Equal(a.results, b.results) {
		t.Errorf("/results differ:\n%s\n%s", a.results, b.results)
	}
	if !bytes.Equal(a.cron, b.cron) {
		t.Errorf("/cron differ:\n%s\n%s", a.cron, b.cron)
	}
	for i := range a.perID {
		if !bytes.Equal(a.perID[i], b.perID[i]) {
			t.Errorf("result %d differs:\n%s\n%s", i, a.perID[i], b.perID[i])
		}
	}
}

// Check 37: a module (and process) without Memory-Limit or Compute-Limit,
// or with one above the CU's maximum, is refused with 413; an unsupported
// Module-Format with 422. A process tag overrides the module's.
func TestCheck37ModuleLimits(t *testing.T) {
	w := newWorld(t, "minimal-fmt2.wasm", "wasm32-unknown-emscripten2") // the world's module: 256-mb
	bin := moduleFile(t, "minimal-fmt2.wasm")
	_, noMemory := confPublish(w, bin, confModuleTags("wasm32-unknown-emscripten2", arweave.Tag{Name: "Compute-Limit", Value: "9000000000000"}))
	_, noCompute := confPublish(w, bin, confModuleTags("wasm32-unknown-emscripten2", arweave.Tag{Name: "Memory-Limit", Value: "256-mb"}))
	_, badFormat := confPublish(w, bin, confModuleTags("wasm32-unknown-nonesuch", confLimits...))
	base := serve(t, w.newCU(t.TempDir()))
	small := serve(t, w.newCU(t.TempDir(), func(c *cu.Config) { c.MaxMemory = 128 << 20 }))

	for _, c := range []struct {
		name   string
		base   string
		module string
		tags   []arweave.Tag
		want   int
		errHas string
	}{
		{"module without Memory-Limit", base, noMemory, nil, 413, "Memory-Limit"},
		{"module without Compute-Limit", base, noCompute, nil, 413, "Compute-Limit"},
		{"Memory-Limit above the CU maximum", small, w.module, nil, 413, "Memory-Limit"},
		{"process Memory-Limit above the maximum", base, w.module, []arweave.Tag{{Name: "Memory-Limit", Value: "2-gb"}}, 413, "Memory-Limit"},
		{"process Compute-Limit above the maximum", base, w.module, []arweave.Tag{{Name: "Compute-Limit", Value: "9000000000001"}}, 413, "Compute-Limit"},
		{"unsupported Module-Format", base, badFormat, nil, 422, "wasm32-unknown-nonesuch"},
		{"process gives the missing Memory-Limit", base, noMemory, []arweave.Tag{{Name: "Memory-Limit", Value: "64-mb"}}, 200, ""},
		{"process lowers the Memory-Limit under the maximum", small, w.module, []arweave.Tag{{Name: "Memory-Limit", Value: "64-mb"}}, 200, ""},
	} {
		pid := confSpawn(w, c.module, c.tags...)
		url := c.base + "/result/" + pid + "?process-id=" + pid
		code, h, body := confDo(t, http.MethodGet, url, nil)
		if c.want == 200 {
			if code != 200 || confOutput(t, body) != `"1"` {
				t.Errorf("%s: %d %s, want 200 with Output \"1\"", c.name, code, body)
			}
			continue
		}
		if msg := confError(t, c.name, code, h, body, c.want); !strings.Contains(msg, c.errHas) {
			t.Errorf("%s: error %q does not mention %s", c.name, msg, c.errHas)
		}
		// Every route refuses it the same way.
		code, h, body = confDo(t, http.MethodPost, c.base+"/dry-run?process-id="+pid, []byte(`{"Owner":"1234"}`))
		confError(t, c.name+" (dry-run)", code, h, body, c.want)
	}
}

// confTamperedSource is the SU with one entry changed on the way to the CU: a
// wrong Hash-Chain at nonce badNonce, or (drop) no entry at that nonce.
type confTamperedSource struct {
	cu.Source
	badNonce int64
	drop     bool
}

func (s confTamperedSource) fix(e *scheduler.Entry) *scheduler.Entry {
	if e.Nonce != s.badNonce {
		return e
	}
	bad := *e // the SU's entries are not ours to change
	bad.HashChain = "0ZX1h4ZwbeVQwOVG0e7GZ7kLELb5MCAxwgAPzGXsYVA"
	return &bad
}

func (s confTamperedSource) Entries(ctx context.Context, pid string, r scheduler.Range) ([]*scheduler.Entry, bool, error) {
	es, more, err := s.Source.Entries(ctx, pid, r)
	out := make([]*scheduler.Entry, 0, len(es))
	for _, e := range es {
		if s.drop && e.Nonce == s.badNonce {
			continue
		}
		out = append(out, s.fix(e))
	}
	return out, more, err
}

func (s confTamperedSource) Find(ctx context.Context, pid, id string) (*scheduler.Entry, error) {
	e, err := s.Source.Find(ctx, pid, id)
	if err != nil || s.drop {
		return e, err
	}
	return s.fix(e), nil
}

// Check 38: an SU stream with an entry whose Hash-Chain does not continue
// the chain fails evaluation with an error mentioning "HashChain invalid";
// the entries before it still evaluate, none after it does. A gap in the
// nonces fails the same way.
func TestCheck38HashChainInvalid(t *testing.T) {
	w := newWorld(t, "minimal-fmt2.wasm", "wasm32-unknown-emscripten2")
	pid := w.spawn()
	var ids []string
	for range 4 {
		ids = append(ids, w.send(pid, "Inc", ""))
	}
	// The SU's own stream is fine.
	if out := confOutput(t, confResult(t, serve(t, w.newCU(t.TempDir())), pid, ids[3])); out != `"5"` {
		t.Fatalf("honest stream: Output %s, want \"5\"", out)
	}
	for _, c := range []struct {
		name string
		src  confTamperedSource
	}{
		{"wrong Hash-Chain", confTamperedSource{Source: w.su, badNonce: 1}},
		{"missing nonce", confTamperedSource{Source: w.su, badNonce: 1, drop: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			base := serve(t, w.newCU(t.TempDir(), func(cfg *cu.Config) { cfg.Source = c.src }))
			if out := confOutput(t, confResult(t, base, pid, ids[0])); out != `"2"` {
				t.Fatalf("before the bad entry: Output %s, want \"2\"", out)
			}
			for _, id := range ids[1:] {
				if c.src.drop && id == ids[1] {
					continue // the SU (Find) no longer has it
				}
				code, h, body := confDo(t, http.MethodGet, base+"/result/"+id+"?process-id="+pid, nil)
				if msg := confError(t, "result "+id, code, h, body, http.StatusUnprocessableEntity); !strings.Contains(msg, "HashChain invalid") {
					t.Errorf("result %s: error %q does not mention HashChain invalid", id, msg)
				}
			}
			code, h, body := confDo(t, http.MethodGet, base+"/cron/"+pid, nil)
			if msg := confError(t, "cron", code, h, body, http.StatusUnprocessableEntity); !strings.Contains(msg, "HashChain invalid") {
				t.Errorf("cron: error %q does not mention HashChain invalid", msg)
			}
		})
	}
}
