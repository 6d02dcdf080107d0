package repl_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/internal/repl"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestLoadFile: .load bundles the local modules a file requires, each
// before what requires it and once, and leaves other requires alone.
func TestLoadFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"main.lua":          "local u = require(\"util\")\nlocal d = require 'lib.deep'\nlocal json = require(\"json\")\nreturn u.twice(d.n)\n",
		"util.lua":          "local d = require(\"lib.deep\")\nreturn { twice = function(x) return 2 * x end, d = d }\n",
		"lib/deep.lua":      "local name = ...\nreturn { n = 21, name = name }\n",
		"unused.lua":        "return 1\n",
		"pkg/init.lua":      "return 'pkg'\n",
		"uses-pkg.lua":      "return require('pkg')\n",
		"cycle-a.lua":       "require('cycle-b')\n",
		"cycle-b.lua":       "require('cycle-a')\n",
		"self-cycle.lua":    "require('cycle-a')\n",
		"no-requires.lua":   "X = 1\n",
		"missing-dir/.keep": "",
	})
	b, err := repl.LoadFile(filepath.Join(dir, "main.lua"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(b.Modules, ","); got != "lib.deep,util" {
		t.Fatalf("modules %q, want lib.deep,util", got)
	}
	want := `-- deep.lua
package.loaded["lib.deep"] = (function(...)
local name = ...
return { n = 21, name = name }
end)("lib.deep") or true
-- util.lua
package.loaded["util"] = (function(...)
local d = require("lib.deep")
return { twice = function(x) return 2 * x end, d = d }
end)("util") or true
local u = require("util")
local d = require 'lib.deep'
local json = require("json")
return u.twice(d.n)
`
	if b.Code != want {
		t.Fatalf("code:\n%s\nwant:\n%s", b.Code, want)
	}

	if b, err := repl.LoadFile(filepath.Join(dir, "uses-pkg.lua")); err != nil || strings.Join(b.Modules, ",") != "pkg" || !strings.Contains(b.Code, "return 'pkg'") {
		t.Fatalf("init.lua module: %v %+v", err, b)
	}
	if b, err := repl.LoadFile(filepath.Join(dir, "no-requires.lua")); err != nil || b.Code != "X = 1\n" || len(b.Modules) != 0 {
		t.Fatalf("plain file: %v %+v", err, b)
	}
	if _, err := repl.LoadFile(filepath.Join(dir, "self-cycle.lua")); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("cycle: %v", err)
	}
	if _, err := repl.LoadFile(filepath.Join(dir, "nope.lua")); err == nil {
		t.Fatal("a missing file loaded")
	}
}
