// Package messenger is the messenger unit (MU): it takes signed ANS-104
// items from clients over HTTP, verifies them once for the node, checks the
// ao tags and sizes, and hands them to the process's scheduler.
//
// With a Cranker it also delivers outboxes (crank.go), and with a CU for
// the cranker it monitors processes: it wakes them at their cron intervals
// and delivers their ticks' outboxes (monitor.go).
package messenger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/internal/httpjson"
	"github.com/aogo-dev/aogo/scheduler"
)

// Scheduler is what the MU needs of an SU: the node's own, through Go calls
// (the items it hands over are verified already), or a Router to every SU.
type Scheduler interface {
	Schedule(ctx context.Context, item *arweave.DataItem) (*scheduler.Scheduled, error)
	Assign(ctx context.Context, a scheduler.AssignRequest) (*scheduler.Scheduled, error)
}

// Config configures New. Scheduler and Signer are required.
type Config struct {
	Scheduler Scheduler
	// Signer is the MU's wallet: processes name its address in their
	// Authority tag to trust what the MU pushes.
	Signer arweave.Signer
	// Verifier checks signatures (share the node's). Default: a new one.
	Verifier *arweave.Verifier
	// MaxItemBytes is the largest item POST / takes. Default 10 MiB (the
	// reference MU's body limit).
	MaxItemBytes int64
	// Cranker, if set, delivers the outboxes of the messages and
	// assignments the MU takes (and of everything they push, in turn).
	Cranker *Cranker
	Logger  *slog.Logger
}

// Unit is a running MU.
type Unit struct {
	cfg Config
	log *slog.Logger
}

// New makes an MU.
func New(cfg Config) (*Unit, error) {
	if cfg.Scheduler == nil || cfg.Signer == nil {
		return nil, errors.New("messenger: Config.Scheduler and Config.Signer are required")
	}
	if cfg.Verifier == nil {
		cfg.Verifier = arweave.NewVerifier(0)
	}
	if cfg.MaxItemBytes <= 0 {
		cfg.MaxItemBytes = 10 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Unit{cfg: cfg, log: cfg.Logger.With("unit", "mu")}, nil
}

// Address is the MU wallet's address.
func (u *Unit) Address() string { return arweave.SignerAddress(u.cfg.Signer) }

// Errors of Send; match them with errors.Is.
var ErrInvalid = errors.New("invalid data item")

// Send checks a verified item's ao tags (protocol.md 5.2: Data-Protocol
// containing ao, Type Process or Message; the first Type wins) and hands it
// to the scheduler.
func (u *Unit) Send(ctx context.Context, item *arweave.DataItem) (*scheduler.Scheduled, error) {
	ao := false
	typ := ""
	for _, t := range item.Tags {
		switch t.Name {
		case "Data-Protocol":
			ao = ao || t.Value == "ao"
		case "Type":
			if typ == "" {
				typ = t.Value
			}
		}
	}
	if !ao {
		return nil, fmt.Errorf("%w: Tag 'Data-Protocol': must contain 'ao'", ErrInvalid)
	}
	if typ != "Process" && typ != "Message" {
		return nil, fmt.Errorf("%w: Tag 'Type': must be either 'Process' or 'Message'", ErrInvalid)
	}
	res, err := u.cfg.Scheduler.Schedule(ctx, item)
	if err != nil {
		return nil, err
	}
	if typ == "Message" && u.cfg.Cranker != nil && u.cfg.Cranker.cranks(ctx, res, item.TargetID()) {
		if err := u.cfg.Cranker.Crank(item.TargetID(), item.ID(), ""); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// Handler serves the MU's HTTP API, rooted at "/":
//
//	GET  /                         {"name": "ao messenger unit", "address": "<MU wallet>"}
//	GET  /health                   {"status": "ok"}
//	POST /                         a signed Process or Message item: 202 {"message":"Processing DataItem","id"}
//	POST /?process-id=&assign=     an assignment: 202 {"message":"Processing Assignment","id"}
//	POST   /monitor/{pid}          start delivering pid's cron ticks: 200 {"message":"Monitoring process","id"}
//	DELETE /monitor/{pid}          stop it: 200 {"message":"Process deleted","id"}
//
// The monitor routes take a data item signed by the process's owner (as
// aoconnect's monitor and unmonitor send it: target pid, no tags).
//
// Errors are JSON {"error": "..."}: 400 for bad items, tags and queries
// (and duplicates), 404 for an unknown process, 413 for a body over the
// limit.
func (u *Unit) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]string{"name": "ao messenger unit", "address": u.Address()})
	})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("POST /{$}", u.post)
	mux.HandleFunc("POST /monitor/{pid}", u.monitor)
	mux.HandleFunc("DELETE /monitor/{pid}", u.monitor)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { httpjson.Error(w, http.StatusNotFound, "no such route") })
	return mux
}

