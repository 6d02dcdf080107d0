// Package messenger is the messenger unit (MU): it takes signed ANS-104
// items from clients over HTTP, verifies them once for the node, checks the
// ao tags and sizes, and hands them to the process's scheduler.
//
// With a Cranker it also delivers outboxes (crank.go). Monitors (cron
// delivery) and routing to foreign schedulers come with the rest of the
// messenger issue.
package messenger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/internal/httpjson"
	"github.com/aogo-dev/aogo/scheduler"
)

// Scheduler is what the MU needs of an SU: the node's own, through Go calls
// (the items it hands over are verified already).
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
	if typ == "Message" && u.cfg.Cranker != nil {
		if err := u.cfg.Cranker.Crank(item.TargetID(), item.ID(), ""); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// Handler serves the MU's HTTP API, rooted at "/":
//
//	GET  /                         {"name": "ao messenger unit", "address": "<MU wallet>"}
//	POST /                         a signed Process or Message item: 202 {"message":"Processing DataItem","id"}
//	POST /?process-id=&assign=     an assignment: 202 {"message":"Processing Assignment","id"}
//
// Errors are JSON {"error": "..."}: 400 for bad items, tags and queries
// (and duplicates), 404 for an unknown process, 413 for a body over the
// limit.
func (u *Unit) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]string{"name": "ao messenger unit", "address": u.Address()})
	})
	mux.HandleFunc("POST /{$}", u.post)
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
		if err == nil && u.cfg.Cranker != nil {
			err = u.cfg.Cranker.Crank(pid, res.ID, "")
		}
		if err != nil {
			u.fail(w, err)
			return
		}
		httpjson.Write(w, http.StatusAccepted, map[string]string{"message": "Processing Assignment", "id": res.ID})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, u.cfg.MaxItemBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		httpjson.Error(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("data item larger than %d bytes", u.cfg.MaxItemBytes))
		return
	}
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	item, err := arweave.ParseDataItem(body)
	if err == nil {
		err = u.cfg.Verifier.Verify(item)
	}
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, "'body': A valid and signed data item must be provided as the body. ("+err.Error()+")")
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
	case errors.Is(err, scheduler.ErrUnknownProcess), errors.Is(err, scheduler.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		status = http.StatusServiceUnavailable
	}
	if status == http.StatusInternalServerError {
		u.log.Error("request failed", "err", err)
	}
	httpjson.Error(w, status, strings.TrimPrefix(err.Error(), scheduler.ErrInvalid.Error()+": "))
}
