package runtime_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	aoclient "github.com/aogo-dev/aogo/client"
	"github.com/aogo-dev/aogo/internal/builtin"
	"github.com/aogo-dev/aogo/runtime"
	"github.com/aogo-dev/aogo/runtime/cu"
	"github.com/aogo-dev/aogo/scheduler"
)

// TestNodeMUOverRemoteUnits: a node that runs only the gateway and the MU
// (aogo node --units gateway,mu --su-url --cu-url) takes a client's items
// for another node's SU, cranks their outboxes with that node's CU, and
// monitors that node's processes.
func TestNodeMUOverRemoteUnits(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two nodes with a Go module")
	}
	ctx := context.Background()
	full := startNode(t, runtime.Config{DataDir: t.TempDir()})
	base := "http://" + full.Addr().String()
	mu := startNode(t, runtime.Config{DataDir: t.TempDir(), Units: []string{runtime.UnitGateway, runtime.UnitMU},
		SUURL: base + "/su", CUURL: base + "/cu"})
	muInfo := mu.Info().Units[runtime.UnitMU]
	wallet, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	units := aoclient.Units{Gateway: base, SU: base + "/su", CU: base + "/cu", MU: muInfo.URL,
		Scheduler: full.Info().Units[runtime.UnitSU].Address}
	c := aoclient.NewWithUnits(units, wallet)
	module := full.Info().Modules["counter"]
	if module == "" {
		t.Fatal("the full node has no built-in counter (make builtin-modules)")
	}
	a, b := spawn(t, c, module), spawn(t, c, module)
	if _, err := c.Message(ctx, a, []arweave.Tag{{Name: "Action", Value: "Send"}, {Name: "To", Value: b}, {Name: "Count", Value: "2"}}, nil); err != nil {
		t.Fatal(err)
	}
	pushed := waitPushed(t, units.SU, b, 2)
	for _, m := range pushed {
		if m.Owner != muInfo.Address || arweave.Tags(m.Tags).Value("From-Process") != a {
			t.Fatalf("pushed to B: owner %s (the MU-only node's MU is %s), tags %v", m.Owner, muInfo.Address, m.Tags)
		}
	}

	ticker := spawn(t, c, module, cronTags(b)...)
	if err := c.Monitor(ctx, ticker); err != nil {
		t.Fatal(err)
	}
	waitNotices(t, c, b, 2)
	if err := c.Unmonitor(ctx, ticker); err != nil {
		t.Fatal(err)
	}
}

// TestNodeComputesOtherSchedulers: a node's MU takes a message for a
// process of another node's SU, delivers it there, and its CU computes
// that process from that SU (found by its Scheduler-Location record in
// the node's gateway, as a shared Arweave gateway would tell every node),
// so the message's outbox is cranked too: to another process of the other
// SU.
func TestNodeComputesOtherSchedulers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two nodes with a Go module")
	}
	ctx := context.Background()
	// The first node's SU wallet is ours, to sign its location record for
	// the second node's gateway.
	dir1 := t.TempDir()
	suWallet, err := arweave.LoadOrCreateWallet(filepath.Join(dir1, runtime.WalletsDir, runtime.SUWalletFile), arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	n1 := startNode(t, runtime.Config{DataDir: dir1})
	n2 := startNode(t, runtime.Config{DataDir: t.TempDir()})
	gw1, gw2 := "http://"+n1.Addr().String(), "http://"+n2.Addr().String()
	user, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	// What both gateways hold: the module, the processes, the location.
	share := func(item *arweave.DataItem) {
		for _, gw := range []string{gw1, gw2} {
			if code := do(t, "POST", gw+"/tx", "application/octet-stream", item.Bytes(), nil); code/100 != 2 {
				t.Fatalf("POST %s/tx: %d", gw, code)
			}
		}
	}
	var counter builtin.Module
	for _, m := range builtin.Modules() {
		if m.Name == "counter" {
			counter = m
		}
	}
	if counter.Binary == nil {
		t.Fatal(builtin.ErrNone)
	}
	module, err := counter.Item(user)
	if err != nil {
		t.Fatal(err)
	}
	share(module)
	location, err := arweave.SignDataItem(suWallet, arweave.ItemOptions{Tags: []arweave.Tag{
		{Name: "Data-Protocol", Value: "ao"}, {Name: "Variant", Value: "ao.TN.1"}, {Name: "Type", Value: scheduler.LocationType},
		{Name: "Url", Value: gw1 + "/su"}, {Name: "Time-To-Live", Value: "3600000"}}, Data: []byte(" ")})
	if err != nil {
		t.Fatal(err)
	}
	share(location)
	c1 := aoclient.NewWithUnits(aoclient.Units{Gateway: gw1, SU: gw1 + "/su", CU: gw1 + "/cu", MU: gw1 + "/mu",
		Scheduler: arweave.SignerAddress(suWallet)}, user)
	proc := func() string {
		pid := spawn(t, c1, module.ID())
		p, err := n1Process(ctx, gw1, pid)
		if err != nil {
			t.Fatal(err)
		}
		share(p)
		return pid
	}
	a, b := proc(), proc()

	// Through the second node's MU: the message reaches the first SU, the
	// second node computes A and pushes its notes to B.
	c2 := aoclient.NewWithUnits(aoclient.Units{Gateway: gw2, SU: gw2 + "/su", CU: gw2 + "/cu", MU: gw2 + "/mu"}, user)
	if _, err := c2.Message(ctx, a, []arweave.Tag{{Name: "Action", Value: "Send"}, {Name: "To", Value: b}, {Name: "Count", Value: "2"}}, nil); err != nil {
		t.Fatal(err)
	}
	mu2 := n2.Info().Units[runtime.UnitMU].Address
	for _, m := range waitPushed(t, gw1+"/su", b, 2) {
		if m.Owner != mu2 {
			t.Fatalf("a note to B signed by %s, not the second node's MU %s", m.Owner, mu2)
		}
	}
	// Both nodes compute B alike from the first SU.
	for _, c := range []*aoclient.Client{c1, c2} {
		if got := stats(t, c, b).Notes; got != 2 {
			t.Fatalf("B's notes computed by %s: %d", c.Units().CU, got)
		}
	}
}

// n1Process reads a process item back from a node's SU (GET
// /processes/{pid}), rebuilt and checked against its id.
func n1Process(ctx context.Context, gw, pid string) (*arweave.DataItem, error) {
	p, err := (&cu.HTTPSource{URL: gw + "/su"}).Process(ctx, pid)
	if err != nil {
		return nil, err
	}
	return p.Item, nil
}