func (u *Unit) post(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pid, assign := q.Get("process-id"), q.Get("assign")
	if (pid == "") != (assign == "") {
		httpjson.Error(w, http.StatusBadRequest, "You must set both process-id and assign to send an assignment, not just one")
		return
	}
	if assign != "" {
		a := scheduler.AssignRequest{Process: pid, Transaction: assign, BaseLayer: q.Has("base-layer")}
		if x := q.Get("exclude"); x != "" {
			a.Exclude = strings.Split(x, ",")
		}
		res, err := u.cfg.Scheduler.Assign(r.Context(), a)
		if err == nil && u.cfg.Cranker != nil && u.cfg.Cranker.cranks(r.Context(), res, pid) {
			err = u.cfg.Cranker.Crank(pid, res.ID, "")
		}
		if err != nil {
			u.fail(w, err)
			return
		}
		httpjson.Write(w, http.StatusAccepted, map[string]string{"message": "Processing Assignment", "id": res.ID})
		return
	}
	item, ok := u.readItem(w, r)
	if !ok {
		return
	}
	res, err := u.Send(r.Context(), item)
	if err != nil {
		u.fail(w, err)
		return
	}
	httpjson.Write(w, http.StatusAccepted, map[string]string{"message": "Processing DataItem", "id": res.ID})
}

func (u *Unit) fail(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrInvalid), errors.Is(err, scheduler.ErrInvalid), errors.Is(err, scheduler.ErrDuplicate):
		status = http.StatusBadRequest
	case errors.Is(err, scheduler.ErrUnknownProcess), errors.Is(err, scheduler.ErrNotFound),
		errors.Is(err, ErrNotMonitored), errors.Is(err, ErrNoDeadLetter):
		status = http.StatusNotFound
	case errors.Is(err, ErrMonitored):
		status = http.StatusConflict
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		status = http.StatusServiceUnavailable
	}
	if status == http.StatusInternalServerError {
		u.log.Error("request failed", "err", err)
	}
	httpjson.Error(w, status, strings.TrimPrefix(err.Error(), scheduler.ErrInvalid.Error()+": "))
}

// readItem reads and verifies the signed data item of a request's body,
// answering the error itself when there is none.
func (u *Unit) readItem(w http.ResponseWriter, r *http.Request) (*arweave.DataItem, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, u.cfg.MaxItemBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		httpjson.Error(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("data item larger than %d bytes", u.cfg.MaxItemBytes))
		return nil, false
	}
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return nil, false
	}
	item, err := arweave.ParseDataItem(body)
	if err == nil {
		err = u.cfg.Verifier.Verify(item)
	}
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, "'body': A valid and signed data item must be provided as the body. ("+err.Error()+")")
		return nil, false
	}
	return item, true
}

