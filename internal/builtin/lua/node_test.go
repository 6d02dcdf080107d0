package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	aoclient "github.com/aogo-dev/aogo/client"
	"github.com/aogo-dev/aogo/runtime"
)

// TestNodeTwoProcesses runs aogo-lua on a whole node: two processes of the
// node's built-in module, spawned with the node's MU as their authority,
// are programmed by Eval through the MU; one sends the other a message with
// Send, whose handler replies, and the messenger carries both ways.
func TestNodeTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	ctx := context.Background()
	n, err := runtime.Start(ctx, runtime.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	base := "http://" + n.Addr().String()
	mu := n.Info().Units["mu"].Address
	if mu == "" {
		t.Fatal("the node has no MU address")
	}
	user, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	c, err := aoclient.New(ctx, base, user)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := c.BuiltinModule("aogo-lua")
	if err != nil {
		t.Fatal(err)
	}
	spawnNamed := func(name string) string {
		pid, err := c.Spawn(ctx, mod, []arweave.Tag{{Name: "Authority", Value: mu}, {Name: "Name", Value: name}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return pid
	}
	eval := func(pid, code string) string {
		t.Helper()
		mid, err := c.Message(ctx, pid, []arweave.Tag{{Name: "Action", Value: "Eval"}}, []byte(code))
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.Result(ctx, pid, mid)
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ Data, Prompt string }
		if err := json.Unmarshal(r.Output, &out); err != nil || r.Failed() {
			t.Fatalf("eval %q on %s: %s %s (%v)", code, pid, r.Output, r.Error, err)
		}
		return out.Data
	}
	alice, bob := spawnNamed("alice"), spawnNamed("bob")

	if got := eval(bob, `Handlers.add("hello", "Hello", function(msg) msg.reply({ Action = "Hi", Data = "hi " .. msg.From }) end) return Name`); got != "bob" {
		t.Fatalf("bob: %q", got)
	}
	eval(alice, `Handlers.add("hi", "Hi", function(msg) Got = msg.From .. ": " .. msg.Data end)`)
	if got := eval(alice, `Send({ Target = "`+bob+`", Action = "Hello" })`); got != "message added to outbox" {
		t.Fatalf("Send: %q", got)
	}
	want := bob + ": hi " + alice
	deadline := time.Now().Add(time.Minute)
	for {
		got := eval(alice, `Got or "nothing yet"`)
		if got == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alice's Got = %q, want %q", got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
