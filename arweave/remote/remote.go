// Package remote is an arweave.Store for a real Arweave gateway, for
// arlocal (the gateway emulator tests use) and for aogo's own embedded
// gateway reached over HTTP.
//
// # Modes
//
// In ModeTransaction (the default) PutBundle packs the items into an ANS-104
// bundle and posts it as an Arweave transaction signed by Config.Wallet: the
// transaction header goes to POST /tx without its data, then every chunk to
// POST /chunk, one at a time, and GET /tx/{id}/status confirms the gateway
// knows it. goar (github.com/everFinance/goar) only builds and signs the
// transaction and computes the chunks; all HTTP is done here, with a context
// and a timeout per call. PutItems in this mode is PutBundle of the items the
// gateway does not already know: Arweave has no way to post a lone data
// item, so every PutItems costs one transaction.
//
// In ModeBundler, PutItems posts every item's binary to POST {GatewayURL}/tx
// the way clients post to a bundler (this is how aogo's embedded gateway
// accepts items), and PutBundle posts one bundle item signed by
// Config.BundleSigner (or the Wallet).
//
// Both modes verify every item before bundling it: a gateway that accepts a
// bundle holding an invalid item may keep it pending for ever (arlocal does).
//
// # Reading
//
// Transaction, Query and Blocks are GraphQL queries (POST /graphql). Data is
// GET /raw/{id} (GET /{id} on gateways without /raw, such as arlocal). Item
// rebuilds the ANS-104 binary from the GraphQL fields (signature, owner key,
// recipient, anchor, tags) and the data, and verifies it, so what it returns
// is the genuine signed item. When the gateway does not report the fields
// exactly (arlocal reports every anchor as ""), the item is read out of its
// bundle instead: the bundle the gateway names in bundledIn, or, when it
// names none (arlocal), the bundles of the item's block.
//
// # arlocal
//
// Mine (GET /mine) and Mint (GET /mint/{address}/{winston}) exist only on
// arlocal. On arlocal, items whose signer never held a balance stay
// invisible until the next Mine, and GraphQL ignores the bundledIn filter.
package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aogo-dev/aogo/arweave"
)

// Mode selects how the store uploads items.
type Mode int

const (
	// ModeTransaction posts bundles as Arweave transactions (chunk upload).
	ModeTransaction Mode = iota
	// ModeBundler posts data items to POST /tx like a bundler client.
	ModeBundler
)

