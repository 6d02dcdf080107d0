package remote

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/aogo-dev/aogo/arweave"
)

// minePoll is the pause between GET /mine attempts while arlocal answers 404.
const minePoll = 100 * time.Millisecond

// Mine implements arweave.Miner for arlocal: GET /mine, retried while
// arlocal answers 404 (it does while it is still indexing a bundle) until
// the call's deadline, then the new block as GET /info and GraphQL report
// it. Real gateways have no /mine.
func (s *Store) Mine(ctx context.Context) (*arweave.Block, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	for {
		r, err := s.do(ctx, http.MethodGet, "/mine", "", nil, maxJSONBody)
		if err != nil {
			return nil, fmt.Errorf("remote: mine: %w", err)
		}
		if r.status == http.StatusOK {
			break
		}
		herr := s.httpError(http.MethodGet, "/mine", r, false)
		if r.status != http.StatusNotFound {
			return nil, fmt.Errorf("remote: mine: %w", herr)
		}
		if err := sleep(ctx, minePoll); err != nil {
			return nil, fmt.Errorf("remote: mine: still refused when the deadline passed: %w", herr)
		}
	}
	info, err := s.info(ctx)
	if err != nil {
		return nil, fmt.Errorf("remote: mine: %w", err)
	}
	block := &arweave.Block{ID: info.Current, Height: info.Height}
	page, err := s.blocks(ctx, arweave.BlockQuery{IDs: []string{info.Current}, First: 1})
	if err != nil {
		return nil, fmt.Errorf("remote: mine: read block %s: %w", info.Current, err)
	}
	for _, e := range page.Edges {
		if e.Node.ID == info.Current {
			block = e.Node
		}
	}
	return block, nil
}

// Mint gives address winston on arlocal (GET /mint/{address}/{winston}).
func (s *Store) Mint(ctx context.Context, address string, winston uint64) error {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	if address == "" {
		return errors.New("remote: mint: empty address")
	}
	path := "/mint/" + address + "/" + strconv.FormatUint(winston, 10)
	r, err := s.do(ctx, http.MethodGet, path, "", nil, 1<<20)
	if err != nil {
		return fmt.Errorf("remote: mint: %w", err)
	}
	if r.status != http.StatusOK {
		return fmt.Errorf("remote: mint: %w", s.httpError(http.MethodGet, path, r, false))
	}
	return nil
}
