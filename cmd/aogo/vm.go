package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/aogo-dev/aogo/vm"
)

func newVMCommand(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "vm", Short: "Run process modules without a node"}
	cmd.AddCommand(newVMExecCommand(g))
	return cmd
}

func newVMExecCommand(g *globalFlags) *cobra.Command {
	var (
		moduleFile, format, memoryLimit, computeLimit string
		stateIn, stateOut, envFile, cacheDir          string
		instructions                                  uint64
	)
	cmd := &cobra.Command{
		Use:   "exec --module FILE [flags] < messages.jsonl",
		Short: "Evaluate messages on a module, one JSON result line per message",
		Long: `Evaluate AO message objects (protocol.md 7.2, one JSON object per line on
stdin) in order on one instance of a module, and write one result line per
message: Output, Messages, Spawns, Assignments, Error, GasUsed and StateHash
(the hex SHA-256 of the state after the message). Without --state-in the first
message is the process's first (its spawn).

--env is a JSON file holding the env object (protocol.md 7.3): Process and
Module ids, owners and tags. --format defaults to what the binary looks like
(see docs/vm.md). A failing message (Error, trap, out of gas, memory limit)
leaves the state as it was; its line says why.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			bin, err := os.ReadFile(moduleFile)
			if err != nil {
				return err
			}
			f := vm.Format(format)
			if f == "" {
				if f, err = vm.DetectFormat(bin); err != nil {
					return err
				}
			}
			env := []byte(`{"Process":{"Id":"","Owner":"","Tags":[]},"Module":{"Id":"","Owner":"","Tags":[]}}`)
			if envFile != "" {
				if env, err = os.ReadFile(envFile); err != nil {
					return err
				}
				env = bytes.TrimSpace(env)
				if !json.Valid(env) {
					return fmt.Errorf("%s is not JSON", envFile)
				}
			}
			limits := vm.Limits{Instructions: instructions}
			if memoryLimit != "" {
				if limits.Memory, err = vm.ParseBytes(memoryLimit); err != nil {
					return fmt.Errorf("--memory-limit: %w", err)
				}
			}
			if computeLimit != "" {
				if limits.Compute, err = strconv.ParseUint(computeLimit, 10, 64); err != nil {
					return fmt.Errorf("--compute-limit: %w", err)
				}
			}
			ctx := cmd.Context()
			maxMem := uint64(vm.DefaultMaxMemory)
			if limits.Memory > maxMem {
				maxMem = limits.Memory
			}
			rt, err := vm.New(ctx, vm.Config{CacheDir: cacheDir, MaxMemory: maxMem, MaxCompute: ^uint64(0), Logger: log})
			if err != nil {
				return err
			}
			defer rt.Close(ctx)
			sum := sha256Hex(bin)
			mod, err := rt.Load(ctx, vm.ModuleSpec{ID: sum, Format: f, Binary: bin})
			if err != nil {
				return err
			}
			var state *vm.State
			if stateIn != "" {
				raw, err := os.ReadFile(stateIn)
				if err != nil {
					return err
				}
				if state, err = vm.UnmarshalState(raw); err != nil {
					return fmt.Errorf("--state-in: %w", err)
				}
				state.ModuleID = sum
			}
			inst, err := mod.Instantiate(ctx, vm.InstanceConfig{Limits: limits, Stdout: cmd.ErrOrStderr()}, state)
			if err != nil {
				return err
			}
			defer inst.Close(ctx)
			if err := execMessages(cmd, inst, env); err != nil {
				return err
			}
			if stateOut != "" {
				s, err := inst.Snapshot()
				if err != nil {
					return err
				}
				raw, err := s.MarshalBinary()
				if err != nil {
					return err
				}
				return os.WriteFile(stateOut, raw, 0o644)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&moduleFile, "module", "", "the module's wasm binary (required)")
	fl.StringVar(&format, "format", "", "Module-Format (default: detected from the binary)")
	fl.StringVar(&memoryLimit, "memory-limit", "", `Memory-Limit, e.g. "1-gb" (default 1 GiB)`)
	fl.StringVar(&computeLimit, "compute-limit", "", "Compute-Limit in gas (default 9e15, as ao-loader)")
	fl.Uint64Var(&instructions, "instruction-budget", 0, "aogo's per-message safety budget for unmetered modules (default 1e10)")
	fl.StringVar(&stateIn, "state-in", "", "start from this state file (written by --state-out)")
	fl.StringVar(&stateOut, "state-out", "", "write the final state here")
	fl.StringVar(&envFile, "env", "", "JSON file with the env object")
	fl.StringVar(&cacheDir, "cache-dir", "", "compilation cache directory (default: none)")
	_ = cmd.MarkFlagRequired("module")
	return cmd
}

// execLine is one result line of vm exec.
type execLine struct {
	*vm.Result
	StateHash string
}

func (l execLine) MarshalJSON() ([]byte, error) {
	b, err := l.Result.MarshalJSON()
	if err != nil {
		return nil, err
	}
	b = b[:len(b)-1]
	if len(b) > 1 {
		b = append(b, ',')
	}
	return append(b, `"StateHash":"`+l.StateHash+`"}`...), nil
}

func execMessages(cmd *cobra.Command, inst *vm.Instance, env []byte) error {
	in := bufio.NewReaderSize(cmd.InOrStdin(), 1<<20)
	out := bufio.NewWriter(cmd.OutOrStdout())
	defer out.Flush()
	for n := 1; ; n++ {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			msg := bytes.TrimSpace(line)
			if !json.Valid(msg) {
				return fmt.Errorf("message %d: not a JSON object", n)
			}
			res, herr := inst.Handle(cmd.Context(), msg, env)
			if herr != nil {
				return fmt.Errorf("message %d: %w", n, herr)
			}
			h, herr := inst.StateHash()
			if herr != nil {
				return herr
			}
			b, merr := json.Marshal(execLine{Result: res, StateHash: hex.EncodeToString(h[:])})
			if merr != nil {
				return merr
			}
			out.Write(b)
			out.WriteByte('\n')
			if err := out.Flush(); err != nil {
				return err
			}
		} else {
			n--
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
