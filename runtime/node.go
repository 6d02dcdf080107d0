package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/arweave/gateway"
	"github.com/aogo-dev/aogo/internal/cors"
	"github.com/aogo-dev/aogo/internal/httpjson"
	"github.com/aogo-dev/aogo/messenger"
	"github.com/aogo-dev/aogo/runtime/cu"
	"github.com/aogo-dev/aogo/scheduler"
	"github.com/aogo-dev/aogo/scheduler/pebblelog"
)

// The units a node can run (Config.Units).
const (
	// UnitGateway serves the node's Arweave store at the root of the
	// listen address (arweave/gateway).
	UnitGateway = "gateway"
	// UnitSU is the scheduler unit, under /su.
	UnitSU = "su"
	// UnitCU is the compute unit, under /cu. It reads the schedules of
	// the node's own SU (a CU over a foreign SU comes later).
	UnitCU = "cu"
	// UnitMU is the messenger unit, under /mu: clients post signed items
	// there; it hands them to the node's SU.
	UnitMU = "mu"
)

// Units returns the names of every unit this build has, in start order:
// the default of Config.Units.
func Units() []string { return []string{UnitGateway, UnitSU, UnitCU, UnitMU} }

// Defaults of Config.
const (
	DefaultListen        = "127.0.0.1:4400"
	DefaultBlockInterval = 10 * time.Second
	DefaultLocationTTL   = 24 * time.Hour
)

// Names in the data directory (see the package documentation).
const (
	StoreDir      = "store"
	SULogDir      = "su-log"
	WalletsDir    = "wallets"
	SUWalletFile  = "su.json"
	CUWalletFile  = "cu.json"
	MUWalletFile  = "mu.json"
	MUDir         = "mu" // the MU's crank queue
	muPathPrefix  = "/mu"
	CUDir         = "cu"       // results/ and checkpoints/ of the CU
	VMCacheDir    = "vm-cache" // compiled modules
	cuPathPrefix  = "/cu"
	URLsFile      = "urls.json"
	suPathPrefix  = "/su"
	nodeInfoRoute = "/node"
)

