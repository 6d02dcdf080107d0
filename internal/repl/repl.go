// Package repl is the logic of `aogo aos`: a read-eval-print loop on an AO
// process running the node's Lua module (aogo-lua). It finds the user's
// process by name or spawns it, sends each line the user types as a signed
// Eval message, prints the result's output as soon as the result exists,
// and shows every other result of the process as it comes (messages from
// other processes, cron ticks).
//
// The terminal is behind the Console interface, so the loop runs the same
// on a terminal (Terminal: line editing, history), on a script or pipe
// (LineConsole) and in tests (a scripted console).
//
// # Usage
//
//	r, err := repl.Start(ctx, repl.Config{Client: c, Name: "default", Console: console})
//	if err != nil { ... }
//	err = r.Run(ctx) // until .exit or the end of the input
//
// # What the process answers
//
// The Lua module's Output is a JSON object {"data": "<text>", "prompt":
// "<name>@aogo> ", "print": true}: the REPL prints data and takes the
// prompt. A failed Eval has an Error, printed in red on a terminal. An
// Output that is a plain string (other modules) is printed as it is.
package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/client"
)

// LuaModule is the name of the node's built-in Lua module (GET /node's
// "modules"), the module of the processes the REPL spawns by default.
const LuaModule = "aogo-lua"

// DefaultName is the name of the process when Config.Name is empty.
const DefaultName = "default"

// DefaultPollInterval is Config.PollInterval's default.
const DefaultPollInterval = 500 * time.Millisecond

// Config configures Start. Client and Console are required.
type Config struct {
	// Client talks to the node and signs with the user's wallet, whose
	// address owns the process.
	Client *client.Client
	// Node is the node's URL, for the banner. Default: the gateway's URL.
	Node string
	// Name is the process's Name tag: Start reconnects to the newest
	// process of the wallet with this name, or spawns one. Default
	// DefaultName.
	Name string
	// Module is the module of a process Start spawns. Default: the
	// node's built-in LuaModule.
	Module string
	// Cron is the Cron-Interval of a process Start spawns (e.g.
	// "10-seconds"); its ticks carry Action=Cron. Default "": no cron.
	Cron string
	// Console is where lines are read and outputs written.
	Console Console
	// Notices receive what is about the session, not the process: the
	// banner, "Spawned <pid>", the answers of the REPL's commands.
	// Default: Console. A script's REPL sends them to stderr so that its
	// stdout has only outputs.
	Notices io.Writer
	// Incoming receives the outputs of the process's other results (the
	// watcher's: messages of others, cron ticks). Default: Console. A
	// script's REPL sends them to stderr, beside the notices.
	Incoming io.Writer
	// Quiet leaves the banner out (a script's REPL).
	Quiet bool
	// Errors receive the errors: a Lua error, a message that could not
	// be sent, a bad command. Default: Console.
	Errors io.Writer
	// Color prints errors in red (ANSI escapes): for a terminal.
	Color bool
	// Interrupts stop the wait for an Eval's result (the message is sent;
	// its output, unless it fails, then comes as any other result). The terminal's Ctrl-C
	// during an Eval sends os.Interrupt here. Default nil: none.
	Interrupts <-chan os.Signal
	// PollInterval is how often the REPL asks the CU for the process's new
	// results. Default DefaultPollInterval.
	PollInterval time.Duration
}

// REPL is a session on one process. Start makes it, Run runs it.
type REPL struct {
	cfg Config
	c   *client.Client
	pid string

	// mu guards the watcher's state against the Eval path: an Eval holds
	// it from sending its message until it has recorded the message's
	// nonce, so that the watcher never sees the result of an Eval it
	// cannot yet tell from the others.
	mu struct {
		sync.Mutex
		own    map[int64]bool // nonces of this REPL's Evals not seen yet
		cursor string         // the watcher's position in the results
	}
	promptMu sync.Mutex
	prompt   string // guarded by promptMu

	failed int // Run's goroutine only
}

