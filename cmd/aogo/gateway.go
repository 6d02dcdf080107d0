package main

import (
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/arweave/gateway"
	"github.com/spf13/cobra"
)

func newGatewayCommand(g *globalFlags) *cobra.Command {
	var (
		listen, dataDir string
		blockInterval   time.Duration
		maxItemBytes    int64
	)
	cmd := &cobra.Command{
		Use:   "gateway",
		Short: "Run the embedded Arweave gateway alone",
		Long: `Run the embedded Arweave gateway: an on-disk store of data items serving
GET /raw/{id}, GET /{id}, GET /tx/{id}, GET /tx/{id}/status, GET /info,
POST /graphql and POST /tx (raw signed data items, as bundlers take them).
Blocks are mined every --block-interval and on GET /mine. The gateway's own
wallet (it signs the bundles it builds) is created in --data-dir on first start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			wallet, err := arweave.LoadOrCreateWallet(filepath.Join(dataDir, "wallet.json"), arweave.SignatureED25519)
			if err != nil {
				return err
			}
			store, err := embedded.Open(embedded.Config{Dir: filepath.Join(dataDir, "store"), Signer: wallet, Logger: log})
			if err != nil {
				return err
			}
			defer store.Close()
			return gateway.Serve(cmd.Context(), store, gateway.ServeConfig{
				Listen:        listen,
				Gateway:       gateway.Config{MaxItemBytes: maxItemBytes, Logger: log},
				BlockInterval: blockInterval,
				Logger:        log,
				Ready: func(addr net.Addr) {
					fmt.Fprintf(cmd.OutOrStdout(), "aogo gateway listening on http://%s (data in %s)\n", addr, dataDir)
				},
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:4400", "address to listen on")
	f.StringVar(&dataDir, "data-dir", defaultDataDir("gateway"), "directory for the store and the gateway wallet")
	f.DurationVar(&blockInterval, "block-interval", 10*time.Second, "mine a block this often (0: only on GET /mine)")
	f.Int64Var(&maxItemBytes, "max-item-bytes", gateway.DefaultMaxItemBytes, "largest data item POST /tx accepts")
	return cmd
}

// defaultDataDir is where commands keep state when --data-dir is not given:
// ./.aogo/<what> in the working directory.
func defaultDataDir(what string) string { return filepath.Join(".aogo", what) }
