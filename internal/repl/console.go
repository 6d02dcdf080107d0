package repl

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"sync"

	"github.com/chzyer/readline"
)

// ErrInterrupt is what Console.ReadLine returns when the user cancels the
// line being typed (Ctrl-C).
var ErrInterrupt = errors.New("repl: interrupt")

// Console is where the REPL reads lines and writes what it shows.
//
// ReadLine is called from one goroutine at a time (the REPL's loop); Write
// is called from several (the loop and the inbox watcher), one or more
// whole lines per call, also while a ReadLine is waiting: a terminal
// console writes them above the prompt being edited.
type Console interface {
	// ReadLine shows prompt and returns the next line, without its line
	// ending. It returns ErrInterrupt when the user cancels the line
	// (Ctrl-C) and io.EOF at the end of the input (Ctrl-D on an empty
	// line).
	ReadLine(prompt string) (string, error)
	io.Writer
}

// historian is a Console that keeps a history of the lines the REPL
// evaluated (Terminal does; LineConsole has none).
type historian interface {
	AddHistory(line string)
}

// LineConsole is the Console of a REPL that does not talk to a terminal:
// it reads lines from a reader (a script, a pipe), shows no prompt and
// writes to a writer. Lines of a script are not echoed.
type LineConsole struct {
	in *bufio.Reader
	mu sync.Mutex
	w  io.Writer
}

// NewLineConsole returns a console reading lines from r and writing to w.
func NewLineConsole(r io.Reader, w io.Writer) *LineConsole {
	return &LineConsole{in: bufio.NewReader(r), w: w}
}

// ReadLine implements Console.ReadLine; the prompt is not shown. A last
// line without a line ending is returned; io.EOF comes after it.
func (c *LineConsole) ReadLine(string) (string, error) {
	line, err := c.in.ReadString('\n')
	if err == io.EOF && line != "" {
		err = nil
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// Write implements Console: one write at a time.
func (c *LineConsole) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w.Write(p)
}

// Terminal is the Console of an interactive REPL: line editing and history
// (persistent in a file) by github.com/chzyer/readline, output written
// above the prompt being edited. It reads the process's standard input and
// writes its standard output.
type Terminal struct {
	rl *readline.Instance
	mu sync.Mutex // serializes writes: readline redraws the prompt after each
}

// NewTerminal opens the terminal console; historyFile keeps the history
// between sessions ("": none). Close it when done: it restores the
// terminal.
func NewTerminal(historyFile string) (*Terminal, error) {
	rl, err := readline.NewEx(&readline.Config{
		HistoryFile: historyFile,
		// The REPL adds what it evaluated, not every line of an .editor
		// block or a REPL command's answer.
		DisableAutoSaveHistory: true,
		HistorySearchFold:      true,
		InterruptPrompt:        "^C",
	})
	if err != nil {
		return nil, err
	}
	return &Terminal{rl: rl}, nil
}

// ReadLine implements Console.ReadLine.
func (t *Terminal) ReadLine(prompt string) (string, error) {
	t.rl.SetPrompt(prompt)
	line, err := t.rl.Readline()
	if errors.Is(err, readline.ErrInterrupt) {
		return "", ErrInterrupt
	}
	return line, err
}

// Write implements Console: above the prompt while a line is being read.
func (t *Terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rl.Stdout().Write(p)
}

// AddHistory adds line to the history (and its file).
func (t *Terminal) AddHistory(line string) { _ = t.rl.SaveHistory(line) }

// Close restores the terminal.
func (t *Terminal) Close() error { return t.rl.Close() }
