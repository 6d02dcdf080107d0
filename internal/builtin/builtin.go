// Package builtin holds the process modules embedded in the aogo binary
// (the built-ins) and publishes them to a node's store, so that a fresh node
// can spawn processes at once, with no module to build or upload first.
//
// The modules are the *.wasm files of the modules directory at build time
// (see modules/README.md): aogo-lua.wasm, the Lua process module, is
// committed (built from internal/builtin/lua by `go generate`), so every
// binary has it; `make builtin-modules` builds the others from source
// (examples/counter becomes modules/counter.wasm), which are not committed.
// A binary built without any (a plain `go build` of a tree without
// aogo-lua.wasm) has none: Modules is empty and Check says how to get them.
//
// # Usage
//
//	ids, err := builtin.Publish(ctx, store, signer) // name -> module id
//	pid := spawn(ids["counter"])
package builtin

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/vm"
)

//go:embed modules
var embedded embed.FS

// The limits every built-in declares: those `make run`'s demo has always
// spawned the counter with, well inside a node's defaults.
const (
	MemoryLimit  = "256-mb"
	ComputeLimit = "9000000000000"
)

// ErrNone is Check's answer for a binary built without its modules. It may
// be wrapped; test with errors.Is.
var ErrNone = errors.New("builtin: this binary has no built-in modules: build them with `make builtin-modules` (`make build` does it before building aogo)")

// Module is one built-in module.
type Module struct {
	// Name is the module's name (its file name without .wasm), also its
	// Name tag: what `aogo spawn --module NAME` takes.
	Name string
	// Format is its Module-Format: every built-in is a Go module
	// (vm.FormatNative).
	Format vm.Format
	// Binary is the wasm module. It belongs to the package: do not modify.
	Binary []byte
}

// Tags are the tags of the module's item, in order: the AO module tags
// aoconnect and the reference CU expect, the limits, and its name.
func (m Module) Tags() []arweave.Tag {
	return []arweave.Tag{
		{Name: "Data-Protocol", Value: "ao"},
		{Name: "Variant", Value: "ao.TN.1"},
		{Name: "Type", Value: "Module"},
		{Name: "Module-Format", Value: string(m.Format)},
		{Name: "Input-Encoding", Value: "JSON-V1"},
		{Name: "Output-Encoding", Value: "JSON-V1"},
		{Name: "Memory-Limit", Value: MemoryLimit},
		{Name: "Compute-Limit", Value: ComputeLimit},
		{Name: "Content-Type", Value: "application/wasm"},
		{Name: "Name", Value: m.Name},
	}
}

// Item signs the module's item with signer. It has no anchor, so with a
// deterministic signature scheme (ed25519) the same signer and binary give
// the same item, and so the same id, every time.
func (m Module) Item(signer arweave.Signer) (*arweave.DataItem, error) {
	item, err := arweave.SignDataItem(signer, arweave.ItemOptions{Tags: m.Tags(), Data: m.Binary})
	if err != nil {
		return nil, fmt.Errorf("builtin: sign %s: %w", m.Name, err)
	}
	return item, nil
}

var modules = sync.OnceValue(func() []Module { return load(embedded, "modules") })

// Modules returns the built-in modules, by name. It is empty in a binary
// built without them (see Check).
func Modules() []Module { return slices.Clone(modules()) }

// Check returns ErrNone if the binary has no built-in modules.
func Check() error {
	if len(modules()) == 0 {
		return ErrNone
	}
	return nil
}

// load reads the *.wasm files of dir in fsys, sorted by name.
func load(fsys fs.FS, dir string) []Module {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		// NB: the embedded directory always exists (its README is
		// committed); an error here is a broken build, and no modules
		// is the honest answer.
		return nil
	}
	var out []Module
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".wasm")
		if !ok || e.IsDir() || name == "" {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		out = append(out, Module{Name: name, Format: vm.FormatNative, Binary: b})
	}
	return out
}

// Publish stores every built-in module in store, signed by signer, and
// returns their ids by name. A module the store already holds (the same
// signer published the same binary before: ed25519 gives the same id) is
// not put again, so a restarted node publishes nothing new. With no
// built-in modules it returns an empty map and no error.
func Publish(ctx context.Context, store arweave.Store, signer arweave.Signer) (map[string]string, error) {
	return publish(ctx, store, signer, modules())
}

func publish(ctx context.Context, store arweave.Store, signer arweave.Signer, mods []Module) (map[string]string, error) {
	ids := make(map[string]string, len(mods))
	var put []*arweave.DataItem
	for _, m := range mods {
		item, err := m.Item(signer)
		if err != nil {
			return nil, err
		}
		ids[m.Name] = item.ID()
		// Transaction reads the index only, not the module's megabytes.
		switch _, err := store.Transaction(ctx, item.ID()); {
		case err == nil:
			continue
		case !errors.Is(err, arweave.ErrNotFound):
			return nil, fmt.Errorf("builtin: look up %s (%s): %w", m.Name, item.ID(), err)
		}
		put = append(put, item)
	}
	if len(put) > 0 {
		if err := store.PutItems(ctx, put...); err != nil {
			return nil, fmt.Errorf("builtin: store modules: %w", err)
		}
	}
	return ids, nil
}
