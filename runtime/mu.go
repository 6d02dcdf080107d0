package runtime

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/messenger"
)

// startMU starts the messenger unit over the node's own SU and mounts its
// API under /mu.
func (n *Node) startMU(mux *http.ServeMux, muURL string) error {
	if n.su == nil {
		return errors.New("runtime: the mu unit needs the su unit in the same node (it routes to other schedulers through it)")
	}
	wallet, err := arweave.LoadOrCreateWallet(filepath.Join(n.cfg.DataDir, WalletsDir, MUWalletFile), arweave.SignatureED25519)
	if err != nil {
		return fmt.Errorf("runtime: mu wallet: %w", err)
	}
	// Messages go to the node's SU for its processes, and to other SUs
	// over HTTP, found by their Scheduler-Location records in the store.
	router := messenger.NewRouter(n.su, n.store, nil)
	// With the node's CU the MU cranks outboxes: a durable queue in
	// <data-dir>/mu/crank, worked under n.bg (stopped before the units it
	// calls close).
	var cranker *messenger.Cranker
	if n.cu.unit != nil {
		cranker, err = messenger.NewCranker(messenger.CrankerConfig{
			Dir: filepath.Join(n.cfg.DataDir, MUDir, "crank"), Computer: n.cu.unit, Cron: n.cu.unit, SU: router,
			Signer: wallet, Store: n.store, Logger: n.log,
		})
		if err != nil {
			return fmt.Errorf("runtime: mu: %w", err)
		}
		n.cranker = cranker
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			if err := cranker.Run(n.bg); err != nil {
				n.log.Error("the MU's cranker stopped", "err", err)
			}
		}()
	}
	mu, err := messenger.New(messenger.Config{Scheduler: router, Signer: wallet, Verifier: n.verifier(), Cranker: cranker, Logger: n.log})
	if err != nil {
		return fmt.Errorf("runtime: mu: %w", err)
	}
	api := mu.Handler()
	mux.Handle(muPathPrefix+"/", http.StripPrefix(muPathPrefix, api))
	mux.Handle(muPathPrefix, rootOf(api))
	// The crank queue's admin view (dead letters: list, replay, drop)
	// answers on loopback or with the admin token only.
	mux.Handle(muPathPrefix+"/admin/", http.StripPrefix(muPathPrefix+"/admin", n.adminOnly(mu.AdminHandler())))
	n.info.Units[UnitMU] = UnitInfo{URL: muURL, Address: mu.Address()}
	return nil
}
