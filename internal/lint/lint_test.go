// Package lint makes the house conventions executable (style.md rule 18):
// each test walks the repository's Go sources and fails on a banned
// construct. A line may opt out with a trailing "lint:ignore <reason>".
package lint

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// rule bans a pattern in the non-test Go files under some directories.
type rule struct {
	name    string
	pattern *regexp.Regexp
	// applies reports whether the rule covers a file (path relative to the
	// repository root, with forward slashes).
	applies func(path string) bool
	why     string
}

var rules = []rule{
	{
		name:    "no printing from library code",
		pattern: regexp.MustCompile(`\bfmt\.Print(f|ln)?\(|\blog\.(Print|Fatal|Panic)(f|ln)?\(`),
		applies: func(p string) bool { return !strings.HasPrefix(p, "cmd/") },
		why:     "libraries log through an injected *slog.Logger; only cmd/ writes to the terminal",
	},
	{
		name:    "no package-level slog logger",
		pattern: regexp.MustCompile(`\bslog\.(Info|Warn|Error|Debug|Default)\(`),
		applies: func(p string) bool { return true },
		why:     "loggers are passed in config, never taken from slog's global default",
	},
	{
		name:    "no clock or host randomness in the AO domain",
		pattern: regexp.MustCompile(`\btime\.Now\(|"math/rand|"crypto/rand"|\bos\.Getenv\(`),
		applies: func(p string) bool {
			return strings.HasPrefix(p, "internal/ao/") ||
				(strings.HasPrefix(p, "vm/") && !strings.HasPrefix(p, "vm/testdata/"))
		},
		why: "internal/ao and vm must be deterministic: time and randomness come from assignments and messages",
	},
	{
		name:    "no panics with bare strings",
		pattern: regexp.MustCompile(`\bpanic\("`),
		applies: func(p string) bool { return !strings.HasPrefix(p, "cmd/") },
		why:     "return errors; a panic must carry an error value that says why it cannot happen",
	},
}

func TestConventions(t *testing.T) {
	root := repoRoot(t)
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", ".git", "testdata", "bin":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			trimmed := strings.TrimSpace(line)
			if strings.HasPrefix(trimmed, "//") || strings.Contains(line, "lint:ignore") {
				continue
			}
			for _, r := range rules {
				if r.applies(rel) && r.pattern.MatchString(line) {
					t.Errorf("%s:%d: %s (%s)\n\t%s", rel, i+1, r.name, r.why, trimmed)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}
