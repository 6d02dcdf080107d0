package guest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

// withHandler installs a handler for one test and puts back whatever was
// registered before (example_test.go registers one in init).
func withHandler(t testing.TB, typed HandlerFunc, raw RawHandlerFunc) {
	t.Helper()
	saved, savedLog := handler, panicLog
	handler.typed, handler.raw = typed, raw
	panicLog = io.Discard
	t.Cleanup(func() { handler, panicLog = saved, savedLog })
}

const (
	testMsg = `{"Id":"m1","Owner":"o","From":"f","Target":"pid","Anchor":"a","Signature":"s",` +
		`"Tags":[{"name":"Action","value":"Inc"},{"name":"Action","value":"Dup"},{"name":"Empty","value":""}],` +
		`"Data":"hi","Epoch":0,"Nonce":7,"Timestamp":1700000000000,"Block-Height":1234,` +
		`"Hash-Chain":"hc","Forwarded-By":"fw","Cron":false,"Read-Only":true,"Module":"ignored"}`
	testEnv = `{"Process":{"Id":"pid","Owner":"po","Tags":[{"name":"Module","value":"mod"}]},` +
		`"Module":{"Id":"mod","Owner":"mo","Tags":[]}}`
)

func TestTags(t *testing.T) {
	tags := Tags{{"Action", "Inc"}, {"Action", "Dup"}, {"Empty", ""}}
	for _, tc := range []struct {
		name, want string
		found      bool
	}{
		{"Action", "Inc", true}, // the first of a repeated name
		{"Empty", "", true},
		{"Missing", "", false},
		{"action", "", false}, // exact match only
	} {
		got, found := tags.Lookup(tc.name)
		if got != tc.want || found != tc.found {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tc.name, got, found, tc.want, tc.found)
		}
		if g := tags.Get(tc.name); g != tc.want {
			t.Errorf("Get(%q) = %q; want %q", tc.name, g, tc.want)
		}
	}
}

func TestDecodeMessage(t *testing.T) {
	m, err := DecodeMessage([]byte(testMsg))
	if err != nil {
		t.Fatal(err)
	}
	want := Message{
		ID: "m1", Owner: "o", From: "f", Target: "pid", Anchor: "a", Signature: "s",
		Tags:  Tags{{"Action", "Inc"}, {"Action", "Dup"}, {"Empty", ""}},
		Data:  "hi",
		Nonce: 7, Timestamp: 1700000000000, BlockHeight: 1234,
		HashChain: "hc", ForwardedBy: "fw", ReadOnly: true,
		Raw: []byte(testMsg),
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got  %+v\nwant %+v", m, want)
	}
}

// TestDecodeMessageFields covers the spellings the host may use for each
// field; every case goes through both decoders.
func TestDecodeMessageFields(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Message // Raw is filled in
		wantErr  bool
	}{
		{name: "empty object", in: `{}`},
		{name: "nulls leave zero values", in: `{"Id":null,"Data":null,"Anchor":null,"Nonce":null,"Cron":null,"Tags":null}`},
		{name: "numbers as strings", in: `{"Nonce":"12","Timestamp":"1700000000000","Block-Height":"000000001234","Epoch":"0"}`,
			want: Message{Nonce: 12, Timestamp: 1700000000000, BlockHeight: 1234}},
		{name: "integral floats", in: `{"Timestamp":1.7e12,"Nonce":3.0}`, want: Message{Timestamp: 1700000000000, Nonce: 3}},
		{name: "escapes and unicode", in: `{"Data":"a\"b\\c\n\u00e9\ud83d\ude00 \u2028é"}`, want: Message{Data: "a\"b\\c\né😀 \u2028é"}},
		{name: "escaped key", in: `{"\u0049d":"x"}`, want: Message{ID: "x"}},
		{name: "key in another case", in: `{"id":"x","DATA":"y"}`, want: Message{ID: "x", Data: "y"}},
		{name: "non-string Data keeps its JSON", in: `{"Data":{"a": [1, 2]}}`, want: Message{Data: `{"a":[1,2]}`}},
		{name: "empty tag list", in: `{"Tags":[]}`, want: Message{Tags: Tags{}}},
		{name: "unknown fields skipped", in: `{"X":{"deep":[true,false,null,-1.5e-3,"s"]},"Id":"m"}`, want: Message{ID: "m"}},
		{name: "white space", in: " {\n\t\"Id\" : \"m\" ,\r\"Cron\":true } \n", want: Message{ID: "m", Cron: true}},
		{name: "fraction", in: `{"Nonce":1.5}`, wantErr: true},
		{name: "out of range", in: `{"Nonce":1e19}`, wantErr: true},
		{name: "not a number", in: `{"Nonce":"seven"}`, wantErr: true},
		{name: "wrong type", in: `{"Id":5}`, wantErr: true},
		{name: "bool as string", in: `{"Cron":"true"}`, wantErr: true},
		{name: "trailing data", in: `{} {}`, wantErr: true},
		{name: "truncated", in: `{"Id":"m"`, wantErr: true},
		{name: "not an object", in: `[]`, wantErr: true},
		{name: "empty input", in: ``, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeMessage([]byte(tc.in))
			ref, refErr := decodeMessageJSON([]byte(tc.in))
			if (err != nil) != tc.wantErr || (refErr != nil) != tc.wantErr {
				t.Fatalf("err = %v, encoding/json err = %v; want error: %v", err, refErr, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			tc.want.Raw = []byte(tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %#v\nwant %#v", got, tc.want)
			}
			if !reflect.DeepEqual(ref, tc.want) {
				t.Errorf("encoding/json got %#v", ref)
			}
		})
	}
}

