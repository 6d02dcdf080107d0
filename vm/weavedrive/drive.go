package weavedrive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/vm"
)

// Errors of Open besides those wrapping arweave.ErrNotFound. They are
// wrapped with the path and the reason; test with errors.Is.
var (
	// ErrNotAdmissible: the process may not read this id (see the package
	// documentation). It also wraps arweave.ErrNotFound, so a vm that only
	// knows "not found" returns NULL from fopen; a vm that follows the
	// reference halts the message instead.
	ErrNotAdmissible = fmt.Errorf("weavedrive: not admissible: %w", arweave.ErrNotFound)
	// ErrUnavailable: the file exists for the process (the id is admissible,
	// the block is not in the future) but the store cannot give it. This is
	// a failure of the node, not an answer: it never wraps
	// arweave.ErrNotFound, and the message must not be evaluated as if the
	// file were missing.
	ErrUnavailable = errors.New("weavedrive: admissible but unavailable")
	// ErrUnsupported: the process asks for an availability type this drive
	// cannot decide (Library without an attestation, or an unknown type).
	// The reference throws; so must the message.
	ErrUnsupported = fmt.Errorf("weavedrive: unsupported availability type: %w", vm.ErrFileRefused)
)

// Mode selects the admissibility rules.
type Mode string

// The modes. The reference passes its mode as mod.mode; the CU sets "test"
// in its llama mode.
const (
	// ModeNormal applies attachment and admissibility as the reference does.
	ModeNormal Mode = ""
	// ModeTest admits every id and skips the attachment check. Height rules
	// (/tx, /block) still apply.
	ModeTest Mode = "test"
)

// DefaultMaxFileSize is the default Config.MaxFileSize: 1 GiB.
const DefaultMaxFileSize = 1 << 30

// Config configures a Drive. The zero value is the reference's normal mode.
type Config struct {
	// Mode: ModeNormal (the default) or ModeTest. Recommended: ModeNormal
	// on any node whose results others rely on.
	Mode Mode

	// AllowIDs, when not empty, restricts /data to these ids in every mode
	// (On-Boot included): it narrows admissibility, never widens it. Default
	// empty: no restriction.
	AllowIDs []string

	// MaxFileSize is the largest /data file served, in bytes; a larger one
	// fails with an error wrapping arweave.ErrTooLarge (a node limit, so
	// the message fails rather than seeing a missing file). Data is held
	// in memory while open. Default 0: DefaultMaxFileSize. Recommended: the
	// largest module memory the node allows, for model files.
	MaxFileSize int64

	// Logger receives refusals (debug) and store failures (warn). Default
	// nil: discard.
	Logger *slog.Logger
}

// Validate reports whether cfg is usable by New.
func (c Config) Validate() error {
	if c.Mode != ModeNormal && c.Mode != ModeTest {
		return fmt.Errorf("weavedrive: unknown mode %q (want \"\" or %q)", string(c.Mode), string(ModeTest))
	}
	if c.MaxFileSize < 0 {
		return fmt.Errorf("weavedrive: MaxFileSize %d is negative", c.MaxFileSize)
	}
	for _, id := range c.AllowIDs {
		if !validID(id) {
			return fmt.Errorf("weavedrive: AllowIDs: %q is not a transaction id (43 base64url characters)", id)
		}
	}
	return nil
}

// Drive serves WeaveDrive files from a store. It is safe for concurrent
// use.
type Drive struct {
	store arweave.Store
	cfg   Config
	allow map[string]bool
	log   *slog.Logger
	cache *cache
}

var _ vm.Drive = (*Drive)(nil)

// New returns a Drive reading store. It panics if cfg.Validate fails: check
// configuration that comes from users with Validate first.
func New(store arweave.Store, cfg Config) *Drive {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	if cfg.MaxFileSize == 0 {
		cfg.MaxFileSize = DefaultMaxFileSize
	}
	d := &Drive{store: store, cfg: cfg, log: cfg.Logger, cache: newCache(cacheBytes)}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if len(cfg.AllowIDs) > 0 {
		d.allow = make(map[string]bool, len(cfg.AllowIDs))
		for _, id := range cfg.AllowIDs {
			d.allow[id] = true
		}
	}
	return d
}

