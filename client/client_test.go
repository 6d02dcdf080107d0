package client_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/client"
	"github.com/aogo-dev/aogo/internal/builtin"
	"github.com/aogo-dev/aogo/runtime"
)

// counterWasm returns the built-in counter module's binary
// (examples/counter, embedded by `make builtin-modules`).
func counterWasm(t *testing.T) []byte {
	t.Helper()
	if err := builtin.Check(); err != nil {
		t.Fatal(err) // says to run `make builtin-modules`
	}
	for _, m := range builtin.Modules() {
		if m.Name == "counter" {
			return m.Binary
		}
	}
	t.Fatal("no built-in counter module: run `make builtin-modules`")
	return nil
}

// startNode starts a node with every unit and a client of it with a new
// wallet.
func startNode(t *testing.T) *client.Client {
	t.Helper()
	ctx := context.Background()
	n, err := runtime.Start(ctx, runtime.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	wallet, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(ctx, "http://"+n.Addr().String(), wallet)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestClient drives a node through the client: publish examples/counter,
// spawn it, message it, read its result, dry-run it.
func TestClient(t *testing.T) {
	wasm := counterWasm(t)
	ctx := context.Background()
	c := startNode(t)
	if u := c.Units(); u.MU == "" || u.CU == "" || u.SU == "" || u.Scheduler == "" {
		t.Fatalf("units %+v", u)
	}
	module, err := c.PublishModule(ctx, client.Module{Binary: wasm, Format: "wasm32-wasip1-aogo"})
	if err != nil {
		t.Fatal(err)
	}
	pid, err := c.Spawn(ctx, module, []arweave.Tag{{Name: "Name", Value: "client-test"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mid, err := c.Message(ctx, pid, []arweave.Tag{{Name: "Action", Value: "Hello"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Result(ctx, pid, mid)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Hello, " + c.Address() + "! You are greeting number 1."; r.OutputText() != want || len(r.Messages) != 1 || r.Failed() {
		t.Fatalf("result %+v", r)
	}
	dry, err := c.DryRun(ctx, pid, []arweave.Tag{{Name: "Action", Value: "Stats"}}, "")
	if err != nil || dry.OutputText() != `{"children":[],"greetings":1,"last_tick":0,"notes":0,"notices":0,"replies":0,"ticks":0}` {
		t.Fatalf("dry-run %+v %v", dry, err)
	}
	// Errors come back as *client.Error with the unit's status.
	_, err = c.Message(ctx, module, nil, nil) // the module is not a process
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 404 {
		t.Fatalf("message to a non-process: %v", err)
	}
}

// TestBuiltinModules: the client learns the node's built-in modules from
// GET /node and spawns one by name.
func TestBuiltinModules(t *testing.T) {
	counterWasm(t)
	ctx := context.Background()
	c := startNode(t)
	id, err := c.BuiltinModule("counter")
	if err != nil || len(id) != 43 || c.BuiltinModules()["counter"] != id {
		t.Fatalf("BuiltinModule(counter) = %q, %v; BuiltinModules %v", id, err, c.BuiltinModules())
	}
	if _, err := c.BuiltinModule("nope"); err == nil || !strings.Contains(err.Error(), "counter") {
		t.Fatalf("an unknown built-in: %v (want the names there are)", err)
	}
	pid, err := c.Spawn(ctx, id, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := c.DryRun(ctx, pid, []arweave.Tag{{Name: "Action", Value: "Stats"}}, ""); err != nil || r.Failed() {
		t.Fatalf("dry-run on a process of the built-in: %+v %v", r, err)
	}
	// A client made without discovery knows no built-ins.
	other := client.NewWithUnits(c.Units(), nil)
	if _, err := other.BuiltinModule("counter"); err == nil {
		t.Fatal("NewWithUnits knows built-ins")
	}
}

// TestResults pages through a process's results in both directions.
func TestResults(t *testing.T) {
	counterWasm(t)
	ctx := context.Background()
	c := startNode(t)
	module, err := c.BuiltinModule("counter")
	if err != nil {
		t.Fatal(err)
	}
	pid, err := c.Spawn(ctx, module, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var last string
	for range 3 {
		if last, err = c.Message(ctx, pid, []arweave.Tag{{Name: "Action", Value: "Hello"}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Result(ctx, pid, last); err != nil { // evaluates up to it
		t.Fatal(err)
	}
	all, err := c.Results(ctx, pid, client.ResultsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	// The process message and three greetings.
	if len(all.Edges) != 4 || all.PageInfo.HasNextPage || !strings.Contains(all.Edges[3].Node.OutputText(), "greeting number 3") {
		t.Fatalf("results: %d edges, more %v", len(all.Edges), all.PageInfo.HasNextPage)
	}
	first, err := c.Results(ctx, pid, client.ResultsQuery{Limit: 2})
	if err != nil || len(first.Edges) != 2 || !first.PageInfo.HasNextPage {
		t.Fatalf("first page: %+v %v", first, err)
	}
	rest, err := c.Results(ctx, pid, client.ResultsQuery{From: first.Edges[1].Cursor, Limit: 10})
	if err != nil || len(rest.Edges) != 2 || rest.PageInfo.HasNextPage || rest.Edges[1].Cursor != all.Edges[3].Cursor {
		t.Fatalf("next page: %+v %v", rest, err)
	}
	desc, err := c.Results(ctx, pid, client.ResultsQuery{Sort: "DESC", Limit: 1})
	if err != nil || len(desc.Edges) != 1 || !strings.Contains(desc.Edges[0].Node.OutputText(), "greeting number 3") {
		t.Fatalf("DESC: %+v %v", desc, err)
	}
	var e *client.Error
	if _, err := c.Results(ctx, pid, client.ResultsQuery{Sort: "sideways"}); !errors.As(err, &e) || e.Status != 400 {
		t.Fatalf("a bad sort: %v", err)
	}
}

// TestMonitor: a monitored process's cron ticks are delivered (the counter
// sends a Tick-Notice to its Notify process at each tick) without any
// message to it; monitoring twice, or unmonitoring a process that is not
// monitored, is a 4xx error.
func TestMonitor(t *testing.T) {
	counterWasm(t)
	ctx := context.Background()
	c := startNode(t)
	module, err := c.BuiltinModule("counter")
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Spawn(ctx, module, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ticker, err := c.Spawn(ctx, module, []arweave.Tag{
		{Name: "Cron-Interval", Value: "1-second"}, {Name: "Cron-Tag-Action", Value: "Tick"}, {Name: "Notify", Value: b},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Monitor(ctx, ticker); err != nil {
		t.Fatal(err)
	}
	var e *client.Error
	if err := c.Monitor(ctx, ticker); !errors.As(err, &e) || e.Status < 400 || e.Status >= 500 {
		t.Fatalf("monitoring twice: %v", err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		r, err := c.DryRun(ctx, b, []arweave.Tag{{Name: "Action", Value: "Stats"}}, "")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(r.OutputText(), `"notices":2`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no tick notices delivered: B's stats %s", r.OutputText())
		}
	}
	if err := c.Unmonitor(ctx, ticker); err != nil {
		t.Fatal(err)
	}
	if err := c.Unmonitor(ctx, ticker); !errors.As(err, &e) || e.Status < 400 || e.Status >= 500 {
		t.Fatalf("unmonitoring twice: %v", err)
	}
}
