package runtime

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/internal/builtin"
	"github.com/aogo-dev/aogo/vm"
)

// ModulesWalletFile, in WalletsDir, signs the built-in modules (see
// publishBuiltins).
const ModulesWalletFile = "modules.json"

// publishBuiltins publishes the modules embedded in the binary
// (internal/builtin) to the node's store, so that a fresh node can spawn a
// process at once, and lists them in GET /node and urls.json. A binary
// built without them logs one line saying so and starts anyway.
//
// # Why a wallet of their own?
//
// The modules are signed by <DataDir>/wallets/modules.json, an ed25519 key
// created on first start, not by the node's (SU) wallet. ed25519 signatures
// are deterministic: the same binary gives the same module ids at every
// start, and a restart puts nothing (Publish finds them in the store). The
// SU's wallet may be RSA (Config.WalletType), whose PSS signatures are
// salted: a new id, and megabytes more in the store, at every start. A
// module's owner carries no authority in AO, so nothing needs the SU's key.
func (n *Node) publishBuiltins(ctx context.Context) error {
	if err := builtin.Check(); err != nil {
		n.log.Warn("this binary has no built-in modules to publish: `make build` embeds them (it runs `make builtin-modules` first)")
		return nil
	}
	wallet, err := arweave.LoadOrCreateWallet(filepath.Join(n.cfg.DataDir, WalletsDir, ModulesWalletFile), arweave.SignatureED25519)
	if err != nil {
		return fmt.Errorf("runtime: modules wallet: %w", err)
	}
	ids, err := builtin.Publish(ctx, n.store, wallet)
	if err != nil {
		return fmt.Errorf("runtime: %w", err)
	}
	n.modules = ids
	for _, m := range builtin.Modules() {
		n.log.Info("built-in module", "name", m.Name, "id", ids[m.Name])
	}
	return nil
}

// warmBuiltins (Config.WarmBuiltins) compiles the built-in modules in the
// background, so that
// the first process of one answers at once instead of after the seconds a
// Go module takes to compile (the vm's cache on disk makes later starts
// fast anyway). A process that needs a module meanwhile waits for the same
// compilation.
func (n *Node) warmBuiltins() {
	if !n.cfg.WarmBuiltins || n.cu.vm == nil || len(n.modules) == 0 {
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for _, m := range builtin.Modules() {
			id, ok := n.modules[m.Name]
			if !ok {
				continue
			}
			if _, err := n.cu.vm.Load(n.bg, vm.ModuleSpec{ID: id, Format: m.Format, Binary: m.Binary}); err != nil && n.bg.Err() == nil {
				n.log.Warn("compiling a built-in module failed", "name", m.Name, "err", err)
			}
		}
	}()
}
