package runtime

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/messenger"
	"github.com/aogo-dev/aogo/runtime/cu"
)

// startMU starts the messenger unit over the node's own SU (or another
// node's, Config.SUURL) and mounts its API under /mu. It cranks with the
// node's CU, or another node's (Config.CUURL).
func (n *Node) startMU(ctx context.Context, mux *http.ServeMux, muURL string) error {
	var su messenger.Pusher = n.su
	if n.su == nil {
		if n.cfg.SUURL == "" {
			return errors.New("runtime: the mu unit needs the su unit in the same node, or the URL of an SU (Config.SUURL, --su-url)")
		}
		addr, err := messenger.SUAddress(ctx, http.DefaultClient, n.cfg.SUURL)
		if err != nil {
			return fmt.Errorf("runtime: mu: the SU at %s: %w", n.cfg.SUURL, err)
		}
		su = &messenger.RemoteSU{URL: n.cfg.SUURL, Addr: addr, Reader: &cu.HTTPSource{URL: n.cfg.SUURL}}
	}
	var computer interface {
		messenger.Computer
		messenger.CronSource
	}
	switch {
	case n.cu.unit != nil:
		computer = n.cu.unit
	case n.cfg.CUURL != "":
		computer = &messenger.RemoteCU{URL: n.cfg.CUURL}
	}
	wallet, err := arweave.LoadOrCreateWallet(filepath.Join(n.cfg.DataDir, WalletsDir, MUWalletFile), arweave.SignatureED25519)
	if err != nil {
		return fmt.Errorf("runtime: mu wallet: %w", err)
	}
	// Messages go to the SU for its processes, and to other SUs over HTTP,
	// found by their Scheduler-Location records in the store.
	var router *messenger.Router
	if n.su != nil {
		router = n.localRouter()
	} else {
		router = messenger.NewRouter(su, n.store, nil)
	}
	// With a CU the MU cranks outboxes: a durable queue in
	// <data-dir>/mu/crank, worked under n.bg (stopped before the units it
	// calls close).
	var cranker *messenger.Cranker
	if computer != nil {
		cranker, err = messenger.NewCranker(messenger.CrankerConfig{
			Dir: filepath.Join(n.cfg.DataDir, MUDir, "crank"), Computer: computer, Cron: computer, SU: router,
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

// localRouter is the router over the node's own SU, shared by the MU and
// the CU's source (made by whichever starts first).
func (n *Node) localRouter() *messenger.Router {
	if n.router == nil {
		n.router = messenger.NewRouter(n.su, n.store, nil)
	}
	return n.router
}
