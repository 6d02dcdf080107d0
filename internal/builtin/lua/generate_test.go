package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/internal/builtin"
)

// TestModuleUpToDate rebuilds the module from these sources exactly as
// `go generate` does (the //go:generate line of main.go, with the output
// in a temporary directory) and checks that the committed
// internal/builtin/modules/aogo-lua.wasm has the same bytes. When it
// fails, run `go generate ./internal/builtin/lua` and commit the module.
//
// The build is byte-reproducible only with the Go version the module was
// built with: with another, the test is skipped, saying so.
func TestModuleUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the module (tens of seconds)")
	}
	committed, err := os.ReadFile(modulePath)
	if err != nil {
		t.Fatal(err)
	}
	version, err := goVersion(committed)
	if err != nil {
		t.Fatalf("%s: %v", modulePath, err)
	}
	if version != runtime.Version() {
		t.Skipf("%s was built with %s, this is %s: the bytes cannot be compared", modulePath, version, runtime.Version())
	}
	args := generateArgs(t)
	out := filepath.Join(t.TempDir(), "aogo-lua.wasm")
	for i, a := range args {
		if a == "-o" {
			args[i+1] = out
		}
	}
	// args is "env VAR=… go build …": run it the same way, with go from
	// this toolchain.
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Join(runtime.GOROOT(), "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, b)
	}
	built, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(built, committed) {
		t.Fatalf("%s (%d bytes) is not what these sources build (%d bytes): run `go generate ./internal/builtin/lua` and commit it", modulePath, len(committed), len(built))
	}
}

// goVersion finds the Go version a Go wasm binary was built with: Go
// writes no build info blob into wasm (debug/buildinfo cannot read it),
// but the runtime keeps its version string.
func goVersion(bin []byte) (string, error) {
	v := regexp.MustCompile(`go1\.[0-9]+(\.[0-9]+)?((rc|beta)[0-9]+)?`).Find(bin)
	if v == nil {
		return "", errors.New("no Go version string")
	}
	return string(v), nil
}

// generateArgs returns the command of main.go's //go:generate line.
func generateArgs(t *testing.T) []string {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(src), "\n") {
		rest, ok := strings.CutPrefix(line, "//go:generate ")
		if !ok {
			continue
		}
		var args []string
		for _, f := range strings.Fields(rest) {
			args = append(args, f)
		}
		// Join the one quoted argument ("-ldflags=-s -w -buildid=").
		var out []string
		for i := 0; i < len(args); i++ {
			if strings.HasPrefix(args[i], `"`) {
				j := i
				for !strings.HasSuffix(args[j], `"`) || j == i && len(args[j]) == 1 {
					j++
				}
				q, err := strconv.Unquote(strings.Join(args[i:j+1], " "))
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, q)
				i = j
				continue
			}
			out = append(out, args[i])
		}
		return out
	}
	t.Fatal("main.go has no //go:generate line")
	return nil
}

// moduleTags are the tags the node publishes aogo-lua with.
func moduleTags(t *testing.T) []arweave.Tag {
	for _, m := range builtin.Modules() {
		if m.Name == "aogo-lua" {
			return m.Tags()
		}
	}
	t.Fatal("aogo-lua is not among the built-in modules")
	return nil
}
