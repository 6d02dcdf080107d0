package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/client"
	"github.com/aogo-dev/aogo/internal/builtin"
	"github.com/aogo-dev/aogo/runtime"
	"github.com/creack/pty"
)

// tty is a program running on a pseudo-terminal: what a user sees and
// types.
type tty struct {
	t   *testing.T
	f   *os.File
	cmd *exec.Cmd

	mu   sync.Mutex
	out  bytes.Buffer
	mark int // Expect searches the screen output after this offset
	done chan struct{}
}

func startTTY(t *testing.T, env []string, bin string, args ...string) *tty {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 220})
	if err != nil {
		t.Fatal(err)
	}
	tt := &tty{t: t, f: f, cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(tt.done)
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			tt.mu.Lock()
			tt.out.Write(buf[:n])
			tt.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		f.Close()
	})
	return tt
}

// ansi matches the escape sequences readline draws with.
var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// screen is the output so far without escapes and carriage returns.
func (tt *tty) screen(raw bool) string {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	s := tt.out.String()
	if raw {
		return s
	}
	return strings.ReplaceAll(ansi.ReplaceAllString(s, ""), "\r", "")
}

// Expect waits for want in the output after the last Expect's match, and
// moves past it.
func (tt *tty) Expect(want string) {
	tt.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		s := tt.screen(false)
		if i := strings.Index(s[min(tt.mark, len(s)):], want); i >= 0 {
			tt.mark += i + len(want)
			return
		}
		if time.Now().After(deadline) {
			tt.t.Fatalf("no %q on the terminal after:\n%s", want, s[min(tt.mark, len(s)):])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Type types s (use \r for Enter).
func (tt *tty) Type(s string) {
	tt.t.Helper()
	if _, err := tt.f.Write([]byte(s)); err != nil {
		tt.t.Fatal(err)
	}
}

// Wait waits for the program to exit and returns its error.
func (tt *tty) Wait() error {
	tt.t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- tt.cmd.Wait() }()
	select {
	case err := <-errc:
		return err
	case <-time.After(time.Minute):
		tt.t.Fatalf("still running; the terminal shows:\n%s", tt.screen(false))
		return nil
	}
}

// TestAOSTerminal drives `aogo aos` on a pseudo-terminal as a user does:
// evaluate, fail in red, cancel a line, add a handler, receive messages
// from another process, .load a file, exit, and come back to the same
// process with its state.
func TestAOSTerminal(t *testing.T) {
	if err := builtin.Check(); err != nil {
		t.Fatal(err) // says to run `make builtin-modules`
	}
	n, err := runtime.Start(context.Background(), runtime.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	lua, ok := n.Info().Modules["aogo-lua"]
	if !ok {
		t.Fatalf("the node has no built-in aogo-lua module (it has %v): aogo aos needs the Lua process module "+
			"(internal/builtin/modules/aogo-lua.wasm, `make builtin-modules`)", n.Info().Modules)
	}
	node := "http://" + n.Addr().String()
	bin := filepath.Join(t.TempDir(), "aogo")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	home := t.TempDir()
	env := []string{"XDG_CONFIG_HOME=" + filepath.Join(home, "config"), "HOME=" + home, "TERM=xterm"}

	a := startTTY(t, env, bin, "aos", "term", "--node", node)
	a.Expect("Spawned ")
	pid := regexp.MustCompile(`Spawned ([A-Za-z0-9_-]{43})`).FindStringSubmatch(a.screen(false))[1]
	a.Expect("term@aogo> ")
	a.Type("1 + 41\r")
	a.Expect("\n42\n")
	a.Expect("term@aogo> ")
	a.Type(`error("in red")` + "\r")
	a.Expect("in red\n")
	if !strings.Contains(a.screen(true), "\x1b[31m") {
		t.Fatalf("the error is not red:\n%q", a.screen(true))
	}
	a.Type("this line is cancelled\x03")
	a.Type("2 + 2\r")
	a.Expect("\n4\n")
	if strings.Contains(a.screen(false), "cancelled\n") {
		t.Fatalf("Ctrl-C did not cancel the line:\n%s", a.screen(false))
	}

	// A handler, and messages from a second process (spawned and driven
	// by the Go client with another wallet).
	a.Type(`Handlers.add("ping", Handlers.utils.hasMatchingTag("Action", "Ping"), function(msg) print("ping: " .. msg.Data) end)` + "\r")
	a.Type(`"handler" .. " added"` + "\r")
	a.Expect("handler added\n")
	w, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(context.Background(), node, w)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b, err := c.Spawn(ctx, lua, []arweave.Tag{{Name: "Name", Value: "second"}, {Name: "Authority", Value: c.Units().Authority}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	code := `Send({Target = "` + pid + `", Action = "Ping", Data = "from the second process"})
Send({Target = "` + pid + `", Action = "Unhandled"})`
	if _, err := c.Message(ctx, b, []arweave.Tag{{Name: "Action", Value: "Eval"}}, []byte(code)); err != nil {
		t.Fatal(err)
	}
	a.Expect("ping: from the second process\n")
	a.Expect("New Message From " + b[:3])
	a.Expect("Action = Unhandled")

	// .load, with a local module beside the file.
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("state.lua", "local fmt = require('fmt')\nSaved = fmt.tag('kept')\nreturn 'loaded ' .. Saved\n")
	write("fmt.lua", "return { tag = function(s) return '<' .. s .. '>' end }\n")
	a.Type(".load " + filepath.Join(dir, "state.lua") + "\r")
	a.Expect("loaded <kept>\n")
	a.Type(".exit\r")
	if err := a.Wait(); err != nil {
		t.Fatalf("aogo aos: %v\n%s", err, a.screen(false))
	}

	// Again: the same process (found by name), its state, the history.
	again := startTTY(t, env, bin, "aos", "term", "--node", node)
	again.Expect("process " + pid + " (term)")
	again.Expect("term@aogo> ")
	again.Type("Saved\r")
	again.Expect("\n<kept>\n")
	again.Type("\x04") // Ctrl-D
	if err := again.Wait(); err != nil {
		t.Fatalf("aogo aos: %v\n%s", err, again.screen(false))
	}
	if strings.Contains(again.screen(false), "Spawned") {
		t.Fatalf("spawned again:\n%s", again.screen(false))
	}
	hist, err := os.ReadFile(filepath.Join(home, "config", "aogo", "aos_history"))
	if err != nil || !strings.Contains(string(hist), "1 + 41\n") || !strings.Contains(string(hist), "Saved\n") {
		t.Fatalf("history: %v\n%s", err, hist)
	}
}
