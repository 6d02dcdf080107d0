package vm

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Config configures a Runtime. The zero value works: an in-memory
// compilation cache, the default limits, no WeaveDrive and no host calls.
type Config struct {
	// CacheDir holds the compilation cache and lowered memory64 modules
	// ("" keeps compiled code in memory only).
	CacheDir string
	// MaxMemory and MaxCompute cap every process's limits (0: the defaults,
	// 1 GiB and 9e12 as the reference CU).
	MaxMemory  uint64
	MaxCompute uint64
	// WasmOpt is binaryen's wasm-opt, used to lower memory64 modules
	// ("": wasm-opt on PATH).
	WasmOpt string
	// Drive serves WeaveDrive reads (nil: modules can open no Arweave files).
	Drive Drive
	// HostCalls are the functions modules may call through aogo.host_call,
	// by name. They must be deterministic functions of their input.
	HostCalls map[string]HostCall
	// Logger receives debug logs (nil: discard).
	Logger *slog.Logger
}

// Runtime compiles modules and creates instances. It is safe for concurrent
// use; Close releases everything, including live instances.
type Runtime struct {
	cfg      Config
	log      *slog.Logger
	wz       wazero.Runtime
	cache    wazero.CompilationCache
	counters *counters
	lower    *lowerer

	mu      sync.Mutex
	modules map[string]*loading
}

// loading is a module being compiled or compiled: concurrent Loads of one id
// wait for the first.
type loading struct {
	done   chan struct{}
	sum    [32]byte
	module *Module
	err    error
}

// New creates a Runtime.
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	if cfg.MaxMemory == 0 {
		cfg.MaxMemory = DefaultMaxMemory
	}
	if cfg.MaxMemory > maxWasm32Memory {
		return nil, fmt.Errorf("vm: MaxMemory %d is above 4 GiB, the most a wasm32 memory can hold", cfg.MaxMemory)
	}
	if cfg.MaxCompute == 0 {
		cfg.MaxCompute = DefaultMaxCompute
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var cache wazero.CompilationCache
	if cfg.CacheDir != "" {
		dir := filepath.Join(cfg.CacheDir, "compiled")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("vm: cache dir: %w", err)
		}
		c, err := wazero.NewCompilationCacheWithDir(dir)
		if err != nil {
			return nil, fmt.Errorf("vm: compilation cache: %w", err)
		}
		cache = c
	} else {
		cache = wazero.NewCompilationCache()
	}
	rc := wazero.NewRuntimeConfigCompiler().
		WithCompilationCache(cache).
		WithCoreFeatures(api.CoreFeaturesV2).
		// No WithCloseOnContextDone: it makes compiled code check for a
		// closed module at every call and loop (measured 4.5 times slower
		// export calls, 3-5 times slower Go guests). Every evaluation is
		// bounded by gas or the instruction budget instead, and a context
		// that ends exhausts those (Instance.exhaust).
		WithCloseOnContextDone(false)
	wz := wazero.NewRuntimeWithConfig(ctx, rc)
	ctrs, err := compileCounters(ctx, wz)
	if err != nil {
		_ = wz.Close(ctx)
		return nil, err
	}
	r := &Runtime{
		cfg:      cfg,
		log:      log,
		wz:       wz,
		cache:    cache,
		counters: ctrs,
		lower:    newLowerer(cfg.WasmOpt, cfg.CacheDir),
		modules:  map[string]*loading{},
	}
	return r, nil
}

// Close closes every module and instance and the compilation cache.
func (r *Runtime) Close(ctx context.Context) error {
	err := r.wz.Close(ctx)
	return errors.Join(err, r.cache.Close(ctx))
}

// ModuleSpec names a module binary and its format.
type ModuleSpec struct {
	// ID is the module's Arweave id (any stable name for local modules).
	ID     string
	Format Format
	Binary []byte
}

// Load compiles a module, or returns the one already compiled under its id.
// The same id with different bytes is an error. A bad module (not wasm, a
// format it does not speak, a missing handle export, imports the vm does not
// provide) fails with ErrBadModule; an unknown format with
// ErrUnsupportedFormat.
func (r *Runtime) Load(ctx context.Context, spec ModuleSpec) (*Module, error) {
	if spec.ID == "" {
		return nil, fmt.Errorf("vm: load: %w: empty module id", ErrBadModule)
	}
	sum := sha256.Sum256(spec.Binary)
	r.mu.Lock()
	l, ok := r.modules[spec.ID]
	if !ok {
		l = &loading{done: make(chan struct{}), sum: sum}
		r.modules[spec.ID] = l
		r.mu.Unlock()
		l.module, l.err = r.compile(ctx, spec)
		if l.err != nil {
			r.mu.Lock()
			delete(r.modules, spec.ID)
			r.mu.Unlock()
		}
		close(l.done)
	} else {
		r.mu.Unlock()
	}
	select {
	case <-l.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("vm: load %s: %w", spec.ID, ctx.Err())
	}
	if l.err != nil {
		return nil, l.err
	}
	if l.sum != sum {
		return nil, fmt.Errorf("vm: load %s: %w: this id is loaded with other bytes", spec.ID, ErrBadModule)
	}
	if l.module.spec.format != spec.Format {
		return nil, fmt.Errorf("vm: load %s: %w: loaded as %s, asked for %s", spec.ID, ErrBadModule, l.module.spec.format, spec.Format)
	}
	return l.module, nil
}

// HasDrive reports whether the runtime serves WeaveDrive (Config.Drive).
func (r *Runtime) HasDrive() bool { return r.cfg.Drive != nil }