func TestDecodeEnv(t *testing.T) {
	e, err := DecodeEnv([]byte(testEnv))
	if err != nil {
		t.Fatal(err)
	}
	want := Env{
		Process: Item{ID: "pid", Owner: "po", Tags: Tags{{"Module", "mod"}}},
		Module:  Item{ID: "mod", Owner: "mo", Tags: Tags{}},
		Raw:     []byte(testEnv),
	}
	if !reflect.DeepEqual(e, want) {
		t.Errorf("got  %+v\nwant %+v", e, want)
	}
	if _, err := DecodeEnv([]byte(`{"Process":[]}`)); err == nil {
		t.Error("an env whose Process is not an object decoded")
	}
}

func TestInvoke(t *testing.T) {
	echo := func(msg Message, env Env) (Response, error) {
		return Response{Output: msg.Tags.Get("Action") + " " + env.Process.ID}, nil
	}
	for _, tc := range []struct {
		name     string
		typed    HandlerFunc
		raw      RawHandlerFunc
		msg, env string
		want     string
	}{
		{name: "output", typed: echo, msg: testMsg, env: testEnv,
			want: `{"ok":true,"response":{"Output":"Inc pid","Messages":[],"Spawns":[],"Assignments":[]}}`},
		{name: "nil output is left out", msg: testMsg, env: testEnv,
			typed: func(Message, Env) (Response, error) { return Response{}, nil },
			want:  `{"ok":true,"response":{"Messages":[],"Spawns":[],"Assignments":[]}}`},
		{name: "object output", msg: testMsg, env: testEnv,
			typed: func(Message, Env) (Response, error) {
				return Response{Output: map[string]any{"data": "<x>", "prompt": "> "}}, nil
			},
			want: `{"ok":true,"response":{"Output":{"data":"<x>","prompt":"> "},"Messages":[],"Spawns":[],"Assignments":[]}}`},
		{name: "error drops the response", msg: testMsg, env: testEnv,
			typed: func(Message, Env) (Response, error) {
				return Response{Output: "lost", Messages: []OutMessage{{Target: "t"}}}, errors.New("requested error")
			},
			want: `{"ok":true,"response":{"Messages":[],"Spawns":[],"Assignments":[],"Error":"requested error"}}`},
		{name: "error with empty text", msg: testMsg, env: testEnv,
			typed: func(Message, Env) (Response, error) { return Response{}, errors.New("") },
			want:  `{"ok":true,"response":{"Messages":[],"Spawns":[],"Assignments":[],"Error":"error"}}`},
		{name: "Error set by the handler keeps the response", msg: testMsg, env: testEnv,
			typed: func(Message, Env) (Response, error) { return Response{Output: "kept", Error: "soft"}, nil },
			want:  `{"ok":true,"response":{"Output":"kept","Messages":[],"Spawns":[],"Assignments":[],"Error":"soft"}}`},
		{name: "panic", msg: testMsg, env: testEnv,
			typed: func(Message, Env) (Response, error) {
				var m map[string]int
				m["x"] = 1
				return Response{}, nil
			},
			want: `{"ok":true,"response":{"Messages":[],"Spawns":[],"Assignments":[],"Error":"panic: assignment to entry in nil map"}}`},
		{name: "panic with an error value", msg: testMsg, env: testEnv,
			typed: func(Message, Env) (Response, error) { panic(errors.New("boom")) },
			want:  `{"ok":true,"response":{"Messages":[],"Spawns":[],"Assignments":[],"Error":"panic: boom"}}`},
		{name: "unencodable output", msg: testMsg, env: testEnv,
			typed: func(Message, Env) (Response, error) { return Response{Output: make(chan int)}, nil },
			want:  `{"ok":true,"response":{"Messages":[],"Spawns":[],"Assignments":[],"Error":"guest: encoding response: json: unsupported type: chan int"}}`},
		{name: "thrown", msg: testMsg, env: testEnv,
			typed: func(Message, Env) (Response, error) {
				return Response{Output: "lost"}, Throw(map[string]string{"Error": "rejected"})
			},
			want: `{"ok":false,"response":{"Error":"rejected"}}`},
		{name: "thrown and wrapped", msg: testMsg, env: testEnv,
			typed: func(Message, Env) (Response, error) {
				return Response{}, fmt.Errorf("context: %w", Throw("text & <more>"))
			},
			want: `{"ok":false,"response":"text & <more>"}`},
		{name: "thrown value not encodable", msg: testMsg, env: testEnv,
			typed: func(Message, Env) (Response, error) { return Response{}, Throw(func() {}) },
			want:  `{"ok":true,"response":{"Messages":[],"Spawns":[],"Assignments":[],"Error":"guest: encoding thrown value: json: unsupported type: func()"}}`},
		{name: "bad message JSON", typed: echo, msg: `{`, env: testEnv,
			want: `{"ok":false,"response":"guest: decoding message: unexpected end of JSON input"}`},
		{name: "bad env JSON", typed: echo, msg: testMsg, env: `nope`,
			want: `{"ok":false,"response":"guest: decoding env: invalid character 'o' in literal null (expecting 'u')"}`},
		{name: "no handler", msg: testMsg, env: testEnv,
			want: `{"ok":false,"response":"guest: no handler registered (call guest.Handle from an init function)"}`},
		{name: "raw handler", msg: testMsg, env: testEnv,
			raw:  func(msg, env []byte) []byte { return []byte(`{"ok":true,"response":{"Output":` + string(env) + `}}`) },
			want: `{"ok":true,"response":{"Output":` + testEnv + `}}`},
		{name: "raw handler panic", msg: testMsg, env: testEnv,
			raw:  func(msg, env []byte) []byte { panic(errors.New("raw boom")) },
			want: `{"ok":true,"response":{"Messages":[],"Spawns":[],"Assignments":[],"Error":"panic: raw boom"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			withHandler(t, tc.typed, tc.raw)
			got := Invoke([]byte(tc.msg), []byte(tc.env))
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if !json.Valid(got) {
				t.Errorf("result is not valid JSON: %s", got)
			}
		})
	}
}

func TestInvokeLogsPanicStack(t *testing.T) {
	withHandler(t, func(Message, Env) (Response, error) { panic(errors.New("boom")) }, nil)
	var log bytes.Buffer
	panicLog = &log
	Invoke([]byte(`{}`), []byte(`{}`))
	if !strings.HasPrefix(log.String(), "guest: recovered panic: boom\ngoroutine ") {
		t.Errorf("panic log = %q", log.String())
	}
}

func TestRegister(t *testing.T) {
	withHandler(t, nil, nil)
	f := func(Message, Env) (Response, error) { return Response{}, nil }
	mustPanic := func(name string, want error, register func()) {
		t.Helper()
		defer func() {
			if v := recover(); v != want {
				t.Errorf("%s: recovered %v, want %v", name, v, want)
			}
		}()
		register()
	}
	mustPanic("nil", errNilHandler, func() { Handle(nil) })
	mustPanic("nil raw", errNilHandler, func() { HandleRaw(nil) })
	Handle(f)
	mustPanic("twice", errAlreadyRegistered, func() { Handle(f) })
	mustPanic("raw after typed", errAlreadyRegistered, func() { HandleRaw(func(m, e []byte) []byte { return nil }) })
}

// wireResponse is the shape appendResult writes, as encoding/json would
// write it: the reference for the hand-written encoder.
type wireResponse struct {
	Output      any          `json:"Output,omitempty"`
	Messages    []OutMessage `json:"Messages"`
	Spawns      []Spawn      `json:"Spawns"`
	Assignments []Assignment `json:"Assignments"`
	Error       string       `json:"Error,omitempty"`
}

// referenceResult encodes r with encoding/json.
func referenceResult(t testing.TB, r Response) string {
	w := wireResponse{Output: r.Output, Messages: r.Messages, Spawns: r.Spawns, Assignments: r.Assignments, Error: r.Error}
	if w.Messages == nil {
		w.Messages = []OutMessage{}
	}
	if w.Spawns == nil {
		w.Spawns = []Spawn{}
	}
	if w.Assignments == nil {
		w.Assignments = []Assignment{}
	}
	b, err := marshal(struct {
		OK       bool         `json:"ok"`
		Response wireResponse `json:"response"`
	}{true, w})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEncodeResponse(t *testing.T) {
	for _, r := range []Response{
		{},
		{Output: ""},
		{Output: 42},
		{Output: json.RawMessage(` {"a" : 1} `)},
		{Output: "a<b>&\"\\\n\r\t\b\f\x01\x7f é \u2028\u2029 \xff😀"},
		{
			Messages: []OutMessage{
				{Target: "t", Data: "ping", Tags: Tags{{"Action", "Ping"}}},
				{Target: "u", Anchor: "00000000000000000000000000000001", Data: ""},
			},
			Spawns:      []Spawn{{Data: "child"}, {Anchor: "a", Data: "d", Tags: Tags{{"Module", "m"}}}},
			Assignments: []Assignment{{Processes: []string{"p1", "p2"}, Message: "m1"}, {Message: "m2"}, {Processes: []string{}}},
			Error:       "e",
		},
	} {
		got := string(EncodeResponse(r))
		if want := referenceResult(t, r); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}

func FuzzDecodeMessage(f *testing.F) {
	for _, s := range []string{
		testMsg, `{}`, `{"Tags":[{"name":"a","value":"b","x":1}]}`, `{"Tags":[],"Tags":[{"name":"a"}]}`,
		`{"Nonce":"1e3","Timestamp":-0,"Epoch":1E2}`, `{"Data":"\ud800"}`, `{"Data":[1,{"a":null}]}`,
		`{"NAME":1}`, `{"Tags":[{"NAME":"x","value":"y"}]}`, `{"Cron":true,"Read-Only":false}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fast, ok := fastMessage(raw)
		ref, err := decodeMessageJSON(raw)
		if !ok {
			return
		}
		if err != nil {
			t.Fatalf("fast decoder accepted what encoding/json rejects (%v): %q", err, raw)
		}
		if !reflect.DeepEqual(fast, ref) {
			t.Fatalf("decoders differ on %q\nfast %#v\njson %#v", raw, fast, ref)
		}
	})
}

