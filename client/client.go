// Package client is the Go counterpart of aoconnect: it publishes modules,
// spawns processes, sends messages, assigns transactions, monitors crons and
// reads results from an aogo node (or any AO units), signing with the
// caller's wallet.
//
// A Client learns the units' URLs, and the node's built-in modules, from a
// node's GET /node; New with the node's root URL is all it needs.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aogo-dev/aogo/arweave"
)

// Units are the base URLs (and addresses) of the units a client talks to.
type Units struct {
	Gateway, SU, CU, MU string
	// Scheduler is the SU's wallet address: a new process names it in its
	// Scheduler tag.
	Scheduler string
	// Authority is the MU's wallet address: a process that names it in an
	// Authority tag trusts the messages the MU pushes to it (as aos trusts
	// its authorities). Empty when the node runs no MU.
	Authority string
}

// Client talks to AO units. It is safe for concurrent use.
type Client struct {
	units Units
	// builtins are the node's built-in modules, name -> id (GET /node's
	// "modules"); nil for a client made by NewWithUnits.
	builtins map[string]string
	signer   arweave.Signer
	http     *http.Client
	anchor   atomic.Uint64
	start    uint64
}

// New discovers the units of the node at nodeURL (GET /node) and returns a
// client signing with signer.
func New(ctx context.Context, nodeURL string, signer arweave.Signer) (*Client, error) {
	c := &Client{signer: signer, http: &http.Client{Timeout: 5 * time.Minute}}
	var info struct {
		Units map[string]struct {
			URL     string `json:"url"`
			Address string `json:"address"`
		} `json:"units"`
		Modules map[string]string `json:"modules"`
	}
	if err := c.do(ctx, http.MethodGet, strings.TrimRight(nodeURL, "/")+"/node", "", nil, &info); err != nil {
		return nil, fmt.Errorf("client: node %s: %w", nodeURL, err)
	}
	u := info.Units
	c.units = Units{Gateway: u["gateway"].URL, SU: u["su"].URL, CU: u["cu"].URL, MU: u["mu"].URL, Scheduler: u["su"].Address, Authority: u["mu"].Address}
	c.builtins = info.Modules
	return c.init(), nil
}

// NewWithUnits returns a client for the given units (no discovery).
func NewWithUnits(units Units, signer arweave.Signer) *Client {
	c := &Client{units: units, signer: signer, http: &http.Client{Timeout: 5 * time.Minute}}
	return c.init()
}

func (c *Client) init() *Client {
	// Anchors make items with the same fields distinct (ed25519 signatures
	// are deterministic); they start from the clock so that two runs of a
	// script do not collide.
	c.start = uint64(time.Now().UnixNano())
	return c
}

// Units returns the units the client talks to.
func (c *Client) Units() Units { return c.units }

// BuiltinModules returns the node's built-in modules (name -> module id),
// as its GET /node listed them when New discovered it.
func (c *Client) BuiltinModules() map[string]string { return maps.Clone(c.builtins) }

// BuiltinModule returns the id of the node's built-in module name (e.g.
// "counter"), or an error naming the built-ins there are.
func (c *Client) BuiltinModule(name string) (string, error) {
	if id, ok := c.builtins[name]; ok {
		return id, nil
	}
	if len(c.builtins) == 0 {
		return "", fmt.Errorf("client: no built-in module %q: the node has none (a node built with `make build` publishes them)", name)
	}
	return "", fmt.Errorf("client: no built-in module %q: the node has %s", name, strings.Join(slices.Sorted(maps.Keys(c.builtins)), ", "))
}

// Address is the client's wallet address.
func (c *Client) Address() string { return arweave.SignerAddress(c.signer) }

// Error is an error answer of a unit.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("status %d: %s", e.Status, e.Message) }

func (c *Client) do(ctx context.Context, method, u, contentType string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<30))
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(b))
		}
		return &Error{Status: res.StatusCode, Message: e.Error}
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = b
		return nil
	}
	return json.Unmarshal(b, out)
}

func (c *Client) sign(target string, tags []arweave.Tag, data []byte) (*arweave.DataItem, error) {
	anchor := fmt.Sprintf("%032d", c.start+c.anchor.Add(1)) // uint64: at most 20 digits
	return arweave.SignDataItem(c.signer, arweave.ItemOptions{Target: target, Anchor: anchor, Tags: tags, Data: data})
}

func aoTags(typ string, extra []arweave.Tag) []arweave.Tag {
	return append([]arweave.Tag{{Name: "Data-Protocol", Value: "ao"}, {Name: "Variant", Value: "ao.TN.1"}, {Name: "Type", Value: typ}}, extra...)
}

// Module describes a module to publish.
type Module struct {
	Binary []byte
	Format string // Module-Format, e.g. wasm32-unknown-emscripten2 or wasm32-wasip1-aogo
	// MemoryLimit and ComputeLimit default to 256-mb and 9000000000000.
	MemoryLimit, ComputeLimit string
	Tags                      []arweave.Tag // more tags (Name, Extension, ...)
}

