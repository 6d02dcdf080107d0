package vm

import (
	"bytes"
	"errors"
	"testing"
)

func testState() *State {
	mem := make([]byte, 3*65536)
	for i := range mem {
		if i%7 == 0 {
			mem[i] = byte(i)
		}
	}
	return &State{
		Format: FormatNative, ModuleID: "module", Memory: mem,
		Globals: []uint64{1, 1 << 40, 0},
		Host:    HostState{DateNow: 10005, Clock: 123456, Files: []OpenFile{{FD: 3, Path: "/data/x", Position: 9}}},
	}
}

func TestStateRoundTrip(t *testing.T) {
	s := testState()
	raw, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) >= len(s.Memory) {
		t.Errorf("encoded %d bytes of memory into %d: not compressed", len(s.Memory), len(raw))
	}
	got, err := UnmarshalState(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash() != s.Hash() || !bytes.Equal(got.Memory, s.Memory) || got.Host.Files[0] != s.Host.Files[0] ||
		got.Host.DateNow != s.Host.DateNow || got.Host.Clock != s.Host.Clock || len(got.Globals) != 3 || got.Globals[1] != 1<<40 {
		t.Fatalf("round trip changed the state: %+v", got.Host)
	}
}

func TestStateHash(t *testing.T) {
	s := testState()
	s.Format = FormatEmscripten2
	emscripten := s.Hash()
	s.Globals[0] = 99 // not part of an emscripten state's hash: memory alone
	if s.Hash() != emscripten {
		t.Error("an emscripten state hash depends on more than memory")
	}
	s.Format = FormatNative
	native := s.Hash()
	s.Globals[0] = 100
	if s.Hash() == native {
		t.Error("a native state hash ignores the globals")
	}
}

func TestStateCorruptionDetected(t *testing.T) {
	raw, err := testState().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func([]byte) []byte{
		"magic":     func(b []byte) []byte { b[0] ^= 1; return b },
		"version":   func(b []byte) []byte { b[8] = 9; return b },
		"payload":   func(b []byte) []byte { b[len(b)/2] ^= 0x40; return b },
		"hash":      func(b []byte) []byte { b[len(b)-1] ^= 1; return b },
		"truncated": func(b []byte) []byte { return b[:len(b)-40] },
		"empty":     func(b []byte) []byte { return nil },
	} {
		b := mutate(bytes.Clone(raw))
		if _, err := UnmarshalState(b); !errors.Is(err, ErrBadState) {
			t.Errorf("%s: err = %v, want ErrBadState", name, err)
		}
	}
}

func FuzzUnmarshalState(f *testing.F) {
	raw, _ := testState().MarshalBinary()
	f.Add(raw)
	f.Add([]byte("AOGOVMST\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := UnmarshalState(b)
		if err == nil {
			if _, err := s.MarshalBinary(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
