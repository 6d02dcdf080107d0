package scheduler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/internal/httpjson"
)

// HandlerConfig configures Handler.
type HandlerConfig struct {
	// MaxItemBytes is the largest body POST / accepts. Default 10 MiB
	// (the reference SU's request limit).
	MaxItemBytes int64
	// Verifier checks signatures of posted items. Default: a new one.
	// Share the node's, so that its key cache serves every unit.
	Verifier *arweave.Verifier
	// MaxPageSize caps the limit of GET /{pid}. Default 5000.
	MaxPageSize int
}

// DefaultMaxItemBytes is the default body limit of POST /.
const DefaultMaxItemBytes = 10 << 20

// Handler serves the SU's HTTP API (protocol.md 4) for s, rooted at "/":
// mount it under a prefix with http.StripPrefix.
//
//	GET  /                       {"timestamp": "<ms>", "address": "<SU address>", ...}
//	POST /                       schedule a signed Process or Message item
//	POST /?process-id=&assign=   assign an existing transaction
//	GET  /timestamp              {"timestamp": "<seal ms>", "block_height": "<12 digits>"}
//	GET  /processes/{pid}        the process
//	GET  /{pid}/latest           the newest entry
//	GET  /{id}?process-id=       one entry (by message or assignment id)
//	GET  /{pid}?from=&to=&limit= a page of the process's entries (process-id optional)
//	GET  /health                 200
//
// Errors are JSON {"error": "..."}: 400 for bad input and duplicates, 404
// for unknown processes and ids, 413 for oversized bodies.
func (s *Scheduler) Handler(cfg HandlerConfig) http.Handler {
	if cfg.MaxItemBytes <= 0 {
		cfg.MaxItemBytes = DefaultMaxItemBytes
	}
	if cfg.Verifier == nil {
		cfg.Verifier = arweave.NewVerifier(0)
	}
	if cfg.MaxPageSize <= 0 {
		cfg.MaxPageSize = 5000
	}
	h := &handler{s: s, cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.root)
	mux.HandleFunc("POST /{$}", h.post)
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("GET /timestamp", h.timestamp)
	// One pattern for both two-segment routes: ServeMux refuses
	// /processes/{pid} beside /{pid}/latest (both match /processes/latest).
	mux.HandleFunc("GET /{first}/{second}", func(w http.ResponseWriter, r *http.Request) {
		switch first, second := r.PathValue("first"), r.PathValue("second"); {
		case first == "processes":
			h.process(w, r, second)
		case second == "latest":
			h.latest(w, r, first)
		default:
			httpjson.Error(w, http.StatusNotFound, "no such route")
		}
	})
	mux.HandleFunc("GET /{id}", h.get)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		httpjson.Error(w, http.StatusNotFound, "no such route")
	})
	return mux
}

type handler struct {
	s   *Scheduler
	cfg HandlerConfig
}

func (h *handler) root(w http.ResponseWriter, r *http.Request) {
	t, _, err := h.s.Seal(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{
		"timestamp": strconv.FormatInt(t, 10),
		"address":   h.s.Address(),
	})
}

func (h *handler) timestamp(w http.ResponseWriter, r *http.Request) {
	t, height, err := h.s.Seal(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]string{
		"timestamp":    strconv.FormatInt(t, 10),
		"block_height": FormatBlockHeight(height),
	})
}

func (h *handler) post(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pid, assign := q.Get("process-id"), q.Get("assign")
	if (pid == "") != (assign == "") {
		httpjson.Error(w, http.StatusBadRequest, "If sending assign or process-id, you must send both.")
		return
	}
	var (
		res *Scheduled
		err error
	)
	if assign != "" {
		a := AssignRequest{Process: pid, Transaction: assign, BaseLayer: q.Has("base-layer")}
		if x := q.Get("exclude"); x != "" {
			a.Exclude = strings.Split(x, ",")
		}
		res, err = h.s.Assign(r.Context(), a)
	} else {
		var item *arweave.DataItem
		if item, err = h.readItem(w, r); err != nil {
			return
		}
		res, err = h.s.Schedule(r.Context(), item)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"timestamp": res.Timestamp, "id": res.ID})
}

