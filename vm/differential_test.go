package vm_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/internal/arlocaltest"
	"github.com/aogo-dev/aogo/vm"
)

// refLine is one result line of test/js/aoloader.js (the reference loader)
// or of the vm, normalised as the reference CU normalises a result.
type refLine struct {
	Output      any    `json:"Output"`
	Messages    any    `json:"Messages"`
	Spawns      any    `json:"Spawns"`
	Assignments any    `json:"Assignments"`
	Error       any    `json:"Error"`
	GasUsed     *int64 `json:"GasUsed"`
	StateHash   string `json:"StateHash"`
}

func normalise(l *refLine) {
	switch v := l.Output.(type) {
	case nil:
		l.Output = ""
	case float64:
		l.Output = fmt.Sprint(v)
	}
	for _, p := range []*any{&l.Messages, &l.Spawns, &l.Assignments} {
		if *p == nil {
			*p = []any{}
		}
	}
}

// differentialMessages is the sequence both loaders evaluate: every action
// whose answer the reference gives deterministically (Random is left out:
// the reference serves /dev/urandom from the host; Shell under format 4: the
// reference runs a real shell).
func differentialMessages(format vm.Format) [][]byte {
	actions := []struct{ action, data string }{
		{"Inc", ""}, {"Inc", ""}, {"Echo", "héllo \"wörld\" 😀\n\ttab"}, {"Big", strings.Repeat("é", 5000)},
		{"Error", ""}, {"Inc", ""}, {"Send", "target-process"}, {"Time", ""}, {"Env", ""},
		{"Trap", ""}, {"Inc", ""}, {"Fail", ""}, {"Nest", ""}, {"Inc", ""}, {"Time", ""}, {"Print", "printed line"}, {"Time", ""},
	}
	if format != vm.FormatEmscripten4 && format != vm.FormatEmscriptenMetering {
		actions = append(actions, struct{ action, data string }{"Shell", ""})
	}
	actions = append(actions, struct{ action, data string }{"Inc", ""})
	var out [][]byte
	for n, a := range actions {
		out = append(out, msg(n+1, a.action, a.data))
	}
	return out
}

// TestDifferentialAOLoader runs each emscripten test module in the vm and in
// @permaweb/ao-loader 0.0.49 on the same messages and requires the same
// Output, Messages, Spawns, Assignments, Error and GasUsed, and for formats
// 1 and 2 the same memory (StateHash) after every message.
func TestDifferentialAOLoader(t *testing.T) {
	js := arlocaltest.JSDir(t)
	rt := newRuntime(t, vm.Config{})
	envFile := filepath.Join(t.TempDir(), "env.json")
	if err := os.WriteFile(envFile, testEnv, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tm := range testModules(t) {
		if tm.Format == vm.FormatNative {
			continue
		}
		t.Run(tm.name(), func(t *testing.T) {
			msgs := differentialMessages(tm.Format)
			ref := runReference(t, js, tm, envFile, msgs)
			inst := tm.start(t, rt, vm.Limits{})
			sameMemory := tm.Format == vm.FormatEmscripten || tm.Format == vm.FormatEmscripten2 || tm.Format == vm.FormatEmscripten3
			for n, m := range msgs {
				res, err := inst.Handle(context.Background(), m, testEnv)
				if err != nil {
					t.Fatal(err)
				}
				h := stateHash(t, inst)
				raw, _ := res.MarshalJSON()
				var got refLine
				if err := json.Unmarshal(raw, &got); err != nil {
					t.Fatal(err)
				}
				got.StateHash = hex.EncodeToString(h[:])
				want := ref[n]
				normalise(&got)
				normalise(&want)
				action := actionOf(m)
				if (got.Error != nil) != (want.Error != nil) {
					t.Fatalf("message %d (%s): vm error %v, reference error %v", n+1, action, got.Error, want.Error)
				}
				if got.Error != nil {
					// A trap is described in each engine's words; the
					// module's own errors must be the same.
					if action != "Trap" && !reflect.DeepEqual(got.Error, want.Error) {
						t.Errorf("message %d (%s): Error %v, reference %v", n+1, action, got.Error, want.Error)
					}
				} else {
					for _, f := range []struct {
						name      string
						got, want any
					}{{"Output", got.Output, want.Output}, {"Messages", got.Messages, want.Messages},
						{"Spawns", got.Spawns, want.Spawns}, {"Assignments", got.Assignments, want.Assignments}} {
						if !reflect.DeepEqual(f.got, f.want) {
							t.Errorf("message %d (%s): %s = %v, reference %v", n+1, action, f.name, f.got, f.want)
						}
					}
					if want.GasUsed != nil && (got.GasUsed == nil || *got.GasUsed != *want.GasUsed) {
						t.Errorf("message %d (%s): GasUsed %v, reference %d", n+1, action, deref(got.GasUsed), *want.GasUsed)
					}
				}
				if sameMemory && got.StateHash != want.StateHash {
					t.Errorf("message %d (%s): memory differs from the reference's", n+1, action)
				}
			}
		})
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func actionOf(m []byte) string {
	var v struct{ Tags []jsonTag }
	_ = json.Unmarshal(m, &v)
	for _, t := range v.Tags {
		if t.Name == "Action" {
			return t.Value
		}
	}
	return ""
}

// runReference evaluates msgs with test/js/aoloader.js.
func runReference(t *testing.T, js string, tm testModule, envFile string, msgs [][]byte) []refLine {
	t.Helper()
	mod, err := filepath.Abs(filepath.Join(buildDir, tm.File))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{filepath.Join(js, "aoloader.js"), "--module", mod, "--format", string(tm.Format), "--env", envFile}
	if tm.Format == vm.FormatWasm64 || tm.Format == vm.FormatWasm64Metering {
		args = append([]string{"--experimental-wasm-memory64"}, args...)
	}
	cmd := exec.Command("node", args...)
	cmd.Dir = js
	cmd.Stdin = bytes.NewReader(append(bytes.Join(msgs, []byte("\n")), '\n'))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aoloader.js: %v\n%s", err, stderr.Bytes())
	}
	var lines []refLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var l refLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("aoloader.js line %q: %v", sc.Bytes(), err)
		}
		lines = append(lines, l)
	}
	if len(lines) != len(msgs) {
		t.Fatalf("aoloader.js answered %d lines for %d messages\n%s", len(lines), len(msgs), stderr.Bytes())
	}
	return lines
}
