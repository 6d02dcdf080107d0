package runtime_test

import (
	"context"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	aoclient "github.com/aogo-dev/aogo/client"
	"github.com/aogo-dev/aogo/runtime"
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
