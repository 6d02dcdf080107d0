package vm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/vm"
)

// thousandMessage is message n of the acceptance sequence: mostly Inc, with
// Echo, Send and Big messages mixed in.
func thousandMessage(n int) (m []byte, action, data string) {
	switch {
	case n%10 == 0:
		action, data = "Echo", fmt.Sprintf("echo %d ünïcødé \"quoted\" 😀", n)
	case n%10 == 5:
		action, data = "Send", fmt.Sprintf("target-%d", n)
	case n%25 == 7:
		action, data = "Big", strings.Repeat("x", 10000+n)
	default:
		action = "Inc"
	}
	return msg(n, action, data), action, data
}

// TestThousandMessagesSnapshotRestore is the acceptance run for every
// format: a first message, then 1,000 messages each checked; a snapshot
// after message 500 (through its encoded bytes) restored into a fresh
// instance, which replays 501-1,000 with outputs and final state hash
// identical to the uninterrupted instance.
func TestThousandMessagesSnapshotRestore(t *testing.T) {
	rt := newRuntime(t, vm.Config{})
	for _, tm := range testModules(t) {
		t.Run(tm.name(), func(t *testing.T) {
			inst := tm.start(t, rt, vm.Limits{})
			counter := 0
			check := func(n int, res *vm.Result, action, data string) {
				t.Helper()
				if res.Failed() {
					t.Fatalf("message %d (%s) failed: %s", n, action, res.ErrorMessage())
				}
				switch action {
				case "Inc":
					if got := outputString(res); got != strconv.Itoa(counter) {
						t.Fatalf("message %d: Inc output %q, want %d", n, got, counter)
					}
				case "Echo":
					if got := outputString(res); got != data {
						t.Fatalf("message %d: Echo output %q, want %q", n, got, data)
					}
				case "Big":
					if got := outputString(res); got != strconv.Itoa(len(data)) {
						t.Fatalf("message %d: Big output %q, want %d", n, got, len(data))
					}
				case "Send":
					var out []struct{ Target string }
					if err := json.Unmarshal(res.Messages, &out); err != nil || len(out) != 1 || out[0].Target != data {
						t.Fatalf("message %d: Send messages %s", n, res.Messages)
					}
				}
				if tm.Metered != (res.GasUsed != nil && *res.GasUsed > 0) && tm.Format != vm.FormatNative {
					t.Fatalf("message %d: GasUsed %v for a module metered=%v", n, res.GasUsed, tm.Metered)
				}
			}
			run := func(inst *vm.Instance, n int) (*vm.Result, string, string) {
				m, action, data := thousandMessage(n)
				return handle(t, inst, m), action, data
			}
			counter = 1
			check(0, handle(t, inst, msg(0, "Inc", "")), "Inc", "")
			var restored *vm.Instance
			for n := 1; n <= 1000; n++ {
				res, action, data := run(inst, n)
				if action == "Inc" {
					counter++
				}
				check(n, res, action, data)
				if restored != nil {
					again, _, _ := run(restored, n)
					a, _ := res.MarshalJSON()
					b, _ := again.MarshalJSON()
					if !bytes.Equal(a, b) {
						t.Fatalf("message %d: restored instance answered %s, original %s", n, b, a)
					}
				}
				if n == 500 {
					s, err := inst.Snapshot()
					if err != nil {
						t.Fatal(err)
					}
					raw, err := s.MarshalBinary()
					if err != nil {
						t.Fatal(err)
					}
					back, err := vm.UnmarshalState(raw)
					if err != nil {
						t.Fatal(err)
					}
					if back.Hash() != stateHash(t, inst) {
						t.Fatal("the decoded snapshot's hash is not the instance's")
					}
					mod := tm.load(t, rt)
					restored, err = mod.Instantiate(context.Background(), vm.InstanceConfig{}, back)
					if err != nil {
						t.Fatal(err)
					}
					defer restored.Close(context.Background())
					if stateHash(t, restored) != stateHash(t, inst) {
						t.Fatal("a restored instance's state differs from the snapshot")
					}
				}
			}
			if stateHash(t, restored) != stateHash(t, inst) {
				t.Fatal("after 1,000 messages the restored instance's state differs from the uninterrupted one")
			}
		})
	}
}