// Config configures Start. Only DataDir is required.
type Config struct {
	// Listen is the TCP address of the node's one HTTP server; port 0
	// picks a free port. Default DefaultListen (127.0.0.1:4400).
	// Recommended: keep the loopback address and put a TLS reverse proxy
	// in front to serve other machines (then set AdvertiseURL).
	Listen string

	// DataDir holds everything the node keeps (created if missing): see
	// the package documentation for its layout. Required.
	DataDir string

	// Units are the units to run, by name (UnitGateway, UnitSU). Default
	// (nil or empty): every unit of this build (Units()). The embedded
	// store is opened whichever units run: the SU needs it for block
	// heights and publishes into it.
	Units []string

	// WalletPath is the node's wallet: it signs the SU's assignments and
	// its Scheduler-Location record, and the bundles the store wraps.
	// Created on first start. Default <DataDir>/wallets/su.json.
	WalletPath string

	// WalletType is the key type of a wallet created at WalletPath:
	// arweave.SignatureED25519 (the default; signs in microseconds) or
	// arweave.SignatureArweave (RSA-4096, what the reference SU uses;
	// milliseconds per assignment). An existing wallet keeps its type.
	WalletType arweave.SignatureType

	// AdvertiseURL is the base URL other units and clients (aoconnect)
	// reach this node at, without a trailing slash; the SU's URL, which
	// its Scheduler-Location record publishes, is AdvertiseURL + "/su".
	// Default http://<bound listen address> (127.0.0.1 when listening on
	// every interface).
	AdvertiseURL string

	// KeepResults is the CU's result retention: how many of each
	// process's newest results it keeps (0: all). See cu.Config.
	KeepResults int

	// WarmBuiltins compiles the built-in modules in the background at
	// start, so the first process of one answers at once (aogo node sets
	// it; tests that start many nodes leave it off to save the CPU).
	WarmBuiltins bool

	// SUURL is the SU of another node, for a node that does not run the
	// su unit (e.g. http://host:4400/su): its CU reads schedules from it,
	// its MU hands items to it. With the su unit the node uses its own SU
	// through Go calls and SUURL must be empty.
	SUURL string

	// CUURL is the CU of another node (e.g. http://host:4400/cu), for an
	// MU in a node that does not run the cu unit: the MU cranks and
	// monitors with it. Without it (and without the cu unit) the MU
	// forwards items only.
	CUURL string

	// GatewayURL would use a remote Arweave gateway (arweave/remote)
	// instead of the embedded store. Not supported yet: Start refuses it.
	GatewayURL string

	// BlockInterval is how often the embedded store mines a block (as
	// `aogo gateway --block-interval`). Default 0: DefaultBlockInterval
	// (10 s); negative: only on GET /mine.
	BlockInterval time.Duration

	// LocationTTL is the Time-To-Live of the SU's Scheduler-Location
	// record: how long clients may cache the SU's URL. Default
	// DefaultLocationTTL (1 day).
	LocationTTL time.Duration

	// Logger receives the node's and its units' records. Default nil:
	// discard.
	Logger *slog.Logger

	// CORSOrigins are the origins browsers may call the node from (every
	// unit, GET /node and /metrics): "*" (any origin, the default when
	// empty) or a list of scheme://host[:port]; an allowed Origin is
	// echoed with Vary: Origin, another one gets no CORS headers.
	CORSOrigins []string

	// AdminToken lets admin endpoints (/mu/admin/) answer requests from
	// other machines that carry "Authorization: Bearer <AdminToken>".
	// Default "": they answer only requests from a loopback address
	// that no reverse proxy forwarded. Recommended: 32 random bytes in
	// hex, given through the AOGO_ADMIN_TOKEN environment variable.
	AdminToken string

	cors cors.Policy // from CORSOrigins, by withDefaults
}

