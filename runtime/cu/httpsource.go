package cu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/scheduler"
)

// HTTPSource reads schedules from an SU's HTTP API (protocol.md 4): a
// foreign SU, or this node's own over the network. Items are rebuilt from
// the SU's JSON: their ids and fields are exact, but data that is not
// UTF-8 arrives as the SU's lossy text (as it reaches a reference CU), so
// the rebuilt items cannot be re-verified; the CU does not verify them.
type HTTPSource struct {
	// URL is the SU's base URL (e.g. http://127.0.0.1:4400/su).
	URL string
	// Client is the HTTP client. Default http.DefaultClient.
	Client *http.Client
}

var _ Source = (*HTTPSource)(nil)

func (s *HTTPSource) get(ctx context.Context, path string, q url.Values, v any) error {
	u := strings.TrimRight(s.URL, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	c := s.Client
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("cu: su %s: %w", u, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("cu: su %s: %w", u, err)
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		json.Unmarshal(body, &e)
		err := fmt.Errorf("cu: su %s: status %d: %s", u, res.StatusCode, e.Error)
		if res.StatusCode == http.StatusNotFound || strings.Contains(e.Error, "not found") {
			err = fmt.Errorf("%w: %w", scheduler.ErrNotFound, err)
		}
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("cu: su %s: %w", u, err)
	}
	return nil
}

// Process reads GET /processes/{pid}.
func (s *HTTPSource) Process(ctx context.Context, pid string) (*scheduler.Process, error) {
	var p scheduler.ProcessJSON
	if err := s.get(ctx, "/processes/"+url.PathEscape(pid), nil, &p); err != nil {
		if errors.Is(err, scheduler.ErrNotFound) {
			return nil, fmt.Errorf("%w: %w", scheduler.ErrUnknownProcess, err)
		}
		return nil, err
	}
	var data, anchor []byte
	if p.Data != nil {
		data = []byte(*p.Data)
	}
	if p.Anchor != nil {
		anchor = []byte(*p.Anchor)
	}
	target := ""
	if p.Target != nil {
		target = *p.Target
	}
	item, err := rebuild(p.Owner.Key, p.Signature, target, anchor, p.Tags, data)
	if err != nil {
		return nil, fmt.Errorf("cu: process %s from the su: %w", pid, err)
	}
	if item.ID() != pid {
		return nil, fmt.Errorf("cu: the su answered process %s for %s", item.ID(), pid)
	}
	height, err := strconv.ParseInt(p.Block, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("cu: process %s: block %q: %w", pid, p.Block, err)
	}
	return &scheduler.Process{Item: item, Timestamp: p.Timestamp, BlockHeight: height}, nil
}

// Entries reads a page of GET /{pid} by nonce (the CU reads in nonce
// order).
func (s *HTTPSource) Entries(ctx context.Context, pid string, r scheduler.Range) ([]*scheduler.Entry, bool, error) {
	if !r.ByNonce() {
		return nil, false, errors.New("cu: HTTPSource reads by nonce only")
	}
	q := url.Values{"process-id": {pid}}
	if r.FromNonce != nil {
		q.Set("from-nonce", strconv.FormatInt(*r.FromNonce, 10))
	}
	if r.ToNonce != nil {
		q.Set("to-nonce", strconv.FormatInt(*r.ToNonce, 10))
	}
	if r.Limit > 0 {
		q.Set("limit", strconv.Itoa(r.Limit))
	}
	var page scheduler.PageJSON
	if err := s.get(ctx, "/"+url.PathEscape(pid), q, &page); err != nil {
		return nil, false, err
	}
	out := make([]*scheduler.Entry, 0, len(page.Edges))
	for _, e := range page.Edges {
		entry, err := entryFromJSON(pid, e.Node)
		if err != nil {
			return nil, false, err
		}
		out = append(out, entry)
	}
	return out, page.PageInfo.HasNextPage, nil
}

// Find reads GET /{id}?process-id=.
func (s *HTTPSource) Find(ctx context.Context, pid, id string) (*scheduler.Entry, error) {
	var e scheduler.EntryJSON
	if err := s.get(ctx, "/"+url.PathEscape(id), url.Values{"process-id": {pid}}, &e); err != nil {
		return nil, err
	}
	return entryFromJSON(pid, e)
}

// Seal reads GET /timestamp.
func (s *HTTPSource) Seal(ctx context.Context) (int64, int64, error) {
	var t struct {
		Timestamp   string `json:"timestamp"`
		BlockHeight string `json:"block_height"`
	}
	if err := s.get(ctx, "/timestamp", nil, &t); err != nil {
		return 0, 0, err
	}
	ts, err := strconv.ParseInt(t.Timestamp, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("cu: su timestamp %q: %w", t.Timestamp, err)
	}
	h, err := strconv.ParseInt(t.BlockHeight, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("cu: su block height %q: %w", t.BlockHeight, err)
	}
	return ts, h, nil
}

// entryFromJSON rebuilds an entry from the SU's {message, assignment}.
func entryFromJSON(pid string, n scheduler.EntryJSON) (*scheduler.Entry, error) {
	a := n.Assignment
	asg, err := rebuild(a.Owner.Key, a.Signature, a.Target, anchorBytes(a.Anchor), a.Tags, nil)
	if err != nil {
		return nil, fmt.Errorf("cu: assignment %s: %w", a.ID, err)
	}
	tags := asg.Tags
	e := &scheduler.Entry{Process: pid, Assignment: asg, HashChain: tags.Value("Hash-Chain")}
	if p := tags.Value("Process"); p != pid {
		return nil, fmt.Errorf("cu: assignment %s is for process %s, not %s", a.ID, p, pid)
	}
	for _, f := range []struct {
		name string
		dst  *int64
	}{{"Nonce", &e.Nonce}, {"Epoch", &e.Epoch}, {"Timestamp", &e.Timestamp}, {"Block-Height", &e.BlockHeight}} {
		v, err := strconv.ParseInt(tags.Value(f.name), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("cu: assignment %s: %s %q", a.ID, f.name, tags.Value(f.name))
		}
		*f.dst = v
	}
	if m := n.Message; m != nil {
		if e.Message, err = rebuild(m.Owner.Key, m.Signature, m.Target, anchorBytes(m.Anchor), m.Tags, []byte(m.Data)); err != nil {
			return nil, fmt.Errorf("cu: message %s: %w", m.ID, err)
		}
		if e.Message.ID() != m.ID {
			return nil, fmt.Errorf("cu: message %s rebuilt as %s", m.ID, e.Message.ID())
		}
	}
	return e, nil
}

func anchorBytes(a *string) []byte {
	if a == nil {
		return nil
	}
	return []byte(*a)
}

// rebuild makes a data item from the SU's JSON fields.
func rebuild(ownerKey, signature, target string, anchor []byte, tags []scheduler.TagJSON, data []byte) (*arweave.DataItem, error) {
	owner, err := arweave.DecodeB64(ownerKey)
	if err != nil {
		return nil, fmt.Errorf("owner: %w", err)
	}
	sig, err := arweave.DecodeB64(signature)
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	t, ok := arweave.SignatureTypeFor(len(owner), len(sig))
	if !ok {
		return nil, fmt.Errorf("unknown signature type (owner %d bytes, signature %d)", len(owner), len(sig))
	}
	var rawTarget []byte
	if target != "" {
		if rawTarget, err = arweave.DecodeID(target); err != nil {
			return nil, fmt.Errorf("target: %w", err)
		}
	}
	ts := make([]arweave.Tag, len(tags))
	for i, tg := range tags {
		ts[i] = arweave.Tag{Name: tg.Name, Value: tg.Value}
	}
	return arweave.NewDataItem(t, sig, owner, rawTarget, anchor, ts, data)
}
