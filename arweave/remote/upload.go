package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/everFinance/goar"
	goartypes "github.com/everFinance/goar/types"
	goarutils "github.com/everFinance/goar/utils"

	"github.com/aogo-dev/aogo/arweave"
)

// Upload retries: transient failures (network errors, 429, 5xx) of one
// request are retried this many times, with this pause between attempts.
const (
	uploadAttempts = 4
	uploadBackoff  = 250 * time.Millisecond
	statusPoll     = 200 * time.Millisecond
)

// PutItems implements arweave.Store.
//
// In ModeBundler every item is posted to POST /tx. In ModeTransaction the
// items the gateway does not know yet are posted as one bundle transaction
// (PutBundle); on arlocal, items whose signer has no balance only become
// visible after the next Mine.
func (s *Store) PutItems(ctx context.Context, items ...*arweave.DataItem) error {
	if len(items) == 0 {
		return nil
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	if s.mode == ModeBundler {
		for _, it := range items {
			if err := s.postItem(ctx, it); err != nil {
				return err
			}
		}
		return nil
	}
	items = dedupe(items)
	if err := verifyAll(items); err != nil {
		return fmt.Errorf("remote: PutItems: %w", err)
	}
	fresh, err := s.unknown(ctx, items)
	if err != nil {
		return err
	}
	if len(fresh) == 0 {
		return nil
	}
	_, err = s.uploadBundle(ctx, fresh)
	return err
}

// PutBundle implements arweave.Store. It verifies every item first and
// refuses the whole bundle, before any request, if one does not verify.
// Items repeated in items are bundled once.
func (s *Store) PutBundle(ctx context.Context, items []*arweave.DataItem) (string, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	items = dedupe(items)
	if len(items) == 0 {
		return "", errors.New("remote: PutBundle: no items")
	}
	if err := verifyAll(items); err != nil {
		return "", fmt.Errorf("remote: PutBundle: %w", err)
	}
	return s.uploadBundle(ctx, items)
}

// verifyAll verifies every item.
func verifyAll(items []*arweave.DataItem) error {
	for i, it := range items {
		if err := it.Verify(); err != nil {
			return fmt.Errorf("item %d refused, nothing uploaded: %w", i, err)
		}
	}
	return nil
}

// uploadBundle uploads verified items as one bundle.
func (s *Store) uploadBundle(ctx context.Context, items []*arweave.DataItem) (string, error) {
	if s.mode == ModeBundler {
		if s.bundleSigner == nil {
			return "", errors.New("remote: PutBundle in bundler mode needs Config.BundleSigner or Config.Wallet")
		}
		bundle, err := arweave.SignBundle(s.bundleSigner, items)
		if err != nil {
			return "", fmt.Errorf("remote: PutBundle: sign bundle item: %w", err)
		}
		if err := s.postItem(ctx, bundle); err != nil {
			return "", err
		}
		return bundle.ID(), nil
	}
	tags := make([]arweave.Tag, 0, len(arweave.BundleTags))
	tags = append(tags, arweave.BundleTags...)
	return s.postTransaction(ctx, arweave.EncodeBundle(items), tags)
}

// dedupe drops repeated items (same id), keeping the first.
func dedupe(items []*arweave.DataItem) []*arweave.DataItem {
	seen := make(map[string]bool, len(items))
	out := make([]*arweave.DataItem, 0, len(items))
	for _, it := range items {
		if id := it.ID(); !seen[id] {
			seen[id] = true
			out = append(out, it)
		}
	}
	return out
}

// unknown returns the items the gateway does not report in GraphQL.
func (s *Store) unknown(ctx context.Context, items []*arweave.DataItem) ([]*arweave.DataItem, error) {
	known := map[string]bool{}
	const batch = 100
	for start := 0; start < len(items); start += batch {
		ids := make([]string, 0, batch)
		for _, it := range items[start:min(start+batch, len(items))] {
			ids = append(ids, it.ID())
		}
		q := arweave.TxQuery{IDs: ids, First: len(ids)}
		for {
			page, err := s.query(ctx, q)
			if err != nil {
				return nil, fmt.Errorf("remote: PutItems: look up known ids: %w", err)
			}
			for _, e := range page.Edges {
				known[e.Node.ID] = true
			}
			if !page.HasNextPage || len(page.Edges) == 0 {
				break
			}
			q.After = page.Edges[len(page.Edges)-1].Cursor
		}
	}
	var out []*arweave.DataItem
	for _, it := range items {
		if !known[it.ID()] {
			out = append(out, it)
		}
	}
	return out, nil
}

// postItem posts a data item's binary to POST /tx, as clients post to a
// bundler.
func (s *Store) postItem(ctx context.Context, it *arweave.DataItem) error {
	r, err := s.retry(ctx, http.MethodPost, "/tx", "application/octet-stream", it.Bytes())
	if err != nil {
		return fmt.Errorf("remote: post item %s: %w", it.ID(), err)
	}
	switch r.status {
	case http.StatusOK, http.StatusCreated, http.StatusAccepted, http.StatusAlreadyReported:
		s.log.Debug("remote: posted item", "id", it.ID(), "size", it.Size(), "status", r.status)
		return nil
	}
	return fmt.Errorf("remote: post item %s: %w", it.ID(), s.httpError(http.MethodPost, "/tx", r, false))
}

// postTransaction builds a format-2 Arweave transaction holding data, signs
// it with the wallet (goar computes the chunks, the data root and the
// signature), posts its header without the data, uploads the chunks one at
// a time and checks that the gateway knows the transaction. It returns the
// transaction id.
func (s *Store) postTransaction(ctx context.Context, data []byte, tags []arweave.Tag) (string, error) {
	anchor, err := s.getText(ctx, "/tx_anchor")
	if err != nil {
		return "", fmt.Errorf("remote: get transaction anchor: %w", err)
	}
	reward, err := s.getText(ctx, "/price/"+strconv.Itoa(len(data)))
	if err != nil {
		return "", fmt.Errorf("remote: get price: %w", err)
	}
	if _, err := strconv.ParseUint(reward, 10, 64); err != nil {
		return "", fmt.Errorf("remote: GET /price/%d answered %q, not a winston amount", len(data), reward)
	}

	gtags := make([]goartypes.Tag, len(tags))
	for i, t := range tags {
		gtags[i] = goartypes.Tag{Name: t.Name, Value: t.Value}
	}
	tx := &goartypes.Transaction{
		Format:   2,
		LastTx:   anchor,
		Owner:    arweave.B64(s.wallet.Owner()),
		Tags:     goarutils.TagsEncode(gtags),
		Target:   "",
		Quantity: "0",
		Data:     goarutils.Base64Encode(data),
		DataSize: strconv.Itoa(len(data)),
		Reward:   reward,
	}
	if err := goar.NewSignerByPrivateKey(s.wallet.PrivateKey()).SignTx(tx); err != nil {
		return "", fmt.Errorf("remote: sign transaction: %w", err)
	}
	if tx.Chunks == nil {
		return "", errors.New("remote: goar prepared no chunks")
	}

	header := *tx
	header.Data = "" // the data goes to /chunk
	body, err := json.Marshal(&header)
	if err != nil {
		return "", fmt.Errorf("remote: encode transaction %s: %w", tx.ID, err)
	}
	r, err := s.retry(ctx, http.MethodPost, "/tx", "application/json", body)
	if err != nil {
		return "", fmt.Errorf("remote: post transaction %s: %w", tx.ID, err)
	}
	if r.status != http.StatusOK && r.status != http.StatusAccepted && r.status != http.StatusAlreadyReported {
		return "", fmt.Errorf("remote: post transaction %s: %w", tx.ID, s.httpError(http.MethodPost, "/tx", r, false))
	}
	s.log.Debug("remote: posted transaction", "id", tx.ID, "size", len(data), "chunks", len(tx.Chunks.Chunks), "reward", reward)

	// One chunk at a time: parallel uploads corrupt bundles on arlocal.
	for i := range tx.Chunks.Chunks {
		chunk, err := goarutils.GetChunk(*tx, i, data)
		if err != nil {
			return "", fmt.Errorf("remote: transaction %s: chunk %d: %w", tx.ID, i, err)
		}
		body, err := json.Marshal(chunk)
		if err != nil {
			return "", fmt.Errorf("remote: transaction %s: encode chunk %d: %w", tx.ID, i, err)
		}
		r, err := s.retry(ctx, http.MethodPost, "/chunk", "application/json", body)
		if err != nil {
			return "", fmt.Errorf("remote: transaction %s: upload chunk %d of %d: %w", tx.ID, i+1, len(tx.Chunks.Chunks), err)
		}
		if r.status != http.StatusOK {
			return "", fmt.Errorf("remote: transaction %s: upload chunk %d of %d: %w", tx.ID, i+1, len(tx.Chunks.Chunks), s.httpError(http.MethodPost, "/chunk", r, false))
		}
	}

	if err := s.awaitStatus(ctx, tx.ID); err != nil {
		return "", err
	}
	s.log.Debug("remote: uploaded transaction", "id", tx.ID)
	return tx.ID, nil
}

// awaitStatus polls GET /tx/{id}/status until the gateway knows the
// transaction (pending or mined).
func (s *Store) awaitStatus(ctx context.Context, id string) error {
	path := "/tx/" + id + "/status"
	for {
		r, err := s.do(ctx, http.MethodGet, path, "", nil, 1<<20)
		if err != nil {
			return fmt.Errorf("remote: transaction %s was posted but its status is unknown: %w", id, err)
		}
		switch r.status {
		case http.StatusOK, http.StatusAccepted:
			return nil
		case http.StatusNotFound:
			// A gateway may take a moment to see a transaction posted to it.
		default:
			return fmt.Errorf("remote: transaction %s was posted but its status is unknown: %w", id, s.httpError(http.MethodGet, path, r, false))
		}
		if err := sleep(ctx, statusPoll); err != nil {
			return fmt.Errorf("remote: transaction %s was posted but the gateway does not know it: %w", id, s.httpError(http.MethodGet, path, r, false))
		}
	}
}

// retry sends a request, retrying network errors, 429 and 5xx answers.
func (s *Store) retry(ctx context.Context, method, path, contentType string, body []byte) (*response, error) {
	var (
		r   *response
		err error
	)
	for attempt := 1; ; attempt++ {
		r, err = s.do(ctx, method, path, contentType, body, maxJSONBody)
		transient := (err != nil && ctx.Err() == nil) || (err == nil && (r.status == http.StatusTooManyRequests || r.status >= 500))
		if !transient || attempt == uploadAttempts {
			return r, err
		}
		s.log.Debug("remote: retrying", "method", method, "path", path, "attempt", attempt, "err", err)
		if serr := sleep(ctx, uploadBackoff*time.Duration(attempt)); serr != nil {
			if err == nil {
				return r, nil
			}
			return nil, err
		}
	}
}
