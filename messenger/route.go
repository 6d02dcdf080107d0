package messenger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/scheduler"
)

// Router is the MU's way to the schedulers: the node's own SU (Go calls)
// for its processes, and any other SU over HTTP, found as
// @permaweb/ao-scheduler-utils finds it: the process's Scheduler tag names
// the SU's wallet, whose newest Scheduler-Location record in the store
// names its URL (protocol.md 3.10, 5.2).
//
// A message for another scheduler's process is delivered to that SU, as
// the reference MU does. What that message's evaluation sends in turn is
// not cranked here: this node's CU computes only its own SU's processes
// (see docs/design-decisions.md).
type Router struct {
	local  Pusher
	store  arweave.Store
	client *http.Client
	// remote, if set, reads the processes of other schedulers (see
	// ReadRemote).
	remote func(suURL string) SUReader

	mu    sync.Mutex
	cache map[string]route // scheduler address -> where it is
}

type route struct {
	url   string
	until time.Time
}

// NewRouter routes to local, and to the SUs whose locations store knows.
// A nil client uses one with a one-minute timeout.
func NewRouter(local Pusher, store arweave.Store, client *http.Client) *Router {
	if client == nil {
		client = &http.Client{Timeout: time.Minute}
	}
	return &Router{local: local, store: store, client: client, cache: map[string]route{}}
}

// Address is the local SU's address.
func (r *Router) Address() string { return r.local.Address() }

// ReadRemote makes Process and Find read other schedulers' processes too,
// through the reader open returns for an SU's URL. Set it when the node's
// CU computes other schedulers' processes (its Source routes the same
// way): the cranker then cranks messages pushed to them as well. Call it
// before the router is used.
func (r *Router) ReadRemote(open func(suURL string) SUReader) { r.remote = open }

// Process reads a process of the local SU, or with ReadRemote of any.
func (r *Router) Process(ctx context.Context, pid string) (*scheduler.Process, error) {
	p, err := r.local.Process(ctx, pid)
	if r.remote == nil || !errors.Is(err, scheduler.ErrUnknownProcess) {
		return p, err
	}
	u, err := r.Locate(ctx, pid)
	if err != nil {
		return nil, err
	}
	return r.remote(u).Process(ctx, pid)
}

// Find reads an entry of the local SU, or with ReadRemote of any.
func (r *Router) Find(ctx context.Context, pid, id string) (*scheduler.Entry, error) {
	if r.remote != nil {
		if _, err := r.local.Process(ctx, pid); errors.Is(err, scheduler.ErrUnknownProcess) {
			u, err := r.Locate(ctx, pid)
			if err != nil {
				return nil, err
			}
			return r.remote(u).Find(ctx, pid, id)
		}
	}
	return r.local.Find(ctx, pid, id)
}

// Locate returns the URL of the SU of process pid, a process of another
// scheduler (found in the store); ErrUnknownProcess if the store has no
// such process, or it names the local SU.
func (r *Router) Locate(ctx context.Context, pid string) (string, error) {
	su, err := r.schedulerOf(ctx, pid)
	if err != nil {
		return "", err
	}
	return r.locate(ctx, su)
}

// Schedule hands item to its SU: a Process to the one its Scheduler tag
// names, a Message to its target's. A foreign SU's answer has no Entry or
// Process.
func (r *Router) Schedule(ctx context.Context, item *arweave.DataItem) (*scheduler.Scheduled, error) {
	var su string
	if item.Tags.Value("Type") == "Process" {
		su = item.Tags.Value("Scheduler")
		if su == "" || su == r.local.Address() {
			return r.local.Schedule(ctx, item)
		}
	} else {
		res, err := r.local.Schedule(ctx, item)
		if !errors.Is(err, scheduler.ErrUnknownProcess) {
			return res, err
		}
		if su, err = r.schedulerOf(ctx, item.TargetID()); err != nil {
			return nil, err
		}
	}
	base, err := r.locate(ctx, su)
	if err != nil {
		return nil, err
	}
	return postSU(ctx, r.client, base+"/", item.Bytes())
}

// Assign schedules an assignment on the process's SU.
func (r *Router) Assign(ctx context.Context, a scheduler.AssignRequest) (*scheduler.Scheduled, error) {
	res, err := r.local.Assign(ctx, a)
	if !errors.Is(err, scheduler.ErrUnknownProcess) {
		return res, err
	}
	su, err := r.schedulerOf(ctx, a.Process)
	if err != nil {
		return nil, err
	}
	base, err := r.locate(ctx, su)
	if err != nil {
		return nil, err
	}
	return postSU(ctx, r.client, assignURL(base, a), nil)
}