// monitor serves POST and DELETE /monitor/{pid}. Better than the
// reference MU, which takes any body: the item must be signed, and by the
// process's owner.
func (u *Unit) monitor(w http.ResponseWriter, r *http.Request) {
	pid := r.PathValue("pid")
	c := u.cfg.Cranker
	if c == nil || c.cfg.Cron == nil {
		httpjson.Error(w, http.StatusNotImplemented, "this messenger unit has no compute unit to monitor processes with")
		return
	}
	item, ok := u.readItem(w, r)
	if !ok {
		return
	}
	if t := item.TargetID(); t != "" && t != pid {
		httpjson.Error(w, http.StatusBadRequest, fmt.Sprintf("the item's target %s is not the process %s", t, pid))
		return
	}
	p, err := c.cfg.SU.Process(r.Context(), pid)
	if err != nil {
		u.fail(w, err)
		return
	}
	if owner := p.Item.OwnerAddress(); item.OwnerAddress() != owner {
		httpjson.Error(w, http.StatusForbidden, fmt.Sprintf("only the owner of process %s (%s) can monitor it", pid, owner))
		return
	}
	if r.Method == http.MethodDelete {
		if err := c.Unmonitor(pid); err != nil {
			u.fail(w, err)
			return
		}
		httpjson.Write(w, http.StatusOK, map[string]string{"message": "Process deleted", "id": pid})
		return
	}
	if err := c.Monitor(r.Context(), pid); err != nil {
		u.fail(w, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]string{"message": "Monitoring process", "id": pid})
}

// AdminHandler serves the operator's view of the crank queue, rooted at
// "/". Mount it where only operators reach it (the node answers it on
// loopback or with its admin token):
//
//	GET    /crank                        {"pending": n, "dead_letters": n, "monitors": [pid...]}
//	GET    /dead-letters                 {"dead_letters": [{seq, process, message, error, attempts, ...}]}
//	POST   /dead-letters/{seq}/replay    queue it again: {"replayed": seq}
//	DELETE /dead-letters/{seq}           forget it: {"dropped": seq}
func (u *Unit) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	c := u.cfg.Cranker
	withCranker := func(h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if c == nil {
				httpjson.Error(w, http.StatusNotImplemented, "this messenger unit does not crank")
				return
			}
			h(w, r)
		}
	}
	seqOf := func(w http.ResponseWriter, r *http.Request) (uint64, bool) {
		seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
		if err != nil {
			httpjson.Error(w, http.StatusBadRequest, "seq must be a dead letter's number")
		}
		return seq, err == nil
	}
	mux.HandleFunc("GET /crank", withCranker(func(w http.ResponseWriter, _ *http.Request) {
		mons := c.Monitors()
		if mons == nil {
			mons = []string{}
		}
		httpjson.Write(w, http.StatusOK, map[string]any{"pending": c.Pending(), "dead_letters": c.DeadLetterCount(), "monitors": mons})
	}))
	mux.HandleFunc("GET /dead-letters", withCranker(func(w http.ResponseWriter, _ *http.Request) {
		list, err := c.DeadLetters()
		if err != nil {
			u.fail(w, err)
			return
		}
		if list == nil {
			list = []DeadLetter{}
		}
		httpjson.Write(w, http.StatusOK, map[string]any{"dead_letters": list})
	}))
	mux.HandleFunc("POST /dead-letters/{seq}/replay", withCranker(func(w http.ResponseWriter, r *http.Request) {
		if seq, ok := seqOf(w, r); ok {
			if err := c.Replay(seq); err != nil {
				u.fail(w, err)
				return
			}
			httpjson.Write(w, http.StatusOK, map[string]uint64{"replayed": seq})
		}
	}))
	mux.HandleFunc("DELETE /dead-letters/{seq}", withCranker(func(w http.ResponseWriter, r *http.Request) {
		if seq, ok := seqOf(w, r); ok {
			if err := c.Drop(seq); err != nil {
				u.fail(w, err)
				return
			}
			httpjson.Write(w, http.StatusOK, map[string]uint64{"dropped": seq})
		}
	}))
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { httpjson.Error(w, http.StatusNotFound, "no such route") })
	return mux
}