// PublishModule posts a Type=Module item to the gateway and returns its id.
func (c *Client) PublishModule(ctx context.Context, m Module) (string, error) {
	if m.Format == "" {
		return "", errors.New("client: a module needs a format")
	}
	if m.MemoryLimit == "" {
		m.MemoryLimit = "256-mb"
	}
	if m.ComputeLimit == "" {
		m.ComputeLimit = "9000000000000"
	}
	tags := aoTags("Module", append([]arweave.Tag{
		{Name: "Module-Format", Value: m.Format}, {Name: "Input-Encoding", Value: "JSON-V1"},
		{Name: "Output-Encoding", Value: "JSON-V1"}, {Name: "Memory-Limit", Value: m.MemoryLimit},
		{Name: "Compute-Limit", Value: m.ComputeLimit},
	}, m.Tags...))
	item, err := c.sign("", tags, m.Binary)
	if err != nil {
		return "", fmt.Errorf("client: sign module: %w", err)
	}
	if err := c.do(ctx, http.MethodPost, c.units.Gateway+"/tx", "application/octet-stream", item.Bytes(), nil); err != nil {
		return "", fmt.Errorf("client: publish module: %w", err)
	}
	return item.ID(), nil
}

// Spawn creates a process of module (its Scheduler the node's SU unless
// tags name one) and returns its id.
func (c *Client) Spawn(ctx context.Context, module string, tags []arweave.Tag, data []byte) (string, error) {
	extra := []arweave.Tag{{Name: "Module", Value: module}}
	if _, ok := arweave.Tags(tags).Get("Scheduler"); !ok {
		extra = append(extra, arweave.Tag{Name: "Scheduler", Value: c.units.Scheduler})
	}
	item, err := c.sign("", aoTags("Process", append(extra, tags...)), data)
	if err != nil {
		return "", fmt.Errorf("client: sign process: %w", err)
	}
	return c.post(ctx, item)
}

// Message sends a message to process pid and returns its id.
func (c *Client) Message(ctx context.Context, pid string, tags []arweave.Tag, data []byte) (string, error) {
	item, err := c.sign(pid, aoTags("Message", tags), data)
	if err != nil {
		return "", fmt.Errorf("client: sign message: %w", err)
	}
	return c.post(ctx, item)
}

func (c *Client) post(ctx context.Context, item *arweave.DataItem) (string, error) {
	var res struct {
		ID string `json:"id"`
	}
	if err := c.do(ctx, http.MethodPost, c.units.MU+"/", "application/octet-stream", item.Bytes(), &res); err != nil {
		return "", fmt.Errorf("client: send %s: %w", item.ID(), err)
	}
	return item.ID(), nil
}

// Assign schedules an existing transaction onto process pid and returns
// the assignment's id.
func (c *Client) Assign(ctx context.Context, pid, tx string) (string, error) {
	var res struct {
		ID string `json:"id"`
	}
	q := url.Values{"process-id": {pid}, "assign": {tx}}
	if err := c.do(ctx, http.MethodPost, c.units.MU+"/?"+q.Encode(), "application/octet-stream", nil, &res); err != nil {
		return "", fmt.Errorf("client: assign %s to %s: %w", tx, pid, err)
	}
	return res.ID, nil
}

// Result is a message's result, as a CU serves it.
type Result struct {
	Output      json.RawMessage   `json:"Output"`
	Messages    []json.RawMessage `json:"Messages"`
	Spawns      []json.RawMessage `json:"Spawns"`
	Assignments []json.RawMessage `json:"Assignments"`
	Error       json.RawMessage   `json:"Error,omitempty"`
	GasUsed     *uint64           `json:"GasUsed,omitempty"`
}

// OutputText is Output as text: the string itself, or its JSON.
func (r *Result) OutputText() string {
	var s string
	if json.Unmarshal(r.Output, &s) == nil {
		return s
	}
	return string(r.Output)
}

// Failed reports whether the message failed.
func (r *Result) Failed() bool {
	e := strings.TrimSpace(string(r.Error))
	return e != "" && e != "null" && e != `""` && e != "false"
}

// Result evaluates process pid up to message id and returns its result.
func (c *Client) Result(ctx context.Context, pid, id string) (*Result, error) {
	var r Result
	q := url.Values{"process-id": {pid}}
	if err := c.do(ctx, http.MethodGet, c.units.CU+"/result/"+url.PathEscape(id)+"?"+q.Encode(), "", nil, &r); err != nil {
		return nil, fmt.Errorf("client: result of %s: %w", id, err)
	}
	return &r, nil
}

// DryRun evaluates a message against the process's latest state without
// changing it (the client's address as Owner).
func (c *Client) DryRun(ctx context.Context, pid string, tags []arweave.Tag, data string) (*Result, error) {
	type tag struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	body := struct {
		Owner string `json:"Owner"`
		Data  string `json:"Data"`
		Tags  []tag  `json:"Tags"`
	}{Owner: c.Address(), Data: data, Tags: []tag{}}
	for _, t := range tags {
		body.Tags = append(body.Tags, tag{t.Name, t.Value})
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	var r Result
	q := url.Values{"process-id": {pid}}
	if err := c.do(ctx, http.MethodPost, c.units.CU+"/dry-run?"+q.Encode(), "application/json", b, &r); err != nil {
		return nil, fmt.Errorf("client: dry-run on %s: %w", pid, err)
	}
	return &r, nil
}
