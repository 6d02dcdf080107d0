package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/runtime"
	"github.com/spf13/cobra"
)

// adminTokenEnv holds the node's admin token when --admin-token is not
// given (a flag shows in ps; the environment does not).
const adminTokenEnv = "AOGO_ADMIN_TOKEN"

// nodeShutdownGrace is how long a stopping node lets requests in flight
// finish before it closes their connections.
const nodeShutdownGrace = 10 * time.Second

func newNodeCommand(g *globalFlags) *cobra.Command {
	var (
		cfg           runtime.Config
		walletType    string
		blockInterval time.Duration
	)
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Run an aogo node: the gateway and the AO units on one address",
		Long: `Run an aogo node on one HTTP address: the embedded Arweave gateway at the
root, the scheduler unit (SU) under /su, the compute unit (CU) under /cu, the
messenger unit (MU) under /mu, GET /node describing the units and GET /metrics
for Prometheus. Admin endpoints (/mu/admin/) answer on loopback, or with
--admin-token ($AOGO_ADMIN_TOKEN).
Everything the node keeps is in --data-dir: store/ (the Arweave store),
su-log/ (the SU's log), wallets/su.json (the node's wallet, created on first
start) and urls.json (each running unit's URL, written when the node is
ready). On start the SU publishes its Scheduler-Location record (Url =
--advertise-url + /su) so that AO clients find it. SIGINT or SIGTERM stop the
node cleanly; started again on the same --data-dir it continues where it
stopped.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			cfg.Logger = log
			if cfg.WalletType, err = arweave.ParseSignatureType(walletType); err != nil {
				return err
			}
			if cfg.WalletType != arweave.SignatureED25519 && cfg.WalletType != arweave.SignatureArweave {
				return fmt.Errorf("--wallet-type %s: the node signs with ed25519 or rsa", walletType)
			}
			if cfg.AdminToken == "" {
				cfg.AdminToken = os.Getenv(adminTokenEnv)
			}
			// The flag follows `aogo gateway`: 0 mines only on GET /mine.
			cfg.BlockInterval = blockInterval
			if blockInterval <= 0 {
				cfg.BlockInterval = -1
			}
			ctx := cmd.Context()
			n, err := runtime.Start(ctx, cfg)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "aogo node listening on %s (data in %s)\n", n.Addr(), cfg.DataDir)
			info := n.Info()
			for _, name := range runtime.Units() {
				u, ok := info.Units[name]
				if !ok {
					continue
				}
				line := fmt.Sprintf("  %-8s %s", name, u.URL)
				if u.Address != "" {
					line += "  (address " + u.Address + ")"
				}
				fmt.Fprintln(out, line)
			}
			for _, name := range slices.Sorted(maps.Keys(info.Modules)) {
				fmt.Fprintf(out, "  module   %s %s\n", name, info.Modules[name])
			}

			stopped := make(chan error, 1)
			go func() { stopped <- n.Wait() }()
			select {
			case err := <-stopped:
				return err
			case <-ctx.Done():
			}
			fmt.Fprintln(out, "aogo node: stopping")
			shutdown, cancel := context.WithTimeout(context.Background(), nodeShutdownGrace)
			defer cancel()
			return n.Close(shutdown)
		},
	}
	cfg.WarmBuiltins = true // the first process of a built-in answers at once
	f := cmd.Flags()
	f.StringVar(&cfg.Listen, "listen", runtime.DefaultListen, "address to listen on")
	f.StringVar(&cfg.DataDir, "data-dir", defaultDataDir("node"), "directory for everything the node keeps")
	f.StringVar(&cfg.WalletPath, "wallet", "", "the node's (SU) wallet, created if missing (default <data-dir>/wallets/su.json)")
	f.StringVar(&walletType, "wallet-type", "ed25519", "key type of a new wallet: ed25519 or rsa")
	f.StringVar(&cfg.AdvertiseURL, "advertise-url", "", "base URL clients reach the node at (default http://<listen address>)")
	f.IntVar(&cfg.KeepResults, "keep-results", 0, "results the CU keeps per process, older ones recomputed on demand (0: all)")
	f.StringVar(&cfg.SUURL, "su-url", "", "another node's SU, for a node without the su unit: its CU reads it, its MU sends to it (e.g. http://host:4400/su)")
	f.StringVar(&cfg.CUURL, "cu-url", "", "another node's CU, for an MU in a node without the cu unit: it cranks and monitors with it (e.g. http://host:4400/cu)")
	f.StringSliceVar(&cfg.Units, "units", runtime.Units(), "units to run: "+strings.Join(runtime.Units(), ","))
	f.DurationVar(&blockInterval, "block-interval", runtime.DefaultBlockInterval, "mine a block this often (0: only on GET /mine)")
	f.StringSliceVar(&cfg.CORSOrigins, "cors-origins", []string{"*"}, "origins browsers may call the node from: * or scheme://host[:port],...")
	f.StringVar(&cfg.AdminToken, "admin-token", "", "bearer token for admin endpoints (/mu/admin/) from other machines; prefer $"+adminTokenEnv+" (default: loopback only)")
	return cmd
}
