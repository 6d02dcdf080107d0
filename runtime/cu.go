package runtime

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/runtime/checkpoint"
	"github.com/aogo-dev/aogo/runtime/cu"
	"github.com/aogo-dev/aogo/runtime/results"
	"github.com/aogo-dev/aogo/vm"
	"github.com/aogo-dev/aogo/vm/weavedrive"
)

// cuParts are what the CU unit holds open.
type cuParts struct {
	unit    *cu.Unit
	results *results.Store
	vm      *vm.Runtime
}

// startCU starts the compute unit over the node's own SU and mounts its
// API under /cu.
func (n *Node) startCU(ctx context.Context, mux *http.ServeMux, cuURL string) error {
	var source cu.Source
	switch {
	case n.su != nil && n.cfg.SUURL != "":
		return errors.New("runtime: an SU URL is for a CU without the node's own su unit")
	case n.su != nil:
		// The node's SU, and other SUs for their processes (the MU
		// routes to them the same way).
		source = newRoutedSource(n.su, n.localRouter())
	case n.cfg.SUURL != "":
		source = &cu.HTTPSource{URL: n.cfg.SUURL}
	default:
		return errors.New("runtime: the cu unit needs the su unit in the same node, or the URL of an SU to read")
	}
	wallet, err := arweave.LoadOrCreateWallet(filepath.Join(n.cfg.DataDir, WalletsDir, CUWalletFile), arweave.SignatureED25519)
	if err != nil {
		return fmt.Errorf("runtime: cu wallet: %w", err)
	}
	dir := filepath.Join(n.cfg.DataDir, CUDir)
	rt, err := vm.New(ctx, vm.Config{
		CacheDir: filepath.Join(n.cfg.DataDir, VMCacheDir),
		Drive:    weavedrive.New(n.store, weavedrive.Config{}),
		Logger:   n.log,
	})
	if err != nil {
		return fmt.Errorf("runtime: vm: %w", err)
	}
	n.cu.vm = rt
	if n.cu.results, err = results.Open(results.Config{Dir: filepath.Join(dir, "results"), Logger: n.log}); err != nil {
		return fmt.Errorf("runtime: cu results: %w", err)
	}
	ck, err := checkpoint.Open(checkpoint.Config{Dir: filepath.Join(dir, "checkpoints"), Logger: n.log})
	if err != nil {
		return fmt.Errorf("runtime: cu checkpoints: %w", err)
	}
	n.cu.unit, err = cu.New(cu.Config{
		Source: source, Store: n.store, Runtime: rt, Results: n.cu.results, Checkpoints: ck,
		Signer: wallet, Logger: n.log, KeepResults: n.cfg.KeepResults,
	})
	if err != nil {
		return fmt.Errorf("runtime: cu: %w", err)
	}
	n.warmBuiltins()
	api := n.cu.unit.Handler(cu.HandlerConfig{})
	mux.Handle(cuPathPrefix+"/", http.StripPrefix(cuPathPrefix, api))
	// A process's memory is a state dump: an admin endpoint (loopback or
	// the admin token), unlike the reference CU's public /state.
	mux.Handle("GET "+cuPathPrefix+"/state/", http.StripPrefix(cuPathPrefix, n.adminOnly(api)))
	mux.Handle(cuPathPrefix, rootOf(api))
	n.info.Units[UnitCU] = UnitInfo{URL: cuURL, Address: n.cu.unit.Address()}
	return nil
}

// stopCU checkpoints and closes the CU.
func (n *Node) stopCU() []error {
	var errs []error
	if n.cu.unit != nil {
		if err := n.cu.unit.Close(); err != nil {
			errs = append(errs, fmt.Errorf("runtime: close cu: %w", err))
		}
	}
	if n.cu.results != nil {
		if err := n.cu.results.Close(); err != nil {
			errs = append(errs, fmt.Errorf("runtime: close cu results: %w", err))
		}
	}
	if n.cu.vm != nil {
		if err := n.cu.vm.Close(context.Background()); err != nil {
			errs = append(errs, fmt.Errorf("runtime: close vm: %w", err))
		}
	}
	return errs
}

// rootOf serves h's root for a prefix without its slash (/cu as /cu/):
// no redirect, which clients that follow redirects to an origin would
// misread.
func rootOf(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.Path, r2.URL.RawPath = "/", ""
		h.ServeHTTP(w, r2)
	})
}