// TestRollback: a message that errors, traps, loops forever or allocates
// past the memory limit leaves the state hash unchanged with a clear error,
// and the next message runs on the state from before it.
func TestRollback(t *testing.T) {
	rt := newRuntime(t, vm.Config{})
	cases := []struct {
		action string
		tags   []string
		limits vm.Limits
		want   func(tm testModule) string // in the error message
	}{
		{"Error", nil, vm.Limits{}, func(testModule) string { return "requested error" }},
		{"Trap", nil, vm.Limits{}, func(testModule) string { return "unreachable" }},
		{"Loop", nil, vm.Limits{Compute: 2_000_000_000, Instructions: 100_000_000}, func(tm testModule) string {
			if tm.Metered {
				return "out of gas!"
			}
			return "instruction budget of 100000000 exceeded"
		}},
		{"Alloc", []string{"Size", "16777216"}, vm.Limits{Memory: 64 << 20, Instructions: 5_000_000_000},
			func(testModule) string { return "memory" }},
	}
	for _, tm := range testModules(t) {
		for _, c := range cases {
			t.Run(tm.name()+"/"+c.action, func(t *testing.T) {
				inst := tm.start(t, rt, c.limits)
				if got := outputString(handle(t, inst, msg(1, "Inc", ""))); got != "1" {
					t.Fatalf("first Inc: %q", got)
				}
				before := stateHash(t, inst)
				res := handle(t, inst, msg(2, c.action, "", c.tags...))
				if !res.Failed() {
					t.Fatalf("%s did not fail: %s", c.action, res.Output)
				}
				if want := c.want(tm); !strings.Contains(strings.ToLower(res.ErrorMessage()), strings.ToLower(want)) {
					t.Errorf("error %q does not say %q", res.ErrorMessage(), want)
				}
				if stateHash(t, inst) != before {
					t.Fatal("the failed message changed the state")
				}
				if got := outputString(handle(t, inst, msg(3, "Inc", ""))); got != "2" {
					t.Fatalf("Inc after the failure: %q, want 2", got)
				}
			})
		}
	}
}

// TestContextInterrupts: a context that ends stops a running message (the
// safety valve): Handle returns ErrInterrupted, nothing is committed, and the
// process goes on from its state before the message.
func TestContextInterrupts(t *testing.T) {
	// wazero's compiled code cannot be preempted, so a garbage collection
	// that stops the world waits for the running module, and so does the
	// goroutine that would interrupt it: the budget (infinite here) would
	// be what ends the wait. Keep the collector out of this test.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	rt := newRuntime(t, vm.Config{})
	for _, tm := range testModules(t) {
		if tm.Variant == "minimal" && tm.Format != vm.FormatEmscripten2 {
			continue
		}
		t.Run(tm.name(), func(t *testing.T) {
			inst := tm.start(t, rt, vm.Limits{Instructions: 1 << 62, Compute: 1 << 62})
			handle(t, inst, msg(1, "Inc", ""))
			before := stateHash(t, inst)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			_, err := inst.Handle(ctx, msg(2, "Loop", ""), testEnv)
			if !errors.Is(err, vm.ErrInterrupted) {
				t.Fatalf("err = %v, want ErrInterrupted", err)
			}
			if stateHash(t, inst) != before {
				t.Fatal("an interrupted message changed the state")
			}
			if got := outputString(handle(t, inst, msg(3, "Inc", ""))); got != "2" {
				t.Fatalf("Inc after the interruption: %q", got)
			}
		})
	}
}

// TestNestedInvokes: protected calls nested three deep (as Lua nests
// pcalls) each longjmp back to their own level. The host's invoke_* runs
// re-entrantly, and a wazero function must not be re-entered: this crashed
// the process before invokes took one function per nesting depth.
func TestNestedInvokes(t *testing.T) {
	rt := newRuntime(t, vm.Config{})
	ran := 0
	for _, tm := range testModules(t) {
		if tm.Variant != "rich" {
			continue
		}
		ran++
		inst := tm.start(t, rt, vm.Limits{})
		for n := 1; n <= 3; n++ {
			if got := outputString(handle(t, inst, msg(n, "Nest", ""))); got != "nested:0:10" {
				t.Fatalf("%s: Nest answered %q", tm.name(), got)
			}
		}
	}
	if ran == 0 {
		t.Fatal("no rich C module")
	}
}