// readItem reads, parses and verifies the body, answering the client
// itself on failure (the returned error is then only a signal).
func (h *handler) readItem(w http.ResponseWriter, r *http.Request) (*arweave.DataItem, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxItemBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		httpjson.Error(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("data item larger than %d bytes", h.cfg.MaxItemBytes))
		return nil, err
	case err != nil:
		httpjson.Error(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return nil, err
	}
	item, err := arweave.ParseDataItem(body)
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, err.Error())
		return nil, err
	}
	if err := h.cfg.Verifier.Verify(item); err != nil {
		httpjson.Error(w, http.StatusBadRequest, err.Error())
		return nil, err
	}
	return item, nil
}

func (h *handler) process(w http.ResponseWriter, r *http.Request, pid string) {
	p, err := h.s.Process(r.Context(), pid)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, NewProcessJSON(p))
}

func (h *handler) latest(w http.ResponseWriter, r *http.Request, pid string) {
	e, err := h.s.Latest(r.Context(), pid)
	if errors.Is(err, ErrNotFound) {
		httpjson.Error(w, http.StatusNotFound, "Latest message not available")
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, NewEntryJSON(e))
}

// get answers GET /{id}: one entry when id is a message or assignment of
// process-id (or of any process when process-id is absent), else a page
// when id is a process.
func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	pid := r.URL.Query().Get("process-id")
	if pid == "" || pid == id {
		switch _, err := h.s.Process(ctx, id); {
		case err == nil:
			h.page(w, r, id)
			return
		case !errors.Is(err, ErrUnknownProcess):
			h.fail(w, r, err)
			return
		}
	}
	e, err := h.s.Find(ctx, pid, id)
	if errors.Is(err, ErrNotFound) {
		httpjson.Error(w, http.StatusNotFound, "Message or Process not found")
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, NewEntryJSON(e))
}

func (h *handler) page(w http.ResponseWriter, r *http.Request, pid string) {
	q := r.URL.Query()
	var rg Range
	var err error
	ints := []struct {
		name string
		dst  **int64
	}{{"from", &rg.From}, {"to", &rg.To}, {"from-nonce", &rg.FromNonce}, {"to-nonce", &rg.ToNonce}}
	for _, p := range ints {
		if *p.dst, err = queryInt(q.Get(p.name)); err != nil {
			httpjson.Error(w, http.StatusBadRequest, fmt.Sprintf("query %s: %v", p.name, err))
			return
		}
	}
	limit, err := queryInt(q.Get("limit"))
	if err != nil || (limit != nil && *limit <= 0) {
		httpjson.Error(w, http.StatusBadRequest, fmt.Sprintf("query limit: %q is not a positive integer", q.Get("limit")))
		return
	}
	rg.Limit = DefaultPageSize
	if limit != nil {
		rg.Limit = int(min(*limit, int64(h.cfg.MaxPageSize)))
	}
	entries, more, err := h.s.Entries(r.Context(), pid, rg)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var out PageJSON
	out.PageInfo.HasNextPage = more
	out.Edges = make([]EdgeJSON, len(entries))
	for i, e := range entries {
		cursor := strconv.FormatInt(e.Timestamp, 10)
		if rg.ByNonce() {
			cursor = strconv.FormatInt(e.Nonce, 10)
		}
		out.Edges[i] = EdgeJSON{Cursor: cursor, Node: NewEntryJSON(e)}
	}
	httpjson.Write(w, http.StatusOK, out)
}

func queryInt(v string) (*int64, error) {
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%q is not an integer", v)
	}
	return &n, nil
}

// fail answers an error from the scheduler with its status.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrDuplicate):
		status = http.StatusBadRequest
	case errors.Is(err, ErrUnknownProcess), errors.Is(err, ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		status = http.StatusServiceUnavailable
	}
	if status == http.StatusInternalServerError {
		h.s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	httpjson.Error(w, status, strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
}
