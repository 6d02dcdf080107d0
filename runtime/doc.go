// Package runtime wires an aogo node: it opens the node's storage, starts
// the units an operator chose and serves them on one HTTP address. (It will
// also hold the compute unit: process actors, checkpoints, results.)
//
// # Usage
//
//	n, err := runtime.Start(ctx, runtime.Config{DataDir: ".aogo/node", Logger: log})
//	if err != nil {
//		return err
//	}
//	for unit, url := range n.URLs() {
//		fmt.Println(unit, url)
//	}
//	go func() {
//		<-ctx.Done()
//		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
//		defer cancel()
//		n.Close(shutdown)
//	}()
//	return n.Wait()
//
// # Layout of one listen address
//
//	/             the gateway (arweave/gateway over the node's store)
//	/su/...       the scheduler unit (scheduler.Handler)
//	/cu/...       the compute unit (cu.Unit.Handler)
//	/mu/...       the messenger unit (messenger.Unit.Handler)
//	/mu/admin/... its crank queue's admin view: loopback or Config.AdminToken only
//	/node         GET: NodeInfo, the units and their URLs, the built-in modules
//	/metrics      GET: Prometheus metrics, from a registry of the node's own
//
// Every answer carries the CORS headers of Config.CORSOrigins.
//
// # Data directory
//
//	store/      the embedded Arweave store (pebble)
//	su-log/     the scheduler's log (pebble): the order of every message
//	wallets/    su.json, the node's wallet (default Config.WalletPath);
//	            cu.json, mu.json, modules.json (signs the built-in modules)
//	urls.json   {"<unit>": "<base URL>", ..., "modules": {"<name>": "<id>"}},
//	            written when the node is ready
package runtime