// withDefaults checks c and fills in its defaults.
func (c Config) withDefaults() (Config, error) {
	if c.DataDir == "" {
		return c, errors.New("runtime: Config.DataDir is required")
	}
	if c.GatewayURL != "" {
		return c, fmt.Errorf("runtime: Config.GatewayURL %q: a remote gateway is not supported yet; leave it empty to use the embedded store", c.GatewayURL)
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if len(c.Units) == 0 {
		c.Units = Units()
	} else {
		seen := map[string]bool{}
		for _, u := range c.Units {
			switch {
			case !slices.Contains(Units(), u):
				return c, fmt.Errorf("runtime: unknown unit %q (this build has %s)", u, strings.Join(Units(), ", "))
			case seen[u]:
				return c, fmt.Errorf("runtime: unit %q listed twice", u)
			}
			seen[u] = true
		}
		c.Units = slices.Clone(c.Units)
	}
	if c.SUURL != "" && c.runs(UnitSU) {
		return c, errors.New("runtime: Config.SUURL is for a node without the su unit (it uses its own)")
	}
	if c.CUURL != "" && (c.runs(UnitCU) || !c.runs(UnitMU)) {
		return c, errors.New("runtime: Config.CUURL is for an MU in a node without the cu unit")
	}
	if c.WalletPath == "" {
		c.WalletPath = filepath.Join(c.DataDir, WalletsDir, SUWalletFile)
	}
	switch c.WalletType {
	case 0:
		c.WalletType = arweave.SignatureED25519
	case arweave.SignatureED25519, arweave.SignatureArweave:
	default:
		return c, fmt.Errorf("runtime: wallet type %s: the node signs with ed25519 or RSA keys", c.WalletType)
	}
	if c.AdvertiseURL != "" {
		c.AdvertiseURL = strings.TrimRight(c.AdvertiseURL, "/")
		u, err := url.Parse(c.AdvertiseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("runtime: AdvertiseURL %q is not an absolute http(s) URL", c.AdvertiseURL)
		}
	}
	if c.BlockInterval == 0 {
		c.BlockInterval = DefaultBlockInterval
	}
	if c.LocationTTL <= 0 {
		c.LocationTTL = DefaultLocationTTL
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	p, err := cors.New(c.CORSOrigins)
	if err != nil {
		return c, fmt.Errorf("runtime: Config.CORSOrigins: %w", err)
	}
	c.CORSOrigins, c.cors = p.Origins(), p
	return c, nil
}

func (c Config) runs(unit string) bool { return slices.Contains(c.Units, unit) }

// NodeInfo is the answer of GET /node: the units the node runs, by name,
// and the built-in modules it published.
//
//	{"units": {"gateway": {"url": "http://127.0.0.1:4400"},
//	           "su": {"url": "http://127.0.0.1:4400/su", "address": "<SU wallet address>"}},
//	 "modules": {"counter": "<module id>"}}
type NodeInfo struct {
	Units map[string]UnitInfo `json:"units"`
	// Modules are the built-in modules (internal/builtin) the node
	// published to its store on start, name -> module id; absent when the
	// binary has none or the node runs neither the gateway nor the CU.
	Modules map[string]string `json:"modules,omitempty"`
}

// UnitInfo describes one unit of a node.
type UnitInfo struct {
	// URL is the unit's base URL (from Config.AdvertiseURL).
	URL string `json:"url"`
	// Address is the unit's wallet address, for units that sign: the SU's
	// is what processes name in their Scheduler tag.
	Address string `json:"address,omitempty"`
	// Upload is how far the SU's uploader has copied the log to the
	// store (SU only).
	Upload *scheduler.UploadStatus `json:"upload,omitempty"`
	// Compute is the CU's memory and disk use (CU only).
	Compute *cu.Status `json:"compute,omitempty"`
}

// Node is a running aogo node. Use Start; stop it with Close.
type Node struct {
	cfg  Config
	log  *slog.Logger
	info NodeInfo
	urls map[string]string
	// modules are the built-in modules published on start (name -> id).
	modules map[string]string

	wallet arweave.Signer
	store  *embedded.Store
	suLog  *pebblelog.Log
	su     *scheduler.Scheduler
	// sigs verifies items for every unit (its key cache is shared): an
	// item is verified once per node.
	sigs *arweave.Verifier
	// uploader copies the SU log to the store (nil without the SU).
	uploader *scheduler.Uploader
	cu       cuParts
	cranker  *messenger.Cranker
	router   *messenger.Router // the MU's way to the SUs (see localRouter)
	metrics  *metrics

	ln        net.Listener
	srv       *http.Server // set once serving has started
	serveDone chan struct{}
	serveErr  error // read after serveDone is closed
	// requests is held for reading by every request in flight and taken
	// for writing by Close, which so waits for them (also for those that
	// outlive a forced close) and refuses new ones.
	requests sync.RWMutex

	// Background work (the block timer; the uploader) runs under bg and
	// is waited for with wg.
	bg       context.Context
	cancelBG context.CancelFunc
	wg       sync.WaitGroup

	closeOnce sync.Once
	closed    chan struct{}
	closeErr  error
}

// Start opens the node's storage in cfg.DataDir, starts the units and
// serves them on cfg.Listen. When it returns the node answers requests and
// <DataDir>/urls.json names every unit's URL. ctx bounds the start only;
// the node runs until Close.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	n := &Node{
		cfg:       cfg,
		log:       cfg.Logger,
		serveDone: make(chan struct{}),
		closed:    make(chan struct{}),
	}
	n.bg, n.cancelBG = context.WithCancel(context.Background())
	if err := n.start(ctx); err != nil {
		if cerr := n.Close(context.Background()); cerr != nil {
			n.log.Warn("closing a node that failed to start", "err", cerr)
		}
		return nil, err
	}
	return n, nil
}

