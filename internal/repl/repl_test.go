package repl_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/client"
	"github.com/aogo-dev/aogo/internal/repl"
)

// TestReconnectByName: Start spawns a process named after the session, and
// a later Start of the same wallet and name finds it again (the gateway's
// GraphQL, newest first); another name or another wallet gets its own.
// It runs on the built-in counter module: finding a process does not
// depend on its module.
func TestReconnectByName(t *testing.T) {
	n := startNode(t)
	c := newClient(t, n)
	counter := n.Info().Modules["counter"]
	start := func(c *client.Client, name string) (*repl.REPL, string) {
		t.Helper()
		var notices strings.Builder
		r, err := repl.Start(context.Background(), repl.Config{Client: c, Name: name, Module: counter, Console: newScript(), Notices: &notices})
		if err != nil {
			t.Fatal(err)
		}
		return r, notices.String()
	}
	a, notices := start(c, "alpha")
	if !strings.Contains(notices, "Spawned "+a.PID()) || !strings.Contains(notices, "process "+a.PID()+" (alpha)") {
		t.Fatalf("notices of a new process:\n%s", notices)
	}
	// The process names the node's MU as its Authority.
	if c.Units().Authority == "" {
		t.Fatal("GET /node names no MU address")
	}
	hasTags(t, c, a.PID(), arweave.Tag{Name: "Name", Value: "alpha"}, arweave.Tag{Name: "Authority", Value: c.Units().Authority})
	again, notices := start(c, "alpha")
	if again.PID() != a.PID() || strings.Contains(notices, "Spawned") {
		t.Fatalf("reconnect: %s, want %s\n%s", again.PID(), a.PID(), notices)
	}
	b, _ := start(c, "beta")
	other, _ := start(newClient(t, n), "alpha")
	if b.PID() == a.PID() || other.PID() == a.PID() || other.PID() == b.PID() {
		t.Fatalf("pids alpha %s, beta %s, another wallet's alpha %s", a.PID(), b.PID(), other.PID())
	}
	// Two processes of one name: the newest wins, as in aos.
	newer, err := c.Spawn(context.Background(), counter, []arweave.Tag{{Name: "Name", Value: "alpha"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := start(c, "alpha"); r.PID() != newer {
		t.Fatalf("reconnect with two processes named alpha: %s, want the newer %s", r.PID(), newer)
	}
}

// hasTags fails the test unless the gateway finds pid as the newest
// process of c's wallet with tags.
func hasTags(t *testing.T, c *client.Client, pid string, tags ...arweave.Tag) {
	t.Helper()
	got, err := c.FindProcess(context.Background(), c.Address(), tags)
	if err != nil || got != pid {
		t.Fatalf("process with tags %v: %q, %v; want %s", tags, got, err, pid)
	}
}

// TestWatcher: results of messages other processes and wallets send to the
// process are shown as they come, and a failed Eval (the counter knows no
// Eval) is an error line. On the counter module, whose Output is a plain
// string.
func TestWatcher(t *testing.T) {
	n := startNode(t)
	c := newClient(t, n)
	s := run(t, repl.Config{Client: c, Name: "watched", Module: n.Info().Modules["counter"]})
	if !strings.Contains(s.Output(), "Spawned "+s.PID()) {
		t.Fatalf("output:\n%s", s.Output())
	}
	if strings.Contains(s.Output(), "ready: send me Hello") {
		t.Fatalf("the process message's output is old news:\n%s", s.Output())
	}
	other := newClient(t, n)
	if _, err := other.Message(context.Background(), s.PID(), []arweave.Tag{{Name: "Action", Value: "Hello"}}, nil); err != nil {
		t.Fatal(err)
	}
	s.Wait(t, "Hello, "+other.Address()+"! You are greeting number 1.\n")
	s.Type("return 1")
	s.Wait(t, `unknown action "Eval"`)
	if err := s.exit(t); err != nil {
		t.Fatal(err)
	}
	if s.Failed() != 1 {
		t.Fatalf("Failed() = %d, want 1", s.Failed())
	}
	// The REPL's commands, on the way.
	s2 := run(t, repl.Config{Client: c, Name: "watched"})
	s2.Type(".nope", ".load", ".load /no/such/file.lua", interruptLine)
	s2.Wait(t, "unknown command .nope")
	s2.Wait(t, ".load needs a file")
	s2.Wait(t, "no such file")
	s2.Type(".help")
	s2.Wait(t, ".monitor")
	if err := s2.exit(t); err != nil {
		t.Fatal(err)
	}
}

// TestMonitorCron: --cron spawns the process with a cron whose ticks carry
// Action=Cron; after .monitor the MU runs it and the ticks' outputs are
// shown; .unmonitor stops it. On the counter module (its ticks say "tick
// N at T").
func TestMonitorCron(t *testing.T) {
	n := startNode(t)
	c := newClient(t, n)
	s := run(t, repl.Config{Client: c, Name: "ticking", Module: n.Info().Modules["counter"], Cron: "1-second"})
	hasTags(t, c, s.PID(), arweave.Tag{Name: "Cron-Interval", Value: "1-second"}, arweave.Tag{Name: "Cron-Tag-Action", Value: "Cron"})
	s.Type(".monitor")
	s.Wait(t, "Monitoring")
	s.Wait(t, "tick 1 at ")
	s.Wait(t, "tick 2 at ")
	s.Type(".unmonitor")
	s.Wait(t, "Stopped monitoring")
	s.Type(".unmonitor")
	s.Wait(t, "monitor not found")
	if err := s.exit(t); err != nil {
		t.Fatal(err)
	}
}

// TestLua runs the REPL on the node's Lua module (aogo-lua): evaluation,
// errors, the prompt, the inbox, .editor, .load, and state kept across
// sessions.
func TestLua(t *testing.T) {
	n := startNode(t)
	requireLua(t, n)
	c := newClient(t, n)
	s := run(t, repl.Config{Client: c, Name: "lua", Color: true})
	if p := s.Prompt(); p != "lua@aogo> " {
		t.Fatalf("prompt %q", p)
	}

	s.Type("1 + 41")
	s.Wait(t, "\n42\n")
	s.Type(`print("printed") return "returned"`)
	s.Wait(t, "returned\n")
	if !strings.Contains(s.Output(), "printed") {
		t.Fatalf("print() output missing:\n%s", s.Output())
	}
	s.Type(`error("kaboom")`)
	s.Wait(t, "kaboom")
	if out := s.Output(); !strings.Contains(out, "\x1b[31m") || strings.Count(out, "kaboom") != 1 {
		t.Fatalf("the error is not shown once, in red:\n%q", out)
	}
	s.Type("Counter = 7", `Handlers.add("ping", Handlers.utils.hasMatchingTag("Action", "Ping"), function(msg) print("pinged by " .. msg.From) end)`)
	s.Type("Counter")
	s.Wait(t, "\n7\n")

	// Messages of others: the handler's print, and an unhandled message
	// in the inbox.
	other := newClient(t, n)
	if _, err := other.Message(context.Background(), s.PID(), []arweave.Tag{{Name: "Action", Value: "Ping"}}, nil); err != nil {
		t.Fatal(err)
	}
	s.Wait(t, "pinged by "+other.Address())
	if _, err := other.Message(context.Background(), s.PID(), []arweave.Tag{{Name: "Action", Value: "Foo"}}, nil); err != nil {
		t.Fatal(err)
	}
	s.Wait(t, "New Message From ")
	s.Wait(t, "Action = Foo")

	// The REPL's own Evals are shown once, by Eval, not again by the
	// watcher.
	s.Type(`return "only" .. "once"`)
	s.Wait(t, "onlyonce\n")
	time.Sleep(500 * time.Millisecond) // ten polls of the watcher
	if got := strings.Count(s.Output(), "onlyonce"); got != 1 {
		t.Fatalf("onlyonce shown %d times:\n%s", got, s.Output())
	}
	if strings.Count(s.Output(), "\n42\n") != 1 {
		t.Fatalf("42 shown twice:\n%s", s.Output())
	}

	// .editor, and Ctrl-C dropping an editor block.
	s.Type(".editor", "local a = 20", "return a + 2", ".done")
	s.Wait(t, "\n22\n")
	s.Type(".editor", "return 99", interruptLine, ".editor", "return 98", ".cancel")
	s.Type("return 'after the editors'")
	s.Wait(t, "after the editors\n")
	if strings.Contains(s.Output(), "\n99\n") || strings.Contains(s.Output(), "\n98\n") {
		t.Fatalf("a dropped editor block ran:\n%s", s.Output())
	}

	// .load with a local module.
	dir := writeFiles(t, map[string]string{
		"app.lua":   "local greet = require('greet')\nGreeting = greet.hello('aogo')\nreturn Greeting\n",
		"greet.lua": "return { hello = function(who) return 'hello, ' .. who end }\n",
	})
	s.Type(".load " + filepath.Join(dir, "app.lua"))
	s.Wait(t, "hello, aogo\n")
	if err := s.exit(t); err != nil {
		t.Fatal(err)
	}
	if s.Failed() != 1 {
		t.Fatalf("Failed() = %d, want 1 (the kaboom)", s.Failed())
	}

	// Back to the same process: its state is there.
	s2 := run(t, repl.Config{Client: c, Name: "lua"})
	if s2.PID() != s.PID() {
		t.Fatalf("reconnected to %s, want %s", s2.PID(), s.PID())
	}
	s2.Type("Counter + 1", "Greeting")
	s2.Wait(t, "\n8\n")
	s2.Wait(t, "hello, aogo\n")
	if strings.Contains(s2.Output(), "pinged") || strings.Contains(s2.Output(), "New Message From") {
		t.Fatalf("a new session shows old messages:\n%s", s2.Output())
	}
	if err := s2.exit(t); err != nil {
		t.Fatal(err)
	}
}
