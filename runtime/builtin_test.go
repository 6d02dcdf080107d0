package runtime_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	aoclient "github.com/aogo-dev/aogo/client"
	"github.com/aogo-dev/aogo/internal/builtin"
	"github.com/aogo-dev/aogo/runtime"
)

// TestNodeBuiltinModules: a fresh node publishes the built-in counter
// module, lists it in GET /node and urls.json, and can spawn it at once; a
// restart publishes the same id and nothing more.
func TestNodeBuiltinModules(t *testing.T) {
	if err := builtin.Check(); err != nil {
		t.Fatal(err) // says to run `make builtin-modules`
	}
	ctx := context.Background()
	dir := t.TempDir()
	n := startNode(t, runtime.Config{DataDir: dir})
	base := "http://" + n.Addr().String()
	var info runtime.NodeInfo
	getJSON(t, base+"/node", &info)
	id := info.Modules["counter"]
	if id == "" || len(info.Modules) != len(builtin.Modules()) {
		t.Fatalf("GET /node modules %v, built-ins %d", info.Modules, len(builtin.Modules()))
	}
	if got := readModules(t, dir); got["counter"] != id {
		t.Fatalf("urls.json modules %v, GET /node %v", got, info.Modules)
	}

	// The module is in the gateway, signed by the modules wallet, with the
	// tags a CU needs.
	signer, err := arweave.LoadWallet(filepath.Join(dir, "wallets", runtime.ModulesWalletFile))
	if err != nil {
		t.Fatal(err)
	}
	nodes := edges(t, graphql(t, base, transactionsByID, map[string]any{"ids": []string{id}}))
	if len(nodes) != 1 || tagValue(nodes[0], "Module-Format") != "wasm32-wasip1-aogo" || tagValue(nodes[0], "Name") != "counter" ||
		nodes[0]["owner"].(map[string]any)["address"] != arweave.SignerAddress(signer) {
		t.Fatalf("the module in GraphQL: %v", nodes)
	}

	// A client spawns it by name and talks to it.
	user, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	c, err := aoclient.New(ctx, base, user)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := c.BuiltinModule("counter")
	if err != nil || mod != id {
		t.Fatalf("BuiltinModule(counter) = %q, %v; want %s", mod, err, id)
	}
	pid, err := c.Spawn(ctx, mod, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	mid, err := c.Message(ctx, pid, []arweave.Tag{{Name: "Action", Value: "Hello"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := c.Result(ctx, pid, mid); err != nil || r.Failed() || r.OutputText() != "Hello, "+c.Address()+"! You are greeting number 1." {
		t.Fatalf("result %+v %v", r, err)
	}

	// A restart: the same id (ed25519 is deterministic), one module item.
	closeNode(t, n)
	n = startNode(t, runtime.Config{DataDir: dir})
	if again := n.Info().Modules["counter"]; again != id {
		t.Fatalf("after restart: counter %q, was %q", again, id)
	}
	mods := edges(t, graphql(t, "http://"+n.Addr().String(),
		`{ transactions(tags: [{name: "Type", values: ["Module"]}, {name: "Name", values: ["counter"]}]) { edges { node { id } } } }`, nil))
	if len(mods) != 1 {
		t.Fatalf("%d counter modules in the store after a restart, want 1", len(mods))
	}
	closeNode(t, n)

	// A node with neither a gateway nor a CU keeps no modules.
	sdir := t.TempDir()
	s := startNode(t, runtime.Config{DataDir: sdir, Units: []string{"su"}})
	if m := s.Info().Modules; len(m) != 0 {
		t.Fatalf("an SU-only node lists modules %v", m)
	}
	if _, err := os.Stat(filepath.Join(sdir, "wallets", runtime.ModulesWalletFile)); !os.IsNotExist(err) {
		t.Fatalf("an SU-only node made a modules wallet: %v", err)
	}
}

// readModules returns the "modules" of urls.json.
func readModules(t *testing.T, dir string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "urls.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Modules map[string]string `json:"modules"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("urls.json: %v: %s", err, b)
	}
	return v.Modules
}