// Start finds the process (the newest process of the wallet named
// cfg.Name, by the gateway's GraphQL) or spawns it, and writes the banner.
func Start(ctx context.Context, cfg Config) (*REPL, error) {
	if cfg.Client == nil || cfg.Console == nil {
		return nil, errors.New("repl: Config.Client and Config.Console are required")
	}
	if cfg.Name == "" {
		cfg.Name = DefaultName
	}
	if cfg.Notices == nil {
		cfg.Notices = cfg.Console
	}
	if cfg.Errors == nil {
		cfg.Errors = cfg.Console
	}
	if cfg.Incoming == nil {
		cfg.Incoming = cfg.Console
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.Node == "" {
		cfg.Node = cfg.Client.Units().Gateway
	}
	r := &REPL{cfg: cfg, c: cfg.Client, prompt: cfg.Name + "@aogo> "}
	r.mu.own = map[int64]bool{}
	pid, err := r.c.FindProcess(ctx, r.c.Address(), []arweave.Tag{{Name: "Name", Value: cfg.Name}})
	switch {
	case err == nil:
		r.pid = pid
		if cfg.Module != "" || cfg.Cron != "" {
			fmt.Fprintf(cfg.Notices, "Found your process %q: the module and cron options apply only to a new process.\n", cfg.Name)
		}
	case errors.Is(err, client.ErrNotFound):
		if err := r.spawn(ctx); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	// The watcher starts after the newest result there is: what happened
	// before this session is not news.
	page, err := r.c.Results(ctx, r.pid, client.ResultsQuery{Sort: "DESC", Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(page.Edges) > 0 {
		r.mu.cursor = page.Edges[0].Cursor
	}
	if !cfg.Quiet {
		fmt.Fprintf(cfg.Notices, "aos on aogo: process %s (%s), node %s\n", r.pid, cfg.Name, cfg.Node)
		fmt.Fprintf(cfg.Notices, "Type Lua to run it in the process; .help lists the REPL's commands.\n")
	}
	return r, nil
}

// spawn spawns the process: cfg.Module (or the node's Lua module), named,
// trusting the node's MU as its Authority, with the cron if any. It waits
// for the process message's result, so that the process is ready.
func (r *REPL) spawn(ctx context.Context) error {
	module := r.cfg.Module
	if module == "" {
		id, err := r.c.BuiltinModule(LuaModule)
		if err != nil {
			return fmt.Errorf("repl: %w (name a Lua process module with --module)", err)
		}
		module = id
	}
	tags := []arweave.Tag{{Name: "Name", Value: r.cfg.Name}}
	if a := r.c.Units().Authority; a != "" {
		tags = append(tags, arweave.Tag{Name: "Authority", Value: a})
	}
	if r.cfg.Cron != "" {
		tags = append(tags, arweave.Tag{Name: "Cron-Interval", Value: r.cfg.Cron}, arweave.Tag{Name: "Cron-Tag-Action", Value: "Cron"})
	}
	pid, err := r.c.Spawn(ctx, module, tags, nil)
	if err != nil {
		return err
	}
	r.pid = pid
	fmt.Fprintf(r.cfg.Notices, "Spawned %s\n", pid)
	res, err := r.c.Result(ctx, pid, pid)
	if err != nil {
		return fmt.Errorf("repl: the new process %s: %w", pid, err)
	}
	if out := parseOutput(res); out.err != "" {
		return fmt.Errorf("repl: the new process %s failed to start: %s", pid, out.err)
	} else if out.prompt != "" {
		r.setPrompt(out.prompt)
	}
	return nil
}

// PID is the process's id.
func (r *REPL) PID() string { return r.pid }

// Prompt is the prompt the REPL shows: the process's own from its last
// output, "<name>@aogo> " before any.
func (r *REPL) Prompt() string {
	r.promptMu.Lock()
	defer r.promptMu.Unlock()
	return r.prompt
}

func (r *REPL) setPrompt(p string) {
	r.promptMu.Lock()
	r.prompt = p
	r.promptMu.Unlock()
}

// Failed is how many of Run's Evals failed (a Lua error, a message that
// could not be sent).
func (r *REPL) Failed() int { return r.failed }

// command is a line that starts with a dot and a letter (".5 + 1" is Lua).
var command = regexp.MustCompile(`^\.([A-Za-z][A-Za-z-]*)(?:\s+(.*))?$`)

// Run reads lines until .exit or the end of the input, evaluating each in
// the process, while a watcher shows the process's other results. It
// returns nil when the user leaves, or the console's error.
func (r *REPL) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { r.watch(ctx) })
	defer wg.Wait()
	defer cancel()
	for {
		line, err := r.cfg.Console.ReadLine(r.Prompt())
		switch {
		case errors.Is(err, ErrInterrupt):
			continue
		case errors.Is(err, io.EOF):
			// A script's last lines may have sent messages whose
			// answers are already in: show them before leaving.
			_ = r.poll(ctx)
			return nil
		case err != nil:
			return err
		}
		trimmed := strings.TrimSpace(line)
		if trimmed == "" {
			continue
		}
		if h, ok := r.cfg.Console.(historian); ok {
			h.AddHistory(line)
		}
		m := command.FindStringSubmatch(trimmed)
		if m == nil {
			r.evalLine(ctx, line)
			continue
		}
		if done, err := r.command(ctx, m[1], strings.TrimSpace(m[2])); err != nil {
			return err
		} else if done {
			return nil
		}
	}
}

const help = `.editor          type Lua over several lines; .done (or Ctrl-D) runs it, .cancel (or Ctrl-C) drops it
.load FILE       run a Lua file in the process (with the local modules it requires)
.monitor         ask the node's MU to run the process's cron and deliver what the ticks send
.unmonitor       stop that
.help            this list
.exit            leave (Ctrl-D too); the process stays, aogo aos NAME comes back to it
`

// command runs a REPL command; done reports .exit.
func (r *REPL) command(ctx context.Context, name, arg string) (done bool, err error) {
	switch name {
	case "exit", "quit":
		return true, nil
	case "help":
		fmt.Fprint(r.cfg.Notices, help)
	case "editor":
		return r.editor(ctx)
	case "load":
		if arg == "" {
			r.errorf(".load needs a file: .load FILE")
			break
		}
		file := strings.Trim(arg, `"'`)
		if rest, ok := strings.CutPrefix(file, "~/"); ok {
			if home, err := os.UserHomeDir(); err == nil {
				file = home + "/" + rest
			}
		}
		b, err := LoadFile(file)
		if err != nil {
			r.errorf("%v", err)
			r.failed++
			break
		}
		if len(b.Modules) > 0 {
			fmt.Fprintf(r.cfg.Notices, "Loading %s (with %s)\n", file, strings.Join(b.Modules, ", "))
		} else {
			fmt.Fprintf(r.cfg.Notices, "Loading %s\n", file)
		}
		r.evalLine(ctx, b.Code)
	case "monitor":
		if err := r.c.Monitor(ctx, r.pid); err != nil {
			r.errorf("%v", err)
		} else {
			fmt.Fprintln(r.cfg.Notices, "Monitoring: the node's MU runs the process's cron and delivers what its ticks send.")
		}
	case "unmonitor":
		if err := r.c.Unmonitor(ctx, r.pid); err != nil {
			r.errorf("%v", err)
		} else {
			fmt.Fprintln(r.cfg.Notices, "Stopped monitoring.")
		}
	default:
		r.errorf("unknown command .%s (.help lists them)", name)
	}
	return false, nil
}

// editor reads lines until .done (or the end of the input) and evaluates
// them as one; .cancel or Ctrl-C drops them.
func (r *REPL) editor(ctx context.Context) (bool, error) {
	fmt.Fprintln(r.cfg.Notices, "Editor: .done (or Ctrl-D) runs what you typed, .cancel (or Ctrl-C) drops it.")
	var code []string
	for {
		line, err := r.cfg.Console.ReadLine("... ")
		switch {
		case errors.Is(err, ErrInterrupt):
			fmt.Fprintln(r.cfg.Notices, "(dropped)")
			return false, nil
		case errors.Is(err, io.EOF):
		case err != nil:
			return false, err
		case strings.TrimSpace(line) == ".cancel":
			fmt.Fprintln(r.cfg.Notices, "(dropped)")
			return false, nil
		case strings.TrimSpace(line) != ".done":
			code = append(code, line)
			continue
		}
		if src := strings.Join(code, "\n"); strings.TrimSpace(src) != "" {
			r.evalLine(ctx, src)
		}
		return false, nil
	}
}

// evalLine evaluates code and prints its output or error.
func (r *REPL) evalLine(ctx context.Context, code string) {
	out, err := r.Eval(ctx, code)
	switch {
	case err != nil:
		r.failed++
		r.errorf("%v", err)
	case out.err != "":
		r.failed++
		if out.data != "" && !strings.Contains(out.err, out.data) && !strings.Contains(out.data, out.err) {
			fmt.Fprint(r.cfg.Console, lines(out.data))
		}
		r.errorf("%s", out.err)
	default:
		fmt.Fprint(r.cfg.Console, lines(out.data))
	}
}

// errInterrupted is Eval's error when an interrupt stopped the wait.
var errInterrupted = errors.New("interrupted: not waiting for the output (the message was sent: the process runs it all the same)")

// Eval sends code to the process as an Eval message and waits for its
// result.
func (r *REPL) Eval(ctx context.Context, code string) (output, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := make(chan struct{})
	defer close(stop)
	interrupted := make(chan struct{})
	if r.cfg.Interrupts != nil {
		drain(r.cfg.Interrupts) // a Ctrl-C before this Eval is not for it
		go func() {
			select {
			case <-r.cfg.Interrupts:
				close(interrupted)
				cancel()
			case <-stop:
			}
		}()
	}
	r.mu.Lock()
	mid, err := r.c.Message(ctx, r.pid, []arweave.Tag{{Name: "Action", Value: "Eval"}}, []byte(code))
	var nonce int64 = -1
	if err == nil {
		// NB: without the nonce the watcher cannot tell this Eval's
		// result from the others and will show it a second time; that is
		// all an error here costs.
		if a, aerr := r.c.Assignment(ctx, r.pid, mid); aerr == nil {
			nonce = a.Nonce
			r.mu.own[nonce] = true
		}
	}
	r.mu.Unlock()
	if err != nil {
		return output{}, err
	}
	res, err := r.c.Result(ctx, r.pid, mid)
	select {
	case <-interrupted:
		// Let the watcher show the output when it comes.
		r.mu.Lock()
		delete(r.mu.own, nonce)
		r.mu.Unlock()
		return output{}, errInterrupted
	default:
	}
	if err != nil {
		return output{}, err
	}
	out := parseOutput(res)
	if out.prompt != "" {
		r.setPrompt(out.prompt)
	}
	return out, nil
}

func drain(ch <-chan os.Signal) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// errorf writes an error line, in red on a terminal.
func (r *REPL) errorf(format string, args ...any) {
	msg := strings.TrimRight(fmt.Sprintf(format, args...), "\n")
	if r.cfg.Color {
		msg = "\x1b[31m" + msg + "\x1b[0m"
	}
	fmt.Fprintln(r.cfg.Errors, msg)
}
