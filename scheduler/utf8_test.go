package scheduler

import (
	"encoding/hex"
	"testing"
	"unicode/utf8"
)

// TestLossyUTF8 checks the maximal-subpart replacement against what
// Node's TextDecoder (WHATWG, the same rule as Rust's from_utf8_lossy)
// printed for these inputs.
func TestLossyUTF8(t *testing.T) {
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
		if got := hex.EncodeToString([]byte(LossyUTF8(in))); got != c.want {
			t.Errorf("%s: %s, want %s", c.in, got, c.want)
		}
	}
}

func FuzzLossyUTF8(f *testing.F) {
	f.Add([]byte("hello"))
	f.Add([]byte{0xf0, 0x90, 0x80, 0x41})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := LossyUTF8(b)
		if !utf8.ValidString(s) {
			t.Fatalf("%x: invalid output", b)
		}
		if utf8.Valid(b) && s != string(b) {
			t.Fatalf("%x: valid input changed", b)
		}
	})
}