func (n *Node) start(ctx context.Context) error {
	cfg := n.cfg
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("runtime: data directory: %w", err)
	}
	var err error
	if n.wallet, err = arweave.LoadOrCreateWallet(cfg.WalletPath, cfg.WalletType); err != nil {
		return fmt.Errorf("runtime: wallet: %w", err)
	}
	if t := n.wallet.Type(); t != arweave.SignatureED25519 && t != arweave.SignatureArweave {
		return fmt.Errorf("runtime: wallet %s is a %s key: the node signs with ed25519 or RSA keys", cfg.WalletPath, t)
	}
	n.store, err = embedded.Open(embedded.Config{Dir: filepath.Join(cfg.DataDir, StoreDir), Signer: n.wallet, Logger: n.log})
	if err != nil {
		return fmt.Errorf("runtime: store: %w", err)
	}
	// The built-in modules go to the store only when a unit can use them
	// there: the gateway serves them, the CU runs them.
	if cfg.runs(UnitGateway) || cfg.runs(UnitCU) {
		if err := n.publishBuiltins(ctx); err != nil {
			return err
		}
	}
	if n.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		return fmt.Errorf("runtime: listen: %w", err)
	}
	base := cfg.AdvertiseURL
	if base == "" {
		base = n.defaultAdvertiseURL()
	}

	n.info = NodeInfo{Units: map[string]UnitInfo{}}
	n.urls = map[string]string{}
	n.metrics = newMetrics()
	mux := http.NewServeMux()
	if cfg.runs(UnitGateway) {
		n.info.Units[UnitGateway] = UnitInfo{URL: base}
		mux.Handle("/", gateway.New(n.store, gateway.Config{Logger: n.log, NoCORS: true}))
	} else {
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			httpjson.Error(w, http.StatusNotFound, "no route for "+r.Method+" "+r.URL.Path+" (the gateway unit is not running)")
		})
	}
	if cfg.runs(UnitSU) {
		if err := n.startSU(ctx, mux, base+suPathPrefix); err != nil {
			return err
		}
	}
	if cfg.runs(UnitCU) {
		if err := n.startCU(ctx, mux, base+cuPathPrefix); err != nil {
			return err
		}
	}
	if cfg.runs(UnitMU) {
		if err := n.startMU(ctx, mux, base+muPathPrefix); err != nil {
			return err
		}
	}
	for name, u := range n.info.Units {
		n.urls[name] = u.URL
	}
	mux.HandleFunc("GET "+nodeInfoRoute, func(w http.ResponseWriter, _ *http.Request) {
		httpjson.Write(w, http.StatusOK, n.Info())
	})
	mux.HandleFunc(nodeInfoRoute, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "GET, HEAD")
		httpjson.Error(w, http.StatusMethodNotAllowed, r.Method+" "+nodeInfoRoute+": only GET")
	})
	n.registerUnits()
	mux.Handle("GET "+metricsRoute, n.metrics.handler())

	if cfg.BlockInterval > 0 {
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			gateway.MineEvery(n.bg, n.store, cfg.BlockInterval, n.log)
		}()
	}

	n.srv = &http.Server{
		Handler:           n.metrics.instrument(n.unitOf, n.handler(mux)),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(n.log.Handler(), slog.LevelWarn),
	}
	go n.serve()

	if err := writeURLs(filepath.Join(cfg.DataDir, URLsFile), n.urls, n.modules); err != nil {
		return err
	}
	n.log.Info("node listening", "addr", n.ln.Addr().String(), "data_dir", cfg.DataDir)
	for _, name := range cfg.Units {
		n.log.Info("unit started", "unit", name, "url", n.urls[name])
	}
	return nil
}