// Open implements vm.Drive.Open.
func (d *Drive) Open(ctx context.Context, req vm.DriveRequest) (vm.DriveFile, error) {
	t, err := parsePath(req.Path)
	if err != nil {
		return nil, err
	}
	if d.cfg.Mode != ModeTest && !attached(req.Module.Tags) {
		return nil, notFound(req.Path, "WeaveDrive is not attached to module "+req.Module.ID)
	}
	switch t.kind {
	case kindData:
		if err := d.admit(ctx, req, t.id); err != nil {
			d.log.DebugContext(ctx, "weavedrive: refused", "path", req.Path, "process", req.Process.ID, "err", err)
			return nil, err
		}
		return d.data(ctx, req.Path, t.id)
	case kindTx:
		return d.tx(ctx, req, t.id)
	default:
		return d.block(ctx, req, t.height)
	}
}

// data returns the data of an admissible id.
func (d *Drive) data(ctx context.Context, path, id string) (vm.DriveFile, error) {
	if b, ok := d.cache.get(id); ok {
		return bytes.NewReader(b), nil
	}
	tx, err := d.store.Transaction(ctx, id)
	if err != nil {
		return nil, d.unavailable(ctx, path, err)
	}
	if tx.DataSize > d.cfg.MaxFileSize {
		return nil, fmt.Errorf("weavedrive: %s: %d bytes, the limit is %d: %w", path, tx.DataSize, d.cfg.MaxFileSize, arweave.ErrTooLarge)
	}
	b, err := d.store.Data(ctx, id)
	if err != nil {
		return nil, d.unavailable(ctx, path, err)
	}
	d.cache.put(id, b)
	return bytes.NewReader(b), nil
}

// unavailable reports that the store cannot answer (yet) for a file the
// process may read. A store's ErrNotFound is flattened into the text: the
// process must not see "not found" for a file another node holds.
func (d *Drive) unavailable(ctx context.Context, path string, err error) error {
	d.log.WarnContext(ctx, "weavedrive: the store cannot answer for a file the process may read", "path", path, "err", err)
	if arweave.IsNotFound(err) {
		return fmt.Errorf("%w: %s: %v", ErrUnavailable, path, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, path, err)
}

// txHeader is the gateway's GET /tx/{id} followed by ownerAddress, as the
// reference's JSON.stringify({...entry, ownerAddress}) writes it.
type txHeader struct {
	arweave.TxHeader
	OwnerAddress string `json:"ownerAddress"`
}

// tx returns the header of an item mined at or below the message's height.
func (d *Drive) tx(ctx context.Context, req vm.DriveRequest, id string) (vm.DriveFile, error) {
	tx, err := d.store.Transaction(ctx, id)
	switch {
	case err != nil && !arweave.IsNotFound(err):
		return nil, fmt.Errorf("weavedrive: %s: %w", req.Path, err)
	case err != nil || tx.Block == nil:
		// Unknown or pending: final only once the store is not behind.
		if err := d.caughtUp(ctx, req); err != nil {
			return nil, err
		}
		return nil, notFound(req.Path, "not mined at or below block "+strconv.FormatInt(req.BlockHeight, 10))
	case tx.Block.Height > req.BlockHeight:
		return nil, notFound(req.Path, fmt.Sprintf("mined at block %d, after the message's block %d", tx.Block.Height, req.BlockHeight))
	}
	return jsonFile(txHeader{arweave.NewTxHeader(tx), arweave.NativeAddress(tx.Owner)}, ""), nil
}

// block returns a block header at or below the message's height.
func (d *Drive) block(ctx context.Context, req vm.DriveRequest, h int64) (vm.DriveFile, error) {
	if h > req.BlockHeight {
		return nil, notFound(req.Path, "in the future of block "+strconv.FormatInt(req.BlockHeight, 10))
	}
	page, err := d.store.Blocks(ctx, arweave.BlockQuery{MinHeight: &h, MaxHeight: &h, First: 1})
	if err == nil && (len(page.Edges) == 0 || page.Edges[0].Node == nil || page.Edges[0].Node.Height != h) {
		err = errors.New("the store has no block at this height")
	}
	if err != nil {
		return nil, d.unavailable(ctx, req.Path, err)
	}
	b := page.Edges[0].Node
	// NB: the reference serves the gateway's body as it came (res.text()),
	// and the gateway ends it with a newline.
	return jsonFile(arweave.NewBlockHeader(b), "\n"), nil
}

func jsonFile(v any, suffix string) vm.DriveFile {
	b, err := json.Marshal(v)
	if err != nil {
		// NB: plain structs of strings and integers; Marshal cannot fail.
		panic(err)
	}
	return bytes.NewReader(append(b, suffix...))
}

func notFound(path, reason string) error {
	return fmt.Errorf("weavedrive: %s: %s: %w", path, reason, arweave.ErrNotFound)
}
