package cu

import (
	"context"
	"errors"
	"fmt"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/scheduler"
	"github.com/aogo-dev/aogo/vm"
)

// loadModule reads the process's module from the store and checks that
// this CU can run it (protocol.md 6.2 step 5): a supported Module-Format,
// Input-Encoding and Output-Encoding present, every Extension supported,
// Memory-Limit and Compute-Limit present (the process's over the
// module's) and within this CU's maximum.
func (u *Unit) loadModule(ctx context.Context, p *scheduler.Process) (*arweave.DataItem, vm.Limits, error) {
	id, ok := p.Item.Tags.Get("Module")
	if !ok {
		return nil, vm.Limits{}, fmt.Errorf("cu: process %s has no Module tag: %w", p.ID(), ErrModule)
	}
	mod, err := u.cfg.Store.Item(ctx, id)
	if arweave.IsNotFound(err) {
		return nil, vm.Limits{}, fmt.Errorf("cu: module %s of process %s is not in the store: %w", id, p.ID(), ErrModule)
	}
	if err != nil {
		return nil, vm.Limits{}, fmt.Errorf("cu: module %s: %w", id, err)
	}
	for _, name := range []string{"Module-Format", "Input-Encoding", "Output-Encoding"} {
		if _, ok := mod.Tags.Get(name); !ok {
			return nil, vm.Limits{}, fmt.Errorf("cu: module %s has no %s tag: %w", id, name, ErrModule)
		}
	}
	for _, t := range mod.Tags {
		if t.Name == "Extension" && !(t.Value == "WeaveDrive" && u.cfg.Runtime.HasDrive()) {
			return nil, vm.Limits{}, fmt.Errorf("cu: module %s needs the %s extension, which this CU does not offer: %w", id, t.Value, ErrModule)
		}
	}
	limits, err := vm.LimitsFromTags(p.Item.Tags, mod.Tags, u.cfg.MaxMemory, u.cfg.MaxCompute)
	if err != nil {
		return nil, vm.Limits{}, fmt.Errorf("cu: process %s: %w", p.ID(), err)
	}
	return mod, limits, nil
}

// moduleError classifies an error of vm.Load or Instantiate.
func moduleError(id string, err error) error {
	switch {
	case errors.Is(err, vm.ErrUnsupportedFormat), errors.Is(err, vm.ErrBadModule):
		return fmt.Errorf("cu: module %s: %w: %w", id, ErrModule, err)
	}
	return fmt.Errorf("cu: module %s: %w", id, err)
}