// startSU opens the SU's log, starts the scheduler, mounts its API under
// /su and publishes its Scheduler-Location record with suURL.
func (n *Node) startSU(ctx context.Context, mux *http.ServeMux, suURL string) error {
	var err error
	if n.suLog, err = pebblelog.Open(pebblelog.Config{Dir: filepath.Join(n.cfg.DataDir, SULogDir), Logger: n.log}); err != nil {
		return fmt.Errorf("runtime: su log: %w", err)
	}
	if n.uploader, err = scheduler.NewUploader(scheduler.UploaderConfig{Log: n.suLog, Store: n.store, Logger: n.log}); err != nil {
		return fmt.Errorf("runtime: su uploader: %w", err)
	}
	n.su, err = scheduler.New(ctx, scheduler.Config{
		Log: n.suLog, Store: n.store, Signer: n.wallet, Logger: n.log,
		Appended: n.uploader.Notify,
	})
	if err != nil {
		return fmt.Errorf("runtime: su: %w", err)
	}

	// The uploader copies the log into the store in bundles. It runs
	// under n.bg: Close cancels it after the HTTP server has stopped and
	// before the scheduler, the log and the store close.
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.uploader.Run(n.bg); err != nil {
			n.log.Error("the SU uploader stopped", "err", err)
		}
	}()

	api := n.su.Handler(scheduler.HandlerConfig{Verifier: n.verifier()})
	mux.Handle(suPathPrefix+"/", http.StripPrefix(suPathPrefix, api))
	// NB: /su itself is the SU's root, not a redirect to /su/: the CU's
	// scheduler-utils follows redirects of GET {url}?process-id= and would
	// take the redirect's origin (without /su) as the SU's URL.
	mux.HandleFunc(suPathPrefix, func(w http.ResponseWriter, r *http.Request) {
		r2 := new(http.Request)
		*r2 = *r
		u := *r.URL
		u.Path, u.RawPath = "/", ""
		r2.URL = &u
		api.ServeHTTP(w, r2)
	})
	n.info.Units[UnitSU] = UnitInfo{URL: suURL, Address: n.su.Address()}

	id, err := scheduler.PublishLocation(ctx, n.store, n.wallet, suURL, n.cfg.LocationTTL)
	if err != nil {
		return fmt.Errorf("runtime: su: %w", err)
	}
	n.log.Info("scheduler location", "record", id, "url", suURL, "ttl", n.cfg.LocationTTL)
	return nil
}

// defaultAdvertiseURL is http://<bound address>, with the loopback address
// in place of an unspecified one (":4400" binds every interface; clients
// cannot connect to 0.0.0.0 or ::).
func (n *Node) defaultAdvertiseURL() string {
	addr, ok := n.ln.Addr().(*net.TCPAddr)
	if !ok {
		return "http://" + n.ln.Addr().String()
	}
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
		n.log.Warn("listening on every interface: advertising the loopback address; set the advertise URL so that other machines can reach the node", "listen", n.cfg.Listen)
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(addr.Port))
}

// handler wraps the routes: it counts requests in flight (Close waits for
// them), refuses requests once Close has begun, and answers CORS for every
// route (Config.CORSOrigins; the reference units allow any origin).
func (n *Node) handler(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !n.requests.TryRLock() {
			httpjson.Error(w, http.StatusServiceUnavailable, "the node is shutting down")
			return
		}
		defer n.requests.RUnlock()
		if n.cfg.cors.Handle(w, r) {
			return // a preflight
		}
		mux.ServeHTTP(w, r)
	})
}

// serve runs the HTTP server; if it fails (rather than being shut down by
// Close), the node closes itself and Wait returns the failure.
func (n *Node) serve() {
	err := n.srv.Serve(n.ln)
	if errors.Is(err, http.ErrServerClosed) {
		close(n.serveDone)
		return
	}
	n.log.Error("http server failed; closing the node", "err", err)
	n.serveErr = fmt.Errorf("runtime: serve: %w", err)
	close(n.serveDone)
	n.Close(context.Background())
}

// URLs returns the base URL of every running unit, by unit name: what
// urls.json holds.
func (n *Node) URLs() map[string]string {
	out := make(map[string]string, len(n.urls))
	for k, v := range n.urls {
		out[k] = v
	}
	return out
}

