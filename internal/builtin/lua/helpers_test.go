package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aogo-dev/aogo/vm"
)

// The tests run the committed module, internal/builtin/modules/aogo-lua.wasm,
// in the real vm (TestModuleUpToDate checks that it is built from these
// sources). The module is compiled once per test binary.

const modulePath = "../modules/aogo-lua.wasm"

var (
	cacheDir string
	shared   struct {
		once sync.Once
		rt   *vm.Runtime
		mod  *vm.Module
		err  error
	}
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "aogo-lua-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cacheDir = dir
	code := m.Run()
	if shared.rt != nil {
		shared.rt.Close(context.Background())
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// module returns the compiled aogo-lua module.
func module(t testing.TB) *vm.Module {
	t.Helper()
	shared.once.Do(func() {
		ctx := context.Background()
		bin, err := os.ReadFile(modulePath)
		if err != nil {
			shared.err = err
			return
		}
		shared.rt, shared.err = vm.New(ctx, vm.Config{CacheDir: cacheDir})
		if shared.err != nil {
			return
		}
		shared.mod, shared.err = shared.rt.Load(ctx, vm.ModuleSpec{ID: "aogo-lua", Format: vm.FormatNative, Binary: bin})
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.mod
}

// Addresses of the test world (43 characters, as Arweave's).
const (
	testPID      = "PROCESS-pppppppppppppppppppppppppppppppppp1"
	testModuleID = "MODULE-mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm1"
	testOwner    = "OWNER-ooooooooooooooooooooooooooooooooooooo1"
	otherUser    = "STRANGER-sssssssssssssssssssssssssssssssss1"
	muAddr       = "MU-uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu1"
	peerPID      = "PEER-eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee1"
)

type tag = struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// proc is one process of the module in the vm: its instance, env and the
// position of its next message.
type proc struct {
	t     testing.TB
	inst  *vm.Instance
	env   []byte
	pid   string
	owner string
	n     int
}

// spawn starts a process with the given extra process tags (and data) and
// evaluates its first message, the process itself.
func spawn(t testing.TB, data string, tags ...tag) *proc {
	t.Helper()
	inst, err := module(t).Instantiate(context.Background(), vm.InstanceConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close(context.Background()) })
	ptags, env := testEnv(t, tags...)
	p := &proc{t: t, inst: inst, env: env, pid: testPID, owner: testOwner}
	r := p.handle(message{ID: testPID, Owner: testOwner, Tags: ptags, Data: data})
	if r.Error != "" {
		t.Fatalf("the process message failed: %s", r.Error)
	}
	return p
}

// testEnv returns the tags of a test process and its env JSON.
func testEnv(t testing.TB, tags ...tag) ([]tag, []byte) {
	ptags := append([]tag{{"Data-Protocol", "ao"}, {"Variant", "ao.TN.1"}, {"Type", "Process"}, {"Module", testModuleID}}, tags...)
	env, err := json.Marshal(map[string]any{
		"Process": map[string]any{"Id": testPID, "Owner": testOwner, "Tags": ptags},
		"Module": map[string]any{"Id": testModuleID, "Owner": testOwner, "Tags": []tag{
			{"Data-Protocol", "ao"}, {"Type", "Module"}, {"Module-Format", "wasm32-wasip1-aogo"},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return ptags, env
}

// message is what a test sends; zero fields get defaults (From and Owner
// the process owner, Id and Timestamp from the position).
type message struct {
	ID, Owner, From string
	Action, Data    string
	Tags            []tag
	Cron            bool
}

// result is the decoded result of one message.
type result struct {
	Output struct {
		Data   string `json:"data"`
		Prompt string `json:"prompt"`
		Print  bool   `json:"print"`
	}
	Messages    []outMessage
	Spawns      []outMessage
	Assignments []struct {
		Processes []string
		Message   string
	}
	Error string
	raw   []byte
}

type outMessage struct {
	Target string
	Anchor string
	Data   string
	Tags   []tag
}

// Tag returns the value of the first tag called name.
func (m outMessage) Tag(name string) string {
	for _, t := range m.Tags {
		if t.Name == name {
			return t.Value
		}
	}
	return ""
}

// json is the message object of protocol.md 7.2.
func (p *proc) json(m message) []byte {
	p.n++
	if m.Owner == "" {
		m.Owner = p.owner
	}
	if m.From == "" {
		m.From = m.Owner
	}
	obj := map[string]any{
		"Owner": m.Owner, "From": m.From, "Target": p.pid,
		"Timestamp": 1700000000000 + int64(p.n)*1000, "Block-Height": 1500000 + p.n, "Cron": m.Cron, "Read-Only": false,
	}
	tags := m.Tags
	if !m.Cron {
		if m.ID == "" {
			m.ID = fmt.Sprintf("MSG-%038d", p.n)
		}
		obj["Id"] = m.ID
		obj["Data"] = m.Data
		obj["Nonce"] = p.n
		obj["Epoch"] = 0
		obj["Anchor"] = fmt.Sprintf("%032d", p.n)
		tags = append([]tag{{"Data-Protocol", "ao"}, {"Variant", "ao.TN.1"}, {"Type", "Message"}}, tags...)
	}
	if m.Action != "" {
		tags = append(tags, tag{"Action", m.Action})
	}
	if m.From != m.Owner {
		obj["Forwarded-By"] = m.Owner
		tags = append(tags, tag{"From-Process", m.From})
	}
	obj["Tags"] = tags
	b, err := json.Marshal(obj)
	if err != nil {
		p.t.Fatal(err)
	}
	return b
}

func (p *proc) handle(m message) result {
	p.t.Helper()
	res, err := p.inst.Handle(context.Background(), p.json(m), p.env)
	if err != nil {
		p.t.Fatalf("handle: %v", err)
	}
	return decodeResult(p.t, res)
}

func decodeResult(t testing.TB, res *vm.Result) result {
	t.Helper()
	var r result
	if res.Output == nil {
		// A failure of the vm (budget, memory, trap): no Output.
	} else if err := json.Unmarshal(res.Output, &r.Output); err != nil {
		t.Fatalf("Output %s: %v", res.Output, err)
	}
	for _, f := range []struct {
		raw json.RawMessage
		v   any
	}{{res.Messages, &r.Messages}, {res.Spawns, &r.Spawns}, {res.Assignments, &r.Assignments}} {
		if f.raw == nil {
			continue
		}
		if err := json.Unmarshal(f.raw, f.v); err != nil {
			t.Fatalf("%s: %v", f.raw, err)
		}
	}
	if res.Failed() {
		r.Error = res.ErrorMessage()
	}
	r.raw, _ = json.Marshal(res)
	return r
}

// eval sends an Eval from the owner and returns its result.
func (p *proc) eval(code string) result {
	p.t.Helper()
	return p.handle(message{Action: "Eval", Data: code})
}

// evalOK is eval that fails the test on an Error and returns Output.data.
func (p *proc) evalOK(code string) string {
	p.t.Helper()
	r := p.eval(code)
	if r.Error != "" {
		p.t.Fatalf("eval %q: %s", code, r.Error)
	}
	return r.Output.Data
}

// expect checks that evaluating code gives want as Output.data.
func (p *proc) expect(code, want string) {
	p.t.Helper()
	if got := p.evalOK(code); got != want {
		p.t.Fatalf("eval %q = %q, want %q", code, got, want)
	}
}

func tags(kv ...string) []tag {
	var out []tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, tag{kv[i], kv[i+1]})
	}
	return out
}

func repoFile(t testing.TB, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
