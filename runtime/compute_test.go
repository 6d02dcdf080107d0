package runtime_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/runtime"
)

// TestNodeComputes runs a process end to end on one node: a module posted
// to the gateway, a process and messages scheduled by the SU, results
// evaluated by the CU, also after a restart (from its checkpoint).
func TestNodeComputes(t *testing.T) {
	wasm, err := os.ReadFile(filepath.Join("..", "vm", "testdata", "build", "minimal-fmt2-metered.wasm"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("test modules are not built (%v): run `make test-modules`", err)
		}
		t.Skipf("test modules are not built: run `make test-modules` (%v)", err)
	}
	dir := t.TempDir()
	n := startNode(t, runtime.Config{DataDir: dir})
	urls := n.URLs()
	user, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	mod := postModule(t, urls["gateway"], user, wasm)
	var node runtime.NodeInfo
	getJSON(t, urls["gateway"]+"/node", &node)
	proc := sign(t, user, "", aoTags("Process",
		arweave.Tag{Name: "Module", Value: mod.ID()}, arweave.Tag{Name: "Scheduler", Value: node.Units["su"].Address})...)
	schedule(t, urls["su"], proc)
	var last string
	for range 3 {
		m := sign(t, user, proc.ID(), aoTags("Message", arweave.Tag{Name: "Action", Value: "Inc"})...)
		schedule(t, urls["su"], m)
		last = m.ID()
	}
	result := func(base, id string) string {
		t.Helper()
		var r struct {
			Output   string            `json:"Output"`
			Messages []json.RawMessage `json:"Messages"`
		}
		getJSON(t, base+"/result/"+id+"?process-id="+proc.ID(), &r)
		return r.Output
	}
	// The process message counts as an Inc for this module: 1 + 3.
	if out := result(urls["cu"], last); out != "4" {
		t.Fatalf("result of the third message: %q", out)
	}
	getJSON(t, urls["gateway"]+"/node", &node)
	if c := node.Units["cu"].Compute; c == nil || c.LiveMemory != 64<<20 || c.ResultsBytes <= 0 {
		t.Fatalf("GET /node: compute %+v", c)
	}
	var root map[string]any
	getJSON(t, urls["cu"], &root)
	if root["address"] != node.Units["cu"].Address {
		t.Fatalf("GET /cu: %v", root)
	}

	// A restart resumes from the checkpoint written at shutdown.
	closeNode(t, n)
	if files, _ := filepath.Glob(filepath.Join(dir, runtime.CUDir, "checkpoints", proc.ID(), "*.ckpt")); len(files) != 1 {
		t.Fatalf("checkpoints after shutdown: %v", files)
	}
	n = startNode(t, runtime.Config{DataDir: dir})
	urls = n.URLs()
	// This time through the MU, as clients send messages.
	m := sign(t, user, proc.ID(), aoTags("Message", arweave.Tag{Name: "Action", Value: "Inc"})...)
	var sent map[string]any
	if code := do(t, http.MethodPost, urls["mu"]+"/", "application/octet-stream", m.Bytes(), &sent); code != http.StatusAccepted || sent["id"] != m.ID() {
		t.Fatalf("POST /mu/: %d %v", code, sent)
	}
	if out := result(urls["cu"], m.ID()); out != "5" {
		t.Fatalf("after restart: %q", out)
	}
	closeNode(t, n)
}

// TestNodeCUOverRemoteSU: a node running a CU without an SU reads the
// schedules of another node's SU over HTTP and computes the same results.
func TestNodeCUOverRemoteSU(t *testing.T) {
	wasm, err := os.ReadFile(filepath.Join("..", "vm", "testdata", "build", "minimal-fmt2-metered.wasm"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("test modules are not built (%v): run `make test-modules`", err)
		}
		t.Skipf("test modules are not built: run `make test-modules` (%v)", err)
	}
	a := startNode(t, runtime.Config{DataDir: t.TempDir()})
	b := startNode(t, runtime.Config{DataDir: t.TempDir(), Units: []string{"gateway", "cu"}, SUURL: a.URLs()["su"]})
	user, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := arweave.SignDataItem(user, arweave.ItemOptions{Data: wasm, Tags: aoTags("Module",
		arweave.Tag{Name: "Module-Format", Value: "wasm32-unknown-emscripten2"},
		arweave.Tag{Name: "Input-Encoding", Value: "JSON-V1"}, arweave.Tag{Name: "Output-Encoding", Value: "JSON-V1"},
		arweave.Tag{Name: "Memory-Limit", Value: "64-mb"}, arweave.Tag{Name: "Compute-Limit", Value: "9000000000000"})})
	if err != nil {
		t.Fatal(err)
	}
	// The CU reads modules from its own node's store (a remote gateway is
	// not supported yet): publish the module to both.
	for _, n := range []*runtime.Node{a, b} {
		if code := do(t, http.MethodPost, n.URLs()["gateway"]+"/tx", "application/octet-stream", mod.Bytes(), nil); code != http.StatusOK {
			t.Fatalf("POST /tx of the module: %d", code)
		}
	}
	var node runtime.NodeInfo
	getJSON(t, a.URLs()["gateway"]+"/node", &node)
	proc := sign(t, user, "", aoTags("Process",
		arweave.Tag{Name: "Module", Value: mod.ID()}, arweave.Tag{Name: "Scheduler", Value: node.Units["su"].Address})...)
	schedule(t, a.URLs()["su"], proc)
	m := sign(t, user, proc.ID(), aoTags("Message", arweave.Tag{Name: "Action", Value: "Inc"})...)
	schedule(t, a.URLs()["su"], m)
	var ra, rb json.RawMessage
	getJSON(t, a.URLs()["cu"]+"/result/"+m.ID()+"?process-id="+proc.ID(), &ra)
	getJSON(t, b.URLs()["cu"]+"/result/"+m.ID()+"?process-id="+proc.ID(), &rb)
	if string(ra) != string(rb) || !strings.Contains(string(ra), `"Output":"2"`) {
		t.Fatalf("results differ: %s / %s", ra, rb)
	}
	closeNode(t, b)
	closeNode(t, a)
}

// postModule signs wasm (an emscripten2 module) as a Module item of user
// and posts it to the gateway.
func postModule(t *testing.T, gateway string, user arweave.Signer, wasm []byte) *arweave.DataItem {
	t.Helper()
	mod, err := arweave.SignDataItem(user, arweave.ItemOptions{Data: wasm, Tags: aoTags("Module",
		arweave.Tag{Name: "Module-Format", Value: "wasm32-unknown-emscripten2"},
		arweave.Tag{Name: "Input-Encoding", Value: "JSON-V1"}, arweave.Tag{Name: "Output-Encoding", Value: "JSON-V1"},
		arweave.Tag{Name: "Memory-Limit", Value: "64-mb"}, arweave.Tag{Name: "Compute-Limit", Value: "9000000000000"})})
	if err != nil {
		t.Fatal(err)
	}
	if code := do(t, http.MethodPost, gateway+"/tx", "application/octet-stream", mod.Bytes(), nil); code != http.StatusOK {
		t.Fatalf("POST /tx of the module: %d", code)
	}
	return mod
}
