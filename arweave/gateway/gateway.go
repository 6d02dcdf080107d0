package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/internal/cors"
)

// Limits and defaults of the gateway.
const (
	// DefaultMaxItemBytes is the default limit on a POST /tx body.
	DefaultMaxItemBytes = 10 << 20
	// MaxGraphQLBytes is the limit on a GraphQL request body (and on the
	// query string of a GET /graphql).
	MaxGraphQLBytes = 1 << 20
	// MaxMineBlocks is the largest n that /mine/{n} accepts.
	MaxMineBlocks = 1000
	// maxBundleDepth bounds how deep POST /tx looks into bundles nested in
	// bundles before it gives up and rejects the item.
	maxBundleDepth = 8
)

// Config configures a gateway. The zero value is usable.
type Config struct {
	// MaxItemBytes is the largest body POST /tx accepts; a larger body is
	// answered with 413. Zero means DefaultMaxItemBytes.
	MaxItemBytes int64
	// Logger receives store failures (as errors) and rejected requests (as
	// debug records). Nil discards everything.
	Logger *slog.Logger
	// NoCORS leaves CORS to the caller, which wraps the gateway in its
	// own policy (aogo node, whose --cors-origins covers every unit).
	// Default false: the gateway allows any origin.
	NoCORS bool
}

// Gateway serves the Arweave gateway subset over a Store. It is an
// http.Handler, safe for concurrent use; it holds no state of its own
// besides its configuration and the parsed GraphQL schema.
type Gateway struct {
	store   arweave.Store
	maxItem int64
	log     *slog.Logger
	schema  *graphql.Schema
	mux     *http.ServeMux
	noCORS  bool
	// verifier checks POST /tx items, caching the keys of repeat signers.
	verifier *arweave.Verifier
}

var _ http.Handler = (*Gateway)(nil)

// New returns a gateway over store. The store is used as it is: the gateway
// never closes it.
func New(store arweave.Store, cfg Config) *Gateway {
	g := &Gateway{store: store, maxItem: cfg.MaxItemBytes, log: cfg.Logger, noCORS: cfg.NoCORS, verifier: arweave.NewVerifier(0)}
	if g.maxItem <= 0 {
		g.maxItem = DefaultMaxItemBytes
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	g.schema = newSchema(store, g.log)

	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", g.info)
	m.HandleFunc("GET /info", g.info)
	m.HandleFunc("GET /{id}", g.data)
	m.HandleFunc("GET /raw/{id}", g.data)
	m.HandleFunc("GET /tx/{id}", g.tx)
	m.HandleFunc("GET /tx/{id}/status", g.txStatus)
	m.HandleFunc("GET /tx/{id}/data", g.txData)
	m.HandleFunc("POST /tx", g.postTx)
	// NB: the bundler route the reference CU uploads checkpoints to
	// (UPLOADER_URL/tx/arweave), so that a gateway can serve as its uploader.
	m.HandleFunc("POST /tx/arweave", g.postTx)
	m.HandleFunc("GET /mine", g.mine)
	m.HandleFunc("POST /mine", g.mine)
	m.HandleFunc("GET /mine/{n}", g.mine)
	m.HandleFunc("POST /mine/{n}", g.mine)
	m.HandleFunc("GET /block/height/{height}", g.blockByHeight)
	m.HandleFunc("GET /block/hash/{id}", g.blockByHash)
	m.HandleFunc("GET /graphql", g.graphQL)
	m.HandleFunc("POST /graphql", g.graphQL)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no route for "+r.Method+" "+r.URL.Path)
	})
	g.mux = m
	return g
}

// ServeHTTP implements http.Handler. Unless Config.NoCORS, it adds the
// CORS headers browsers need to every response (any origin) and answers
// preflight requests itself.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var anyOrigin cors.Policy
	if !g.noCORS && anyOrigin.Handle(w, r) {
		return
	}
	g.mux.ServeHTTP(w, r)
}

// infoJSON is GET /info as arlocal and Arweave nodes answer it.
type infoJSON struct {
	Network          string `json:"network"`
	Version          int    `json:"version"`
	Release          int    `json:"release"`
	Height           int64  `json:"height"`
	Current          string `json:"current"`
	Blocks           int64  `json:"blocks"`
	Peers            int    `json:"peers"`
	QueueLength      int    `json:"queue_length"`
	NodeStateLatency int    `json:"node_state_latency"`
}

