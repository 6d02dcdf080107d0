package runtime_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	aoclient "github.com/aogo-dev/aogo/client"
)

// counterClient returns a client of the node at url signing with wallet
// (a new ed25519 one if nil), and the id of the node's built-in counter
// module (examples/counter, built by `make builtin-modules`).
func counterClient(t testing.TB, url string, wallet arweave.Signer) (*aoclient.Client, string) {
	t.Helper()
	if wallet == nil {
		var err error
		if wallet, err = arweave.GenerateWallet(arweave.SignatureED25519); err != nil {
			t.Fatal(err)
		}
	}
	c, err := aoclient.New(context.Background(), url, wallet)
	if err != nil {
		t.Fatal(err)
	}
	module, err := c.BuiltinModule("counter")
	if err != nil {
		t.Fatalf("%v (build the built-in modules: make builtin-modules)", err)
	}
	return c, module
}

// spawn spawns a process of module with tags.
func spawn(t testing.TB, c *aoclient.Client, module string, tags ...arweave.Tag) string {
	t.Helper()
	pid, err := c.Spawn(context.Background(), module, tags, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// cronTags make a counter tick every second and notify process notify.
func cronTags(notify string) []arweave.Tag {
	return []arweave.Tag{{Name: "Cron-Interval", Value: "1-second"},
		{Name: "Cron-Tag-Action", Value: "Tick"}, {Name: "Notify", Value: notify}}
}

// counterStats is a counter's answer to Stats.
type counterStats struct {
	Greetings, Replies, Notes, Notices, Ticks int
	Children                                  []string
}

// stats reads a counter's Stats by a dry-run (nothing is scheduled).
func stats(t testing.TB, c *aoclient.Client, pid string) counterStats {
	t.Helper()
	dry, err := c.DryRun(context.Background(), pid, []arweave.Tag{{Name: "Action", Value: "Stats"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	var s counterStats
	if err := json.Unmarshal([]byte(dry.OutputText()), &s); err != nil {
		t.Fatalf("Stats: %s: %v", dry.OutputText(), err)
	}
	return s
}