// String returns the mode's name.
func (m Mode) String() string {
	switch m {
	case ModeTransaction:
		return "transaction"
	case ModeBundler:
		return "bundler"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// DefaultTimeout bounds every Store call unless Config.Timeout says
// otherwise.
const DefaultTimeout = 30 * time.Second

// Limits on what the store reads from a gateway.
const (
	maxJSONBody  = 64 << 20 // GraphQL and JSON answers
	maxDataBody  = 1 << 30  // GET /raw/{id}
	errorExcerpt = 512      // bytes of a failed response quoted in errors
)

// Config configures a Store.
type Config struct {
	// GatewayURL is the gateway's base URL, e.g. https://arweave.net or
	// http://127.0.0.1:1984. Required.
	GatewayURL string
	// Wallet signs Arweave transactions (bundles posted as L1
	// transactions). Required in ModeTransaction.
	Wallet *arweave.RSASigner
	// BundleSigner signs the bundle wrapper items PutBundle posts in
	// ModeBundler. Optional: the Wallet is used when it is nil.
	BundleSigner arweave.Signer
	// Mode selects how items are uploaded (default ModeTransaction).
	Mode Mode
	// HTTPClient makes the requests (default: a new client without a
	// timeout of its own; the per-call Timeout applies).
	HTTPClient *http.Client
	// Timeout bounds every Store call (default DefaultTimeout).
	Timeout time.Duration
	// Logger receives debug logs of uploads (default: discarded).
	Logger *slog.Logger
}

// Store is an arweave.Store (and arweave.Miner, for arlocal) backed by a
// gateway over HTTP. It is safe for concurrent use.
type Store struct {
	base         *url.URL
	wallet       *arweave.RSASigner
	bundleSigner arweave.Signer
	mode         Mode
	client       *http.Client
	timeout      time.Duration
	log          *slog.Logger

	noRaw atomic.Bool // the gateway answers 404 to GET /raw/{id}, use GET /{id}
}

var (
	_ arweave.Store = (*Store)(nil)
	_ arweave.Miner = (*Store)(nil)
)

// New checks cfg and returns a Store. It makes no request.
func New(cfg Config) (*Store, error) {
	if cfg.GatewayURL == "" {
		return nil, errors.New("remote: Config.GatewayURL is required")
	}
	base, err := url.Parse(strings.TrimRight(cfg.GatewayURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("remote: GatewayURL %q is not an http(s) URL", cfg.GatewayURL)
	}
	s := &Store{
		base:         base,
		wallet:       cfg.Wallet,
		bundleSigner: cfg.BundleSigner,
		mode:         cfg.Mode,
		client:       cfg.HTTPClient,
		timeout:      cfg.Timeout,
		log:          cfg.Logger,
	}
	switch cfg.Mode {
	case ModeTransaction:
		if cfg.Wallet == nil {
			return nil, errors.New("remote: Config.Wallet is required in transaction mode")
		}
	case ModeBundler:
		if s.bundleSigner == nil && cfg.Wallet != nil {
			s.bundleSigner = cfg.Wallet
		}
	default:
		return nil, fmt.Errorf("remote: unknown mode %d", int(cfg.Mode))
	}
	if s.client == nil {
		s.client = &http.Client{}
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// URL returns the gateway's base URL.
func (s *Store) URL() string { return s.base.String() }

// Mode returns the upload mode.
func (s *Store) Mode() Mode { return s.mode }

func (s *Store) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// HTTPError is a gateway answer with an unexpected status.
type HTTPError struct {
	Method     string
	URL        string
	StatusCode int
	Status     string
	Body       string // the start of the response body
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("remote: %s %s: %s", e.Method, e.URL, e.Status)
	if b := strings.TrimSpace(e.Body); b != "" {
		msg += ": " + b
	}
	return msg
}

// endpoint joins path (which must start with "/") to the base URL.
func (s *Store) endpoint(path string) string {
	return s.base.String() + path
}

// response is a read HTTP answer.
type response struct {
	status int
	body   []byte
	header http.Header
}

// do sends a request and reads the answer (up to limit bytes). It returns an
// error only when no answer was read; the caller judges the status.
func (s *Store) do(ctx context.Context, method, path, contentType string, body []byte, limit int64) (*response, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.endpoint(path), r)
	if err != nil {
		return nil, fmt.Errorf("remote: %s %s: %w", method, s.endpoint(path), err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("remote: %s %s: %w", method, s.endpoint(path), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("remote: %s %s: read answer: %w", method, s.endpoint(path), err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("remote: %s %s: answer is larger than %d bytes: %w", method, s.endpoint(path), limit, arweave.ErrTooLarge)
	}
	return &response{status: resp.StatusCode, body: b, header: resp.Header}, nil
}

// httpError builds the error for an answer with an unexpected status. A 404
// wraps arweave.ErrNotFound when notFound is set.
func (s *Store) httpError(method, path string, r *response, notFound bool) error {
	excerpt := r.body
	if len(excerpt) > errorExcerpt {
		excerpt = excerpt[:errorExcerpt]
	}
	herr := &HTTPError{
		Method:     method,
		URL:        s.endpoint(path),
		StatusCode: r.status,
		Status:     fmt.Sprintf("%d %s", r.status, http.StatusText(r.status)),
		Body:       strings.ToValidUTF8(string(excerpt), "?"),
	}
	if notFound && r.status == http.StatusNotFound {
		return fmt.Errorf("%w (%w)", arweave.ErrNotFound, herr)
	}
	return herr
}

// getJSON GETs path and decodes a 200 answer into v.
func (s *Store) getJSON(ctx context.Context, path string, v any) error {
	r, err := s.do(ctx, http.MethodGet, path, "", nil, maxJSONBody)
	if err != nil {
		return err
	}
	if r.status != http.StatusOK {
		return s.httpError(http.MethodGet, path, r, false)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		return fmt.Errorf("remote: GET %s: bad JSON: %w", s.endpoint(path), err)
	}
	return nil
}

// getText GETs path and returns a 200 answer's body, trimmed.
func (s *Store) getText(ctx context.Context, path string) (string, error) {
	r, err := s.do(ctx, http.MethodGet, path, "", nil, 1<<20)
	if err != nil {
		return "", err
	}
	if r.status != http.StatusOK {
		return "", s.httpError(http.MethodGet, path, r, false)
	}
	return strings.TrimSpace(string(r.body)), nil
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Info implements arweave.Store: GET /info.
func (s *Store) Info(ctx context.Context) (*arweave.Info, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	return s.info(ctx)
}

func (s *Store) info(ctx context.Context) (*arweave.Info, error) {
	var v struct {
		Network string `json:"network"`
		Height  int64  `json:"height"`
		Current string `json:"current"`
		Blocks  int64  `json:"blocks"`
	}
	if err := s.getJSON(ctx, "/info", &v); err != nil {
		return nil, err
	}
	if v.Blocks == 0 {
		v.Blocks = v.Height + 1
	}
	return &arweave.Info{Network: v.Network, Height: v.Height, Current: v.Current, Blocks: v.Blocks}, nil
}
