package repl_test

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/client"
	"github.com/aogo-dev/aogo/internal/builtin"
	"github.com/aogo-dev/aogo/internal/repl"
	"github.com/aogo-dev/aogo/runtime"
)

// startNode starts a node with every unit (and its built-in modules).
func startNode(t *testing.T) *runtime.Node {
	t.Helper()
	if err := builtin.Check(); err != nil {
		t.Fatal(err) // says to run `make builtin-modules`
	}
	n, err := runtime.Start(context.Background(), runtime.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	return n
}

// newClient returns a client of node n signing with a new wallet.
func newClient(t *testing.T, n *runtime.Node) *client.Client {
	t.Helper()
	w, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(context.Background(), "http://"+n.Addr().String(), w)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// requireLua fails the test when the node has no aogo-lua module: the
// REPL's own tests need the Lua process module of issue 7.
func requireLua(t *testing.T, n *runtime.Node) {
	t.Helper()
	if _, ok := n.Info().Modules[repl.LuaModule]; !ok {
		t.Fatalf("the node has no built-in %q module (it has %v): the REPL needs the Lua process module "+
			"(internal/builtin/modules/aogo-lua.wasm, `make builtin-modules`)", repl.LuaModule, n.Info().Modules)
	}
}

// script is a Console driven by a test: Type queues lines for ReadLine,
// and what the REPL writes is kept for Wait.
type script struct {
	lines chan string

	mu      sync.Mutex
	out     strings.Builder
	prompts []string
}

func newScript() *script { return &script{lines: make(chan string, 64)} }

// Type queues lines as if typed. io.EOF (Ctrl-D) is sent by Close.
func (s *script) Type(lines ...string) {
	for _, l := range lines {
		s.lines <- l
	}
}

// Close ends the input.
func (s *script) Close() { close(s.lines) }

// interruptLine is a line that makes ReadLine return repl.ErrInterrupt.
const interruptLine = "\x03"

func (s *script) ReadLine(prompt string) (string, error) {
	s.mu.Lock()
	s.prompts = append(s.prompts, prompt)
	s.mu.Unlock()
	l, ok := <-s.lines
	switch {
	case !ok:
		return "", io.EOF
	case l == interruptLine:
		return "", repl.ErrInterrupt
	}
	return l, nil
}

func (s *script) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(p)
}

func (s *script) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// LastPrompt is the prompt of the newest ReadLine.
func (s *script) LastPrompt() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.prompts) == 0 {
		return ""
	}
	return s.prompts[len(s.prompts)-1]
}

// Wait waits until the output contains want (counted from the start of
// the output), or fails the test after a minute.
func (s *script) Wait(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(s.Output(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the REPL's output:\n%s", want, s.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// session is a REPL running in the background on a script.
type session struct {
	*repl.REPL
	*script
	done chan error
}

// run starts a REPL with cfg (its Console a new script) and runs it.
func run(t *testing.T, cfg repl.Config) *session {
	t.Helper()
	s := &session{script: newScript(), done: make(chan error, 1)}
	cfg.Console = s.script
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 50 * time.Millisecond
	}
	r, err := repl.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.REPL = r
	go func() { s.done <- r.Run(context.Background()) }()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			s.Close()
			<-s.done
		}
	})
	return s
}

// exit ends the session with .exit and returns Run's answer.
func (s *session) exit(t *testing.T) error {
	t.Helper()
	s.Type(".exit")
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		return err
	case <-time.After(time.Minute):
		t.Fatal("the REPL did not exit")
		return nil
	}
}
