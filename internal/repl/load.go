package repl

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// requireCall matches require("name"), require('name') and require "name"
// (Lua's call without parentheses).
var requireCall = regexp.MustCompile(`\brequire\s*(?:\(\s*)?["']([A-Za-z0-9_.\-/]+)["']`)

// Bundle is a Lua file ready to be sent as one Eval: the file and the local
// modules it requires.
type Bundle struct {
	// Code is the Lua to evaluate: each local module, dependencies first,
	// as
	//
	//	package.loaded["x"] = (function(...) <x.lua> end)("x") or true
	//
	// then the file itself. A require("x") of the file (or of a module)
	// then finds the module in package.loaded, as if the process had
	// loaded x.lua from disk. "or true" is what require stores for a
	// module that returns nothing.
	Code string
	// Modules are the names of the bundled modules, in Code's order.
	Modules []string
}

// LoadFile reads the Lua file at path and bundles the local modules it
// requires, recursively: require("x.y") is the file x/y.lua (or
// x/y/init.lua) beside path, if it exists; a require of anything else (a
// module the process has, such as json) is left to the process. A cycle of
// local requires is an error.
func LoadFile(path string) (*Bundle, error) {
	main, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("repl: load: %w", err)
	}
	l := loader{dir: filepath.Dir(path), state: map[string]int{}}
	if err := l.requires(string(main), path); err != nil {
		return nil, err
	}
	var b strings.Builder
	for _, m := range l.order {
		fmt.Fprintf(&b, "-- %s\npackage.loaded[%q] = (function(...)\n%s\nend)(%q) or true\n", m.file, m.name, strings.TrimRight(m.code, "\n"), m.name)
	}
	b.Write(main)
	out := &Bundle{Code: b.String()}
	for _, m := range l.order {
		out.Modules = append(out.Modules, m.name)
	}
	return out, nil
}

type module struct {
	name, file, code string
}

type loader struct {
	dir   string
	state map[string]int // module name -> loading (1) or loaded (2)
	order []module       // dependencies before dependents
}

// requires adds the local modules that code (of file from) requires.
func (l *loader) requires(code, from string) error {
	for _, m := range requireCall.FindAllStringSubmatch(code, -1) {
		if err := l.add(m[1], from); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) add(name, from string) error {
	switch l.state[name] {
	case 1:
		return fmt.Errorf("repl: load: %s requires %q, which requires it back (a cycle)", from, name)
	case 2:
		return nil
	}
	file, code, err := l.find(name)
	if err != nil || file == "" {
		return err // not a local module: the process may have it
	}
	l.state[name] = 1
	if err := l.requires(code, file); err != nil {
		return err
	}
	l.state[name] = 2
	l.order = append(l.order, module{name: name, file: filepath.Base(file), code: code})
	return nil
}

// find returns the file of module name beside the loaded file, "" if there
// is none.
func (l *loader) find(name string) (file, code string, err error) {
	base := filepath.Join(l.dir, filepath.FromSlash(strings.ReplaceAll(name, ".", "/")))
	for _, f := range []string{base + ".lua", filepath.Join(base, "init.lua")} {
		b, err := os.ReadFile(f)
		switch {
		case err == nil:
			return f, string(b), nil
		case !errors.Is(err, fs.ErrNotExist):
			return "", "", fmt.Errorf("repl: load: module %q: %w", name, err)
		}
	}
	return "", "", nil
}