// Info returns what GET /node answers.
func (n *Node) Info() NodeInfo {
	out := NodeInfo{Units: make(map[string]UnitInfo, len(n.info.Units)), Modules: maps.Clone(n.modules)}
	for k, v := range n.info.Units {
		if k == UnitSU && n.uploader != nil {
			st := n.uploader.Status()
			v.Upload = &st
		}
		if k == UnitCU && n.cu.unit != nil {
			st := n.cu.unit.Status()
			v.Compute = &st
		}
		out.Units[k] = v
	}
	return out
}

// Addr is the address the node listens on.
func (n *Node) Addr() net.Addr { return n.ln.Addr() }

// Wait blocks until the node has stopped, by Close or because its HTTP
// server failed (the node then closes itself), and returns why: nil after
// a clean Close.
func (n *Node) Wait() error {
	<-n.closed
	// Close has waited for serveDone: serveErr is settled.
	return errors.Join(n.serveErr, n.closeErr)
}

// Close stops the node in order: the HTTP server (requests in flight may
// finish until ctx is done, then their connections are closed and Close
// waits for their handlers to return), background work, the scheduler,
// its log, the store. It returns the errors of closing the storage. Later
// calls wait for the first and return its result.
func (n *Node) Close(ctx context.Context) error {
	n.closeOnce.Do(func() {
		n.closeErr = n.stop(ctx)
		close(n.closed)
	})
	<-n.closed
	return n.closeErr
}

func (n *Node) stop(ctx context.Context) error {
	var errs []error
	switch {
	case n.srv != nil:
		if err := n.srv.Shutdown(ctx); err != nil {
			n.log.Warn("requests still in flight at the end of the shutdown grace period; closing their connections", "err", err)
			n.srv.Close()
		}
		<-n.serveDone
	case n.ln != nil:
		n.ln.Close()
		close(n.serveDone)
	default:
		close(n.serveDone)
	}
	// Handlers outlive a forced close until they notice their cancelled
	// contexts; nothing below may close under them.
	n.requests.Lock()

	n.cancelBG()
	n.wg.Wait()
	// The cranker has stopped (it runs under bg); then the CU: it
	// checkpoints its processes and reads the SU.
	if n.cranker != nil {
		if err := n.cranker.Close(); err != nil {
			errs = append(errs, fmt.Errorf("runtime: close crank queue: %w", err))
		}
	}
	errs = append(errs, n.stopCU()...)
	if n.su != nil {
		if err := n.su.Close(); err != nil {
			errs = append(errs, fmt.Errorf("runtime: close su: %w", err))
		}
	}
	if n.suLog != nil {
		if err := n.suLog.Close(); err != nil {
			errs = append(errs, fmt.Errorf("runtime: close su log: %w", err))
		}
	}
	if n.store != nil {
		if err := n.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("runtime: close store: %w", err))
		}
	}
	n.log.Info("node stopped")
	return errors.Join(errs...)
}

// writeURLs writes urls.json atomically: a temporary file in the same
// directory, synced, renamed over the old one, and the directory synced,
// so that a reader sees the old file or the new one, never a part. It
// holds each unit's URL by name and, under "modules", the built-in
// modules' ids by name (when there are any).
func writeURLs(path string, urls, modules map[string]string) error {
	out := make(map[string]any, len(urls)+1)
	for k, v := range urls {
		out[k] = v
	}
	if len(modules) > 0 {
		out["modules"] = modules
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return fmt.Errorf("runtime: %s: %w", URLsFile, err)
	}
	if err := writeFileAtomic(path, append(b, '\n')); err != nil {
		return fmt.Errorf("runtime: %s: %w", URLsFile, err)
	}
	return nil
}

func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// verifier is the node's signature verifier, shared by its units.
func (n *Node) verifier() *arweave.Verifier {
	if n.sigs == nil {
		n.sigs = arweave.NewVerifier(0)
	}
	return n.sigs
}
