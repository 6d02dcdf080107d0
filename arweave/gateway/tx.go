package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/aogo-dev/aogo/arweave"
)

// validID reports whether id is a 43-character b64url id (32 bytes).
func validID(id string) bool {
	if len(id) != 43 {
		return false
	}
	_, err := arweave.DecodeID(id)
	return err == nil
}

// pathID reads the {id} path value of an id route; on a malformed id it
// answers 400 and returns "".
func pathID(w http.ResponseWriter, r *http.Request) string {
	id := r.PathValue("id")
	if !validID(id) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a transaction id (43 base64url characters)", id))
		return ""
	}
	return id
}

// data answers GET and HEAD for /{id} and /raw/{id}: the item's data, with
// the Content-Type its tags give. GET honours Range requests.
func (g *Gateway) data(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validID(id) {
		if r.URL.Path == "/"+id {
			// NB: /{id} is the catch-all for one-segment paths, so a
			// non-id there is an unknown route, not a malformed id.
			writeError(w, http.StatusNotFound, "no route for "+r.Method+" "+r.URL.Path)
			return
		}
		pathID(w, r)
		return
	}
	tx, err := g.store.Transaction(r.Context(), id)
	if err != nil {
		g.failID(w, r, id, err)
		return
	}
	ct := tx.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	if r.Method == http.MethodHead {
		h.Set("Content-Length", strconv.FormatInt(tx.DataSize, 10))
		w.WriteHeader(http.StatusOK)
		return
	}
	b, err := g.store.Data(r.Context(), id)
	if err != nil {
		h.Del("Content-Type")
		g.failID(w, r, id, err)
		return
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

// tx answers GET /tx/{id} with the item as an Arweave format-2 transaction.
func (g *Gateway) tx(w http.ResponseWriter, r *http.Request) {
	id := pathID(w, r)
	if id == "" {
		return
	}
	tx, err := g.store.Transaction(r.Context(), id)
	if err != nil {
		g.failID(w, r, id, err)
		return
	}
	writeJSON(w, http.StatusOK, arweave.NewTxHeader(tx))
}

type statusJSON struct {
	BlockHeight           int64  `json:"block_height"`
	BlockIndepHash        string `json:"block_indep_hash"`
	NumberOfConfirmations int64  `json:"number_of_confirmations"`
}

// txStatus answers as an Arweave node does: 200 with the block once mined,
// 202 with the text "Pending" before.
func (g *Gateway) txStatus(w http.ResponseWriter, r *http.Request) {
	id := pathID(w, r)
	if id == "" {
		return
	}
	tx, err := g.store.Transaction(r.Context(), id)
	if err != nil {
		g.failID(w, r, id, err)
		return
	}
	if tx.Block == nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, "Pending")
		return
	}
	in, err := g.store.Info(r.Context())
	if err != nil {
		g.fail(w, r, err)
		return
	}
	confirmations := in.Height - tx.Block.Height + 1
	if confirmations < 1 {
		// NB: Info and Transaction are two reads; a block mined between
		// them can only raise the height, but be safe.
		confirmations = 1
	}
	writeJSON(w, http.StatusOK, statusJSON{
		BlockHeight:           tx.Block.Height,
		BlockIndepHash:        tx.Block.ID,
		NumberOfConfirmations: confirmations,
	})
}

// txData answers GET /tx/{id}/data as Arweave nodes do: the data as b64url
// text.
func (g *Gateway) txData(w http.ResponseWriter, r *http.Request) {
	id := pathID(w, r)
	if id == "" {
		return
	}
	b, err := g.store.Data(r.Context(), id)
	if err != nil {
		g.failID(w, r, id, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, arweave.B64(b))
}

// postTxJSON is the answer to POST /tx, as bundlers give it.
type postTxJSON struct {
	ID        string `json:"id"`
	Timestamp int64  `json:"timestamp"`
}

const onlyDataItems = "only raw signed ANS-104 data items are accepted (Content-Type: application/octet-stream); JSON Arweave transactions are not supported"

// postTx accepts one raw signed ANS-104 data item, as a bundler does. The
// item is parsed and verified (with every item of a bundle it carries)
// before the store sees it; any failure stores nothing.
func (g *Gateway) postTx(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "application/json" {
			writeError(w, http.StatusBadRequest, onlyDataItems)
			return
		}
	}
	if r.ContentLength > g.maxItem {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("data item is %d bytes, the limit is %d", r.ContentLength, g.maxItem))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.maxItem))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("data item is larger than the limit of %d bytes", g.maxItem))
			return
		}
		writeError(w, http.StatusBadRequest, "cannot read the request body: "+err.Error())
		return
	}
	if len(body) > 0 && body[0] == '{' {
		// NB: no data item starts with '{': that would be signature
		// type 0x..7b, and only types 1 to 7 exist.
		writeError(w, http.StatusBadRequest, onlyDataItems)
		return
	}
	item, err := arweave.ParseDataItem(body)
	if err != nil {
		g.reject(w, r, err)
		return
	}
	if err := g.verifyItem(item, 0); err != nil {
		g.reject(w, r, err)
		return
	}
	if err := g.store.PutItems(r.Context(), item); err != nil {
		g.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, postTxJSON{ID: item.ID(), Timestamp: time.Now().UnixMilli()})
}

// failID is fail for a request about one id: an unknown id gets a 404
// that names it.
func (g *Gateway) failID(w http.ResponseWriter, r *http.Request, id string, err error) {
	if arweave.IsNotFound(err) {
		writeError(w, http.StatusNotFound, "transaction "+id+" not found")
		return
	}
	g.fail(w, r, err)
}

// reject answers 400 for an item that failed parsing or verification.
func (g *Gateway) reject(w http.ResponseWriter, r *http.Request, err error) {
	g.log.DebugContext(r.Context(), "gateway: rejected data item", "err", err)
	writeError(w, http.StatusBadRequest, trimPrefix(err.Error()))
}

// verifyItem verifies item's signature and, when its tags mark it as an
// ANS-104 bundle, the layout and signature of every nested item. The store
// indexes nested items without checking them (Store.PutItems), so the
// gateway, being the edge, must.
func (g *Gateway) verifyItem(item *arweave.DataItem, depth int) error {
	if err := g.verifier.Verify(item); err != nil {
		return err
	}
	if !arweave.IsBundle(item.Tags) {
		return nil
	}
	if depth >= maxBundleDepth {
		return fmt.Errorf("%w: bundles nested more than %d deep", arweave.ErrMalformed, maxBundleDepth)
	}
	nested, err := arweave.DecodeBundle(item.Data)
	if err != nil {
		return fmt.Errorf("item %s is tagged as an ANS-104 bundle: %w", item.ID(), err)
	}
	for i, n := range nested {
		if err := g.verifyItem(n, depth+1); err != nil {
			return fmt.Errorf("bundle %s item %d: %w", item.ID(), i, err)
		}
	}
	return nil
}
