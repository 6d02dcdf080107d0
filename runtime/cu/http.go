package cu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aogo-dev/aogo/internal/httpjson"
	"github.com/aogo-dev/aogo/runtime/results"
	"github.com/aogo-dev/aogo/vm"
)

// ErrBadRequest marks a malformed request (a 400).
var ErrBadRequest = errors.New("bad request")

// HandlerConfig configures Handler.
type HandlerConfig struct {
	// MaxDryRunBytes is the largest dry-run body. Default 1 MiB (the
	// reference CU's JSON limit).
	MaxDryRunBytes int64
	// Now is the clock of GET /'s timestamp. Default time.Now.
	Now func() time.Time
}

// Handler serves the CU's HTTP API (protocol.md 6.1), rooted at "/":
//
//	GET  /                          {"address": "<CU wallet>", "timestamp": <ms>}
//	GET  /result/{id}?process-id=   evaluate to the message, answer its result
//	GET  /results/{pid}?from&to&sort&limit   stored results (no evaluation), errors left out
//	POST /dry-run?process-id=       evaluate a message on a copy of the latest state
//	GET  /state/{pid}               evaluate to the SU's seal, answer the memory
//	GET  /cron/{pid}?from&to&limit  evaluate to the seal, answer the cron results
//	GET  /health                    200
//
// Errors are JSON {"error": "..."}: 400 bad request, 404 unknown process
// or message, 413 limits above this CU's maximum (or missing), 422 a
// module this CU cannot run or a broken hash chain, 503 (with Retry-After)
// when the CU is busy or lacks data for now.
func (u *Unit) Handler(cfg HandlerConfig) http.Handler {
	if cfg.MaxDryRunBytes <= 0 {
		cfg.MaxDryRunBytes = 1 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &handler{u: u, cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.root)
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("GET /result/{id}", h.result)
	mux.HandleFunc("GET /results/{pid}", h.results)
	mux.HandleFunc("POST /dry-run", h.dryRun)
	mux.HandleFunc("GET /state/{pid}", h.state)
	mux.HandleFunc("GET /cron/{pid}", h.cron)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { httpjson.Error(w, http.StatusNotFound, "no such route") })
	return mux
}

type handler struct {
	u   *Unit
	cfg HandlerConfig
}

func (h *handler) root(w http.ResponseWriter, _ *http.Request) {
	httpjson.Write(w, http.StatusOK, map[string]any{"address": h.u.Address(), "timestamp": h.cfg.Now().UnixMilli()})
}

func (h *handler) result(w http.ResponseWriter, r *http.Request) {
	pid := r.URL.Query().Get("process-id")
	if pid == "" {
		httpjson.Error(w, http.StatusBadRequest, "'process-id': Required.")
		return
	}
	rec, err := h.u.Result(r.Context(), pid, r.PathValue("id"))
	if err != nil {
		h.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(rec.Result)
}

// connection writes records as the reference CU's result connection.
func connection(w http.ResponseWriter, recs []results.Record, more, desc bool) {
	type edge struct {
		Cursor string          `json:"cursor"`
		Node   json.RawMessage `json:"node"`
	}
	var out struct {
		PageInfo struct {
			HasNextPage bool `json:"hasNextPage"`
		} `json:"pageInfo"`
		Edges []edge `json:"edges"`
	}
	out.PageInfo.HasNextPage = more
	out.Edges = make([]edge, len(recs))
	for i, rec := range recs {
		out.Edges[i] = edge{Cursor: results.EncodeCursor(rec, desc), Node: rec.Result}
	}
	httpjson.Write(w, http.StatusOK, out)
}

// page reads from, to and limit (and sort) into a results query.
func page(r *http.Request, defLimit, maxLimit int) (results.Query, error) {
	q := r.URL.Query()
	var out results.Query
	for _, b := range []struct {
		name string
		dst  **results.Key
	}{{"from", &out.From}, {"to", &out.To}} {
		if v := q.Get(b.name); v != "" {
			k, err := results.ParseBound(v)
			if err != nil {
				return out, fmt.Errorf("%w: %s: %v", ErrBadRequest, b.name, err)
			}
			*b.dst = &k
		}
	}
	switch s := strings.ToUpper(q.Get("sort")); s {
	case "", "ASC":
	case "DESC":
		out.Desc = true
	default:
		return out, fmt.Errorf("%w: sort must be ASC or DESC", ErrBadRequest)
	}
	out.Limit = defLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return out, fmt.Errorf("%w: limit %q is not a positive integer", ErrBadRequest, v)
		}
		out.Limit = min(n, maxLimit)
	}
	return out, nil
}

func (h *handler) results(w http.ResponseWriter, r *http.Request) {
	q, err := page(r, 25, 1000)
	if err != nil {
		h.fail(w, err)
		return
	}
	q.SkipErrors = true
	recs, more, err := h.u.cfg.Results.Page(r.Context(), r.PathValue("pid"), q)
	if err != nil {
		h.fail(w, err)
		return
	}
	connection(w, recs, more, q.Desc)
}

func (h *handler) cron(w http.ResponseWriter, r *http.Request) {
	q, err := page(r, 500, 1000)
	if err != nil {
		h.fail(w, err)
		return
	}
	pid := r.PathValue("pid")
	if _, err := h.u.Advance(r.Context(), pid); err != nil {
		h.fail(w, err)
		return
	}
	q.CronOnly = true
	recs, more, err := h.u.cfg.Results.Page(r.Context(), pid, q)
	if err != nil {
		h.fail(w, err)
		return
	}
	connection(w, recs, more, q.Desc)
}

func (h *handler) dryRun(w http.ResponseWriter, r *http.Request) {
	pid := r.URL.Query().Get("process-id")
	if pid == "" {
		httpjson.Error(w, http.StatusBadRequest, "'process-id': Required.")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxDryRunBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		httpjson.Error(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", h.cfg.MaxDryRunBytes))
		return
	}
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	var msg DryRunMessage
	if err := json.Unmarshal(body, &msg); err != nil {
		httpjson.Error(w, http.StatusBadRequest, "the body is not a message: "+err.Error())
		return
	}
	if msg.Owner == "" {
		httpjson.Error(w, http.StatusBadRequest, "'Owner': Required.")
		return
	}
	out, err := h.u.DryRun(r.Context(), pid, msg)
	if err != nil {
		h.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

func (h *handler) state(w http.ResponseWriter, r *http.Request) {
	st, pos, err := h.u.State(r.Context(), r.PathValue("pid"))
	if err != nil {
		h.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Last-Timestamp", strconv.FormatInt(pos.Timestamp, 10))
	w.Header().Set("Last-Ordinate", strconv.FormatInt(pos.Nonce, 10))
	w.Header().Set("Last-Block-Height", strconv.FormatInt(pos.BlockHeight, 10))
	w.Write(st.Memory)
}

// fail answers an error with its status.
func (h *handler) fail(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrBadRequest):
		status = http.StatusBadRequest
	case errors.Is(err, ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, vm.ErrLimit):
		status = http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrModule), errors.Is(err, ErrHashChain):
		status = http.StatusUnprocessableEntity
	case errors.Is(err, ErrBusy), errors.Is(err, vm.ErrUnavailable), errors.Is(err, vm.ErrInterrupted),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "1")
	}
	if status == http.StatusInternalServerError {
		h.u.log.Error("request failed", "err", err)
	}
	httpjson.Error(w, status, err.Error())
}
