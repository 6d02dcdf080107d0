package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aogo-dev/aogo/arweave"
)

// ServeConfig configures Serve.
type ServeConfig struct {
	// Listen is the TCP address to listen on; ":0" picks a free port.
	// Empty means 127.0.0.1:4400.
	Listen string
	// Gateway configures the handler.
	Gateway Config
	// BlockInterval mines a block this often when the store is an
	// arweave.Miner; zero mines only on request (GET /mine).
	BlockInterval time.Duration
	// Ready, if set, is called with the bound address once the listener is
	// open and requests will be served.
	Ready func(addr net.Addr)
	// Logger receives lifecycle records; nil discards them.
	Logger *slog.Logger
}

// Serve serves the gateway over store until ctx is done, then shuts the
// HTTP server down gracefully (waiting up to five seconds for requests in
// flight) and returns. It does not close the store.
func Serve(ctx context.Context, store arweave.Store, cfg ServeConfig) error {
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:4400"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Gateway.Logger == nil {
		cfg.Gateway.Logger = log
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("gateway: listen: %w", err)
	}
	srv := &http.Server{
		Handler:           New(store, cfg.Gateway),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var wg sync.WaitGroup
	if miner, ok := store.(arweave.Miner); ok && cfg.BlockInterval > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			MineEvery(ctx, miner, cfg.BlockInterval, log)
		}()
	}
	served := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		served <- srv.Serve(ln)
	}()
	log.Info("gateway listening", "addr", ln.Addr().String())
	if cfg.Ready != nil {
		cfg.Ready(ln.Addr())
	}

	select {
	case err = <-served:
		cancel()
	case <-ctx.Done():
		shutdownCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(shutdownCtx)
		done()
		if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
			err = serveErr
		}
	}
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("gateway: serve: %w", err)
	}
	return nil
}

// MineEvery mines a block every interval until ctx is done. A failed mine
// is logged and retried at the next tick.
func MineEvery(ctx context.Context, miner arweave.Miner, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if b, err := miner.Mine(ctx); err != nil {
				if ctx.Err() == nil {
					log.Error("mine block", "err", err)
				}
			} else {
				log.Debug("mined block", "height", b.Height, "id", b.ID)
			}
		}
	}
}
