package vm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// lowerer turns memory64 modules into wasm32 ones with binaryen's
// `wasm-opt --memory64-lowering` (wazero has no memory64). The result keeps
// the module's i64 pointers in its imports and exports; the host functions
// take either width. Lowered modules are cached by the input's SHA-256 and
// the wasm-opt version, because lowering must itself be deterministic.
type lowerer struct {
	bin string
	dir string // "" caches in memory only

	mu      sync.Mutex
	version string
	memory  map[[32]byte][]byte
}

func newLowerer(bin, cacheDir string) *lowerer {
	if bin == "" {
		bin = "wasm-opt"
	}
	dir := ""
	if cacheDir != "" {
		dir = filepath.Join(cacheDir, "lowered")
	}
	return &lowerer{bin: bin, dir: dir, memory: map[[32]byte][]byte{}}
}

func (l *lowerer) lower(ctx context.Context, in []byte) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.version == "" {
		out, err := exec.CommandContext(ctx, l.bin, "--version").Output()
		if err != nil {
			return nil, fmt.Errorf("lowering a memory64 module needs binaryen's wasm-opt (%s): %w", l.bin, err)
		}
		l.version = string(bytes.TrimSpace(out))
	}
	key := sha256.Sum256(append(append([]byte(l.version), 0), in...))
	if out, ok := l.memory[key]; ok {
		return out, nil
	}
	path := ""
	if l.dir != "" {
		path = filepath.Join(l.dir, hex.EncodeToString(key[:])+".wasm")
		if out, err := os.ReadFile(path); err == nil {
			l.memory[key] = out
			return out, nil
		}
	}
	tmp, err := os.MkdirTemp("", "aogo-lower-")
	if err != nil {
		return nil, fmt.Errorf("lower memory64: %w", err)
	}
	defer os.RemoveAll(tmp)
	src, dst := filepath.Join(tmp, "in.wasm"), filepath.Join(tmp, "out.wasm")
	if err := os.WriteFile(src, in, 0o600); err != nil {
		return nil, fmt.Errorf("lower memory64: %w", err)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, l.bin, "--enable-memory64", "--enable-bulk-memory", "--enable-simd",
		"--enable-mutable-globals", "--enable-sign-ext", "--enable-nontrapping-float-to-int",
		"--enable-multivalue", "--memory64-lowering", src, "-o", dst)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w: wasm-opt --memory64-lowering failed: %v: %s", ErrBadModule, err, bytes.TrimSpace(stderr.Bytes()))
	}
	out, err := os.ReadFile(dst)
	if err != nil {
		return nil, fmt.Errorf("lower memory64: %w", err)
	}
	if path != "" {
		if err := writeFileAtomic(path, out); err != nil {
			return nil, fmt.Errorf("lower memory64: cache: %w", err)
		}
	}
	l.memory[key] = out
	return out, nil
}

// writeFileAtomic writes a file by rename, so a crash never leaves half of it.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}