func toInfoJSON(in *arweave.Info) infoJSON {
	return infoJSON{Network: in.Network, Version: 1, Release: 1, Height: in.Height, Current: in.Current, Blocks: in.Blocks}
}

func (g *Gateway) info(w http.ResponseWriter, r *http.Request) {
	in, err := g.store.Info(r.Context())
	if err != nil {
		g.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toInfoJSON(in))
}

// mine answers /mine and /mine/{n} like arlocal: it mines n blocks (1 by
// default) and replies with the network info afterwards.
func (g *Gateway) mine(w http.ResponseWriter, r *http.Request) {
	miner, ok := g.store.(arweave.Miner)
	if !ok {
		writeError(w, http.StatusNotFound, "this gateway's store cannot mine blocks")
		return
	}
	n := 1
	if s := r.PathValue("n"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > MaxMineBlocks {
			writeError(w, http.StatusBadRequest, "block count "+strconv.Quote(s)+" is not a number from 1 to "+strconv.Itoa(MaxMineBlocks))
			return
		}
		n = v
	}
	for range n {
		if _, err := miner.Mine(r.Context()); err != nil {
			g.fail(w, r, err)
			return
		}
	}
	g.info(w, r)
}

func (g *Gateway) blockByHeight(w http.ResponseWriter, r *http.Request) {
	s := r.PathValue("height")
	h, err := strconv.ParseInt(s, 10, 64)
	if err != nil || h < 0 {
		writeError(w, http.StatusBadRequest, "block height "+strconv.Quote(s)+" is not a non-negative integer")
		return
	}
	g.block(w, r, arweave.BlockQuery{MinHeight: &h, MaxHeight: &h, First: 1}, "no block at height "+s)
}

func (g *Gateway) blockByHash(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := arweave.DecodeB64(id); err != nil || id == "" {
		writeError(w, http.StatusBadRequest, "block id "+strconv.Quote(id)+" is not base64url")
		return
	}
	g.block(w, r, arweave.BlockQuery{IDs: []string{id}, First: 1}, "no block "+id)
}

func (g *Gateway) block(w http.ResponseWriter, r *http.Request, q arweave.BlockQuery, notFound string) {
	page, err := g.store.Blocks(r.Context(), q)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	if len(page.Edges) == 0 || page.Edges[0].Node == nil {
		writeError(w, http.StatusNotFound, notFound)
		return
	}
	b := page.Edges[0].Node
	writeJSON(w, http.StatusOK, arweave.NewBlockHeader(b))
}

// errorJSON is the body of every error response.
type errorJSON struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// NB: every value written here is built from plain structs and
		// strings; Marshal cannot fail on them.
		status, b = http.StatusInternalServerError, []byte(`{"error":"cannot encode the response"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorJSON{Error: msg})
}

// errorStatus maps an error of the arweave package or of a store to the
// HTTP status it deserves; 500 means a failure of the gateway itself.
func errorStatus(err error) int {
	switch {
	case arweave.IsNotFound(err):
		return http.StatusNotFound
	case errors.Is(err, arweave.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, arweave.ErrMalformed),
		errors.Is(err, arweave.ErrBadCursor),
		errors.Is(err, arweave.ErrInvalidSignature),
		errors.Is(err, arweave.ErrUnsupportedSignatureType):
		return http.StatusBadRequest
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
		return 499
	}
	return http.StatusInternalServerError
}

// fail answers a request whose store call failed. Client errors (unknown
// ids, bad cursors) keep their message; store failures are logged and
// answered with a generic message, so that no internal detail leaks.
func (g *Gateway) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := errorStatus(err)
	switch status {
	case http.StatusInternalServerError:
		g.log.ErrorContext(r.Context(), "gateway: store failure", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, status, "internal error: the gateway's store failed (see its log)")
	case 499:
		g.log.DebugContext(r.Context(), "gateway: request cancelled", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, status, "request cancelled")
	default:
		writeError(w, status, trimPrefix(err.Error()))
	}
}

// trimPrefix drops the "arweave: " package prefix from error texts shown to
// clients; the rest says what is wrong.
func trimPrefix(msg string) string {
	return strings.TrimPrefix(msg, "arweave: ")
}
