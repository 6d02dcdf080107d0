package checkpoint_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aogo-dev/aogo/runtime/checkpoint"
	"github.com/aogo-dev/aogo/vm"
)

const pid = "EiEwRzYAUD4R4NGjYxjOzVLkpA_r00cPuNUvX7knPks"

func open(t *testing.T, keep int) (*checkpoint.Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := checkpoint.Open(checkpoint.Config{Dir: dir, Keep: keep})
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

// state is a small hand-made process state, different for each seed.
func state(seed int) *vm.State {
	mem := make([]byte, 2*65536)
	for i := 0; i < 3000; i++ {
		mem[(i*7919+seed*131)%len(mem)] = byte(i + seed)
	}
	return &vm.State{Format: vm.FormatEmscripten2, ModuleID: "test-module", Memory: mem, Host: vm.HostState{DateNow: uint64(10000 + seed)}}
}

func meta(p string, ordinal uint64, nonce int64, st *vm.State) checkpoint.Meta {
	return checkpoint.Meta{
		Process: p, Module: "test-module", Nonce: nonce, Timestamp: 1700000000000 + int64(ordinal)*1000,
		BlockHeight: 1300000 + int64(ordinal), HashChain: fmt.Sprintf("chain-%d", nonce), Assignment: fmt.Sprintf("asg-%d", nonce),
		CronIndex: -1, StateHash: st.Hash(), Ordinal: ordinal,
	}
}

// write stores a checkpoint of the hand-made state seed at ordinal (nonce =
// ordinal-1) and returns its metadata.
func write(t *testing.T, s *checkpoint.Store, p string, ordinal uint64) checkpoint.Meta {
	t.Helper()
	st := state(int(ordinal))
	m := meta(p, ordinal, int64(ordinal)-1, st)
	if err := s.Write(context.Background(), m, st.Encode); err != nil {
		t.Fatalf("write %d: %v", ordinal, err)
	}
	return m
}

func latest(t *testing.T, s *checkpoint.Store, before func(checkpoint.Meta) bool) checkpoint.Meta {
	t.Helper()
	m, st, err := s.Latest(context.Background(), pid, before)
	if err != nil {
		t.Fatalf("latest: %v", err)
	}
	if st.Hash() != m.StateHash {
		t.Fatalf("state hash %x, meta %x", st.Hash(), m.StateHash)
	}
	if want := state(int(m.Ordinal)); !bytes.Equal(st.Memory, want.Memory) || st.Host.DateNow != want.Host.DateNow {
		t.Fatalf("ordinal %d: state differs from the one written", m.Ordinal)
	}
	return m
}

// names lists the files of pid's directory.
func names(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(filepath.Join(dir, pid))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	return out
}

func TestRoundTripHandMadeState(t *testing.T) {
	s, _ := open(t, 0)
	st := state(7)
	st.Host.Files = []vm.OpenFile{{FD: 3, Path: "/data/x", Position: 12}}
	m := checkpoint.Meta{
		Process: pid, Module: "mod-id", Nonce: 41, Timestamp: 1700000123456, BlockHeight: 1500000,
		HashChain: "hc", Assignment: "asg", CronIndex: 2, StateHash: st.Hash(), Ordinal: 99,
	}
	if err := s.Write(context.Background(), m, st.Encode); err != nil {
		t.Fatal(err)
	}
	got, gst, err := s.Latest(context.Background(), pid, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got != m {
		t.Fatalf("meta: got %+v, want %+v", got, m)
	}
	if !bytes.Equal(gst.Memory, st.Memory) || gst.Host.Files[0] != st.Host.Files[0] || gst.ModuleID != st.ModuleID {
		t.Fatal("state differs")
	}
	list, err := s.List(pid)
	if err != nil || len(list) != 1 || list[0] != m {
		t.Fatalf("list: %v %+v", err, list)
	}
}

// TestRoundTripRealState checkpoints a live instance after a message and
// restores it into a fresh instance of the module.
func TestRoundTripRealState(t *testing.T) {
	const build = "../../vm/testdata/build"
	bin, err := os.ReadFile(filepath.Join(build, "minimal-fmt2.wasm"))
	if err != nil {
		t.Skipf("test modules are not built (make test-modules): %v", err)
	}
	msgs, err := os.ReadFile("../../vm/testdata/messages.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	env, err := os.ReadFile("../../vm/testdata/env.json")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rt, err := vm.New(ctx, vm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	mod, err := rt.Load(ctx, vm.ModuleSpec{ID: "minimal-fmt2", Format: vm.FormatEmscripten2, Binary: bin})
	if err != nil {
		t.Fatal(err)
	}
	inst, err := mod.Instantiate(ctx, vm.InstanceConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)
	first, _, _ := bytes.Cut(msgs, []byte("\n"))
	if _, err := inst.Handle(ctx, first, compact(t, env)); err != nil {
		t.Fatal(err)
	}
	hash, err := inst.StateHash()
	if err != nil {
		t.Fatal(err)
	}

	s, _ := open(t, 0)
	m := checkpoint.Meta{Process: pid, Module: "minimal-fmt2", Nonce: 1, Timestamp: 1700000001000, CronIndex: -1, StateHash: hash, Ordinal: 2}
	if err := s.Write(ctx, m, inst.EncodeState); err != nil {
		t.Fatal(err)
	}
	got, st, err := s.Latest(ctx, pid, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got != m {
		t.Fatalf("meta: got %+v, want %+v", got, m)
	}
	restored, err := mod.Instantiate(ctx, vm.InstanceConfig{}, st)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close(ctx)
	if h, err := restored.StateHash(); err != nil || h != hash {
		t.Fatalf("restored instance: hash %x (%v), want %x", h, err, hash)
	}
}

func compact(t *testing.T, b []byte) []byte {
	var out bytes.Buffer
	for _, line := range strings.Split(string(b), "\n") {
		out.WriteString(strings.TrimSpace(line))
	}
	return out.Bytes()
}

func TestNewestWins(t *testing.T) {
	s, _ := open(t, 5)
	for _, o := range []uint64{3, 10, 7} { // written out of order
		write(t, s, pid, o)
	}
	if m := latest(t, s, nil); m.Ordinal != 10 {
		t.Fatalf("latest ordinal %d, want 10", m.Ordinal)
	}
	list, err := s.List(pid)
	if err != nil {
		t.Fatal(err)
	}
	var got []uint64
	for _, m := range list {
		got = append(got, m.Ordinal)
	}
	if fmt.Sprint(got) != "[3 7 10]" {
		t.Fatalf("list ordinals %v, want [3 7 10] (oldest first)", got)
	}
}

func TestBeforeFilter(t *testing.T) {
	s, _ := open(t, 5)
	for o := uint64(1); o <= 4; o++ {
		write(t, s, pid, o)
	}
	var seen []uint64
	m := latest(t, s, func(m checkpoint.Meta) bool {
		seen = append(seen, m.Ordinal)
		return m.Nonce <= 1
	})
	if m.Ordinal != 2 {
		t.Fatalf("got ordinal %d, want 2", m.Ordinal)
	}
	if fmt.Sprint(seen) != "[4 3 2]" {
		t.Fatalf("filter saw %v, want newest first [4 3 2]", seen)
	}
	_, _, err := s.Latest(context.Background(), pid, func(checkpoint.Meta) bool { return false })
	if !errors.Is(err, checkpoint.ErrNotFound) {
		t.Fatalf("all refused: got %v, want ErrNotFound", err)
	}
}

func TestNotFound(t *testing.T) {
	s, _ := open(t, 0)
	if _, _, err := s.Latest(context.Background(), pid, nil); !errors.Is(err, checkpoint.ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
	if list, err := s.List(pid); err != nil || len(list) != 0 {
		t.Fatalf("list: %v %v", list, err)
	}
}

func TestKeepPruning(t *testing.T) {
	s, dir := open(t, 0) // default: 2
	for o := uint64(1); o <= 5; o++ {
		write(t, s, pid, o)
	}
	got := names(t, dir)
	want := []string{"00000000000000000004-3.ckpt", "00000000000000000005-4.ckpt"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	// Another process is pruned on its own.
	other := "other-process"
	write(t, s, other, 1)
	if list, _ := s.List(other); len(list) != 1 {
		t.Fatalf("other process: %d checkpoints", len(list))
	}
}

// damage functions, each applied to a checkpoint file's bytes.
var damages = map[string]func([]byte) []byte{
	"flip middle byte": func(b []byte) []byte { b[len(b)/2] ^= 0x40; return b },
	"flip last byte":   func(b []byte) []byte { b[len(b)-1] ^= 1; return b },
	"flip header byte": func(b []byte) []byte { b[20] ^= 1; return b }, // inside the metadata
	"truncate":         func(b []byte) []byte { return b[:len(b)*2/3] },
	"truncate header":  func(b []byte) []byte { return b[:12] },
	"empty":            func(b []byte) []byte { return nil },
	"garbage header":   func(b []byte) []byte { copy(b, "garbage!garbage!"); return b },
	"bad version":      func(b []byte) []byte { b[8] = 9; return b },
}

func TestDamagedFileSkipped(t *testing.T) {
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			s, dir := open(t, 5)
			write(t, s, pid, 1)
			write(t, s, pid, 2)
			path := filepath.Join(dir, pid, "00000000000000000002-1.ckpt")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, damage(b), 0o644); err != nil {
				t.Fatal(err)
			}
			if m := latest(t, s, nil); m.Ordinal != 1 {
				t.Fatalf("got ordinal %d, want the previous good one (1)", m.Ordinal)
			}
			got := names(t, dir)
			want := []string{"00000000000000000001-0.ckpt", "00000000000000000002-1.ckpt.corrupt"}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("files %v, want %v (damaged one renamed aside)", got, want)
			}
			if list, err := s.List(pid); err != nil || len(list) != 1 {
				t.Fatalf("list after: %v %v", list, err)
			}
		})
	}
}

func TestAllDamagedIsNotFound(t *testing.T) {
	s, dir := open(t, 0)
	write(t, s, pid, 1)
	path := filepath.Join(dir, pid, "00000000000000000001-0.ckpt")
	if err := os.Truncate(path, 30); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Latest(context.Background(), pid, nil); !errors.Is(err, checkpoint.ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
}

// TestMisnamedFileIsDamaged: a header that does not match its file name
// (a file copied or renamed by hand) is not trusted.
func TestMisnamedFileIsDamaged(t *testing.T) {
	s, dir := open(t, 5)
	write(t, s, pid, 1)
	write(t, s, pid, 2)
	d := filepath.Join(dir, pid)
	if err := os.Rename(filepath.Join(d, "00000000000000000001-0.ckpt"), filepath.Join(d, "00000000000000000003-2.ckpt")); err != nil {
		t.Fatal(err)
	}
	if m := latest(t, s, nil); m.Ordinal != 2 {
		t.Fatalf("got ordinal %d, want 2", m.Ordinal)
	}
}

func TestDamagedFilesPrunedLater(t *testing.T) {
	s, dir := open(t, 2)
	write(t, s, pid, 1)
	write(t, s, pid, 2)
	if err := os.Truncate(filepath.Join(dir, pid, "00000000000000000002-1.ckpt"), 50); err != nil {
		t.Fatal(err)
	}
	latest(t, s, nil) // renames ordinal 2 aside
	write(t, s, pid, 3)
	if got := names(t, dir); len(got) != 3 { // 1, 2.corrupt, 3: 2 is not older than every kept one
		t.Fatalf("files %v", got)
	}
	write(t, s, pid, 4)
	got := names(t, dir)
	want := []string{"00000000000000000003-2.ckpt", "00000000000000000004-3.ckpt"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("files %v, want %v", got, want)
	}
}

// TestCrashLeftoverTemp: a Write cut by a crash leaves a temporary file;
// readers ignore it and the process's next Write deletes it.
func TestCrashLeftoverTemp(t *testing.T) {
	s, dir := open(t, 0)
	write(t, s, pid, 1)
	// What a crash after a partial write of ordinal 2 leaves: a prefix of
	// a complete file under a temporary name.
	st := state(2)
	var full bytes.Buffer
	tmpStore, tmpDir := open(t, 0)
	if err := tmpStore.Write(context.Background(), meta(pid, 2, 1, st), st.Encode); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(tmpDir, pid, "00000000000000000002-1.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	full.Write(b[:len(b)/2])
	leftover := filepath.Join(dir, pid, ".tmp-1234567")
	if err := os.WriteFile(leftover, full.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	if m := latest(t, s, nil); m.Ordinal != 1 {
		t.Fatalf("got ordinal %d, want 1", m.Ordinal)
	}
	if list, _ := s.List(pid); len(list) != 1 {
		t.Fatalf("list sees %d checkpoints, want 1", len(list))
	}
	if _, err := os.Stat(leftover); err != nil {
		t.Fatalf("readers must not touch the temporary file: %v", err)
	}
	write(t, s, pid, 3)
	if _, err := os.Stat(leftover); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("leftover temporary file not cleaned by the next Write: %v", err)
	}
	if m := latest(t, s, nil); m.Ordinal != 3 {
		t.Fatalf("got ordinal %d, want 3", m.Ordinal)
	}
}

func TestWriteHashMismatch(t *testing.T) {
	s, dir := open(t, 0)
	st := state(1)
	m := meta(pid, 1, 0, st)
	m.StateHash[0] ^= 1
	err := s.Write(context.Background(), m, st.Encode)
	if !errors.Is(err, checkpoint.ErrHashMismatch) {
		t.Fatalf("got %v, want ErrHashMismatch", err)
	}
	if got := names(t, dir); len(got) != 0 {
		t.Fatalf("files left behind: %v", got)
	}
}

func TestWriteEncodeFails(t *testing.T) {
	s, dir := open(t, 0)
	write(t, s, pid, 1)
	boom := errors.New("boom")
	st := state(2)
	err := s.Write(context.Background(), meta(pid, 2, 1, st), func(w io.Writer) ([32]byte, error) {
		w.Write(make([]byte, 100))
		return [32]byte{}, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	if got := names(t, dir); fmt.Sprint(got) != "[00000000000000000001-0.ckpt]" {
		t.Fatalf("files %v", got)
	}
	if m := latest(t, s, nil); m.Ordinal != 1 {
		t.Fatalf("got %d", m.Ordinal)
	}
}

func TestWriteCancelled(t *testing.T) {
	s, dir := open(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st := state(1)
	if err := s.Write(ctx, meta(pid, 1, 0, st), st.Encode); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	if got := names(t, dir); len(got) != 0 {
		t.Fatalf("files %v", got)
	}
}

func TestBadProcessID(t *testing.T) {
	s, _ := open(t, 0)
	for _, p := range []string{"", "../x", "a/b", ".hidden", strings.Repeat("a", 129)} {
		st := state(1)
		if err := s.Write(context.Background(), meta(p, 1, 0, st), st.Encode); !errors.Is(err, checkpoint.ErrBadProcess) {
			t.Errorf("write %q: got %v", p, err)
		}
		if _, _, err := s.Latest(context.Background(), p, nil); !errors.Is(err, checkpoint.ErrBadProcess) {
			t.Errorf("latest %q: got %v", p, err)
		}
	}
}

func TestDiskUsageAndRemove(t *testing.T) {
	s, dir := open(t, 0)
	if n, err := s.DiskUsage(); err != nil || n != 0 {
		t.Fatalf("empty: %d %v", n, err)
	}
	write(t, s, pid, 1)
	write(t, s, pid, 2)
	write(t, s, "other", 1)
	var want int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			info, _ := d.Info()
			want += info.Size()
		}
		return nil
	})
	got, err := s.DiskUsage()
	if err != nil || got != want || got == 0 {
		t.Fatalf("usage %d (%v), want %d", got, err, want)
	}
	if err := s.Remove(pid); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Latest(context.Background(), pid, nil); !errors.Is(err, checkpoint.ErrNotFound) {
		t.Fatalf("after remove: %v", err)
	}
	after, _ := s.DiskUsage()
	if after >= got || after == 0 {
		t.Fatalf("usage after removing one process: %d (before %d)", after, got)
	}
	if err := s.Remove("never-written"); err != nil {
		t.Fatalf("remove of an unknown process: %v", err)
	}
}

// TestFileLayout pins the on-disk format's header (see the package doc).
func TestFileLayout(t *testing.T) {
	s, dir := open(t, 0)
	m := write(t, s, pid, 1)
	f, err := os.Open(filepath.Join(dir, pid, "00000000000000000001-0.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head := make([]byte, 9)
	io.ReadFull(br, head)
	if string(head) != "AOGOCKPT\x01" {
		t.Fatalf("header starts %q", head)
	}
	// After the metadata and its checksum comes vm.State.Encode's form.
	n, err := binary.ReadUvarint(br)
	if err != nil {
		t.Fatal(err)
	}
	br.Discard(int(n) + 4)
	st, err := vm.DecodeState(br)
	if err != nil || st.Hash() != m.StateHash {
		t.Fatalf("state after the header: %v", err)
	}
}

// TestConcurrentProcesses writes and reads many processes at once (run
// with -race).
func TestConcurrentProcesses(t *testing.T) {
	s, _ := open(t, 2)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for p := 0; p < 8; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			id := fmt.Sprintf("proc-%d", p)
			for o := uint64(1); o <= 5; o++ {
				st := state(int(o))
				if err := s.Write(context.Background(), meta(id, o, int64(o)-1, st), st.Encode); err != nil {
					errs <- err
					return
				}
				m, _, err := s.Latest(context.Background(), id, nil)
				if err != nil || m.Ordinal != o {
					errs <- fmt.Errorf("%s: latest %d, %v", id, m.Ordinal, err)
					return
				}
			}
		}(p)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestWriteHashFromEncoding: a zero StateHash is filled with the hash the
// encoding returns (the state is hashed once).
func TestWriteHashFromEncoding(t *testing.T) {
	s, _ := open(t, 2)
	st := state(7)
	m := meta(pid, 7, 6, st)
	m.StateHash = [32]byte{}
	if err := s.Write(context.Background(), m, st.Encode); err != nil {
		t.Fatal(err)
	}
	got := latest(t, s, nil) // checks the state against the stored hash
	if got.StateHash != st.Hash() || got.Ordinal != 7 || got.Nonce != 6 {
		t.Fatalf("metadata %+v, want the state's hash %x", got, st.Hash())
	}
}
