package jsonstr

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestLossy checks the maximal-subpart replacement against what
// Node's TextDecoder (WHATWG, the same rule as Rust's from_utf8_lossy)
// printed for these inputs.
func TestLossy(t *testing.T) {
	cases := []struct{ in, want string }{
		{"e282", "efbfbd"},
		{"61ff62", "61efbfbd62"},
		{"f09080", "efbfbd"},
		{"eda080", "efbfbdefbfbdefbfbd"},
		{"c0af", "efbfbdefbfbd"},
		{"e08041", "efbfbdefbfbd41"},
		{"f4908080", "efbfbdefbfbdefbfbdefbfbd"},
		{"f18041e282ac", "efbfbd41e282ac"},
		{"68c3a9", "68c3a9"},
	}
	for _, c := range cases {
		in, _ := hex.DecodeString(c.in)
		if got := hex.EncodeToString([]byte(Lossy(in))); got != c.want {
			t.Errorf("%s: %s, want %s", c.in, got, c.want)
		}
	}
}

func FuzzLossy(f *testing.F) {
	f.Add([]byte("hello"))
	f.Add([]byte{0xf0, 0x90, 0x80, 0x41})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := Lossy(b)
		if !utf8.ValidString(s) {
			t.Fatalf("%x: invalid output", b)
		}
		if utf8.Valid(b) && s != string(b) {
			t.Fatalf("%x: valid input changed", b)
		}
	})
}

// TestAppend checks Append against what JSON.stringify printed for the same
// strings (Node 20).
func TestAppend(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{"q\"b\\s", `"q\"b\\s"`},
		{"\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"\x00\x01\x1f\x7f", `"\u0000\u0001\u001f` + "\x7f" + `"`},
		{"<a&b>", `"<a&b>"`},
		{"\u2028\u2029é€😀", "\"\u2028\u2029é€😀\""},
		{"a\xffb", "\"a\ufffdb\""},
		{"\xf0\x90\x80", "\"\ufffd\""},
	}
	for _, c := range cases {
		if got := string(Append(nil, c.in)); got != c.want {
			t.Errorf("%q: %s, want %s", c.in, got, c.want)
		}
	}
}

func FuzzAppend(f *testing.F) {
	f.Add("hello \u2028 \x01 \"")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, s string) {
		b := Append(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q: %s is not JSON: %v", s, b, err)
		}
		if back != Lossy([]byte(s)) {
			t.Fatalf("%q: read back as %q", s, back)
		}
	})
}

// FuzzAppendGo checks AppendGo against encoding/json (HTML escaping off).
func FuzzAppendGo(f *testing.F) {
	f.Add("a<b>&\"\\\n\r\t\b\f\x01\x7f é \u2028\u2029 \xff😀")
	f.Add("\xf0\x90\x80A")
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got := AppendGo(nil, s); string(got) != strings.TrimSuffix(want.String(), "\n") {
			t.Fatalf("%q: %s, want %s", s, got, want.String())
		}
	})
}