func FuzzDecodeEnv(f *testing.F) {
	for _, s := range []string{
		testEnv, `{}`, `{"Process":null}`, `{"Process":{},"Process":{"Id":"x"}}`,
		`{"Module":{"Tags":[{"name":"a","value":"b"}],"Tags":[]}}`, `{"process":{"id":"x"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fast, ok := fastEnv(raw)
		ref, err := decodeEnvJSON(raw)
		if !ok {
			return
		}
		if err != nil {
			t.Fatalf("fast decoder accepted what encoding/json rejects (%v): %q", err, raw)
		}
		if !reflect.DeepEqual(fast, ref) {
			t.Fatalf("decoders differ on %q\nfast %#v\njson %#v", raw, fast, ref)
		}
	})
}

func FuzzEncodeResponse(f *testing.F) {
	f.Add("out", "target", "anchor", "data", "name", "value", "err", true)
	f.Add("<&>\u2028\xff\x00", "", "", "", "", "", "", false)
	f.Fuzz(func(t *testing.T, out, target, anchor, data, name, value, errText string, outputSet bool) {
		r := Response{
			Messages:    []OutMessage{{Target: target, Anchor: anchor, Data: data, Tags: Tags{{name, value}}}},
			Spawns:      []Spawn{{Anchor: anchor, Data: data}},
			Assignments: []Assignment{{Processes: []string{target, name}, Message: value}},
			Error:       errText,
		}
		if outputSet {
			r.Output = out
		}
		got := string(EncodeResponse(r))
		if want := referenceResult(t, r); got != want {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	})
}

func BenchmarkInvoke(b *testing.B) {
	withHandler(b, func(Message, Env) (Response, error) { return Response{Output: "1"}, nil }, nil)
	msg, env := []byte(testMsg), []byte(testEnv)
	for b.Loop() {
		Invoke(msg, env)
	}
}

func BenchmarkDecodeMessage(b *testing.B) {
	for b.Loop() {
		DecodeMessage([]byte(testMsg))
	}
}

func BenchmarkDecodeMessageJSON(b *testing.B) {
	for b.Loop() {
		decodeMessageJSON([]byte(testMsg))
	}
}

func BenchmarkDecodeEnv(b *testing.B) {
	for b.Loop() {
		DecodeEnv([]byte(testEnv))
	}
}

func BenchmarkEncodeResponse(b *testing.B) {
	for b.Loop() {
		EncodeResponse(Response{Output: "1"})
	}
}