// assignURL is the SU's assignment route for a.
func assignURL(base string, a scheduler.AssignRequest) string {
	q := url.Values{"process-id": {a.Process}, "assign": {a.Transaction}}
	if len(a.Exclude) > 0 {
		q.Set("exclude", strings.Join(a.Exclude, ","))
	}
	u := base + "/?" + q.Encode()
	if a.BaseLayer {
		u += "&base-layer"
	}
	return u
}

// schedulerOf is the Scheduler tag of process pid, read from the store;
// ErrUnknownProcess if pid is no process there (a wallet, say).
func (r *Router) schedulerOf(ctx context.Context, pid string) (string, error) {
	if r.store == nil || pid == "" {
		return "", fmt.Errorf("%w: %s", scheduler.ErrUnknownProcess, pid)
	}
	item, err := r.store.Item(ctx, pid)
	if errors.Is(err, arweave.ErrNotFound) {
		return "", fmt.Errorf("%w: %s", scheduler.ErrUnknownProcess, pid)
	}
	if err != nil {
		return "", fmt.Errorf("look up process %s: %w", pid, err)
	}
	if item.Tags.Value("Data-Protocol") != "ao" || item.Tags.Value("Type") != "Process" {
		return "", fmt.Errorf("%w: %s is not a process", scheduler.ErrUnknownProcess, pid)
	}
	su := item.Tags.Value("Scheduler")
	if su == "" || su == r.local.Address() {
		// Ours, yet the local SU does not know it: not scheduled (yet).
		return "", fmt.Errorf("%w: %s", scheduler.ErrUnknownProcess, pid)
	}
	return su, nil
}

// locate is the URL of the SU with wallet address su, from its newest
// Scheduler-Location record (cached for its Time-To-Live, at most an
// hour).
func (r *Router) locate(ctx context.Context, su string) (string, error) {
	r.mu.Lock()
	rt, ok := r.cache[su]
	r.mu.Unlock()
	if ok && time.Now().Before(rt.until) {
		return rt.url, nil
	}
	if r.store == nil {
		return "", fmt.Errorf("%w: no store to locate scheduler %s in", scheduler.ErrInvalid, su)
	}
	page, err := r.store.Query(ctx, arweave.TxQuery{
		Owners: []string{su},
		Tags: []arweave.TagFilter{
			{Name: "Data-Protocol", Values: []string{"ao"}},
			{Name: "Type", Values: []string{scheduler.LocationType}},
		},
		Sort:  arweave.HeightDesc,
		First: 1,
	})
	if err != nil {
		return "", fmt.Errorf("locate scheduler %s: %w", su, err)
	}
	if len(page.Edges) == 0 {
		return "", fmt.Errorf("%w: scheduler %s has no Scheduler-Location record", scheduler.ErrInvalid, su)
	}
	tags := page.Edges[0].Node.Tags
	u := strings.TrimRight(tags.Value("Url"), "/")
	if u == "" {
		return "", fmt.Errorf("%w: the Scheduler-Location record of %s has no Url", scheduler.ErrInvalid, su)
	}
	ttl, _ := strconv.ParseInt(tags.Value("Time-To-Live"), 10, 64)
	r.mu.Lock()
	r.cache[su] = route{url: u, until: time.Now().Add(min(time.Duration(ttl)*time.Millisecond, time.Hour))}
	r.mu.Unlock()
	return u, nil
}

// postSU sends an item (or an assignment, body nil) to an SU over HTTP and
// reads its {id, timestamp}.
func postSU(ctx context.Context, client *http.Client, u string, body []byte) (*scheduler.Scheduled, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", scheduler.ErrInvalid, err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		json.Unmarshal(b, &e)
		msg := fmt.Sprintf("POST %s: %s: %s", u, resp.Status, e.Error)
		switch {
		case strings.Contains(e.Error, "already exists"):
			return nil, fmt.Errorf("%w: %s", scheduler.ErrDuplicate, msg)
		case resp.StatusCode == http.StatusNotFound:
			return nil, fmt.Errorf("%w: %s", scheduler.ErrUnknownProcess, msg)
		case resp.StatusCode/100 == 4:
			return nil, fmt.Errorf("%w: %s", scheduler.ErrInvalid, msg)
		}
		return nil, errors.New(msg)
	}
	var res struct {
		ID        string          `json:"id"`
		Timestamp json.RawMessage `json:"timestamp"`
	}
	if err := json.Unmarshal(b, &res); err != nil || res.ID == "" {
		return nil, fmt.Errorf("POST %s: not an SU answer: %.200s", u, b)
	}
	ts, _ := strconv.ParseInt(strings.Trim(string(res.Timestamp), `"`), 10, 64)
	return &scheduler.Scheduled{ID: res.ID, Timestamp: ts}, nil
}
