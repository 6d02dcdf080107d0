// Package vm runs AO process modules in wazero, deterministically.
//
// A [Runtime] owns one wazero runtime in compiler mode with an on-disk
// compilation cache. [Runtime.Load] compiles a module once per module id
// (rewriting it first where its format needs it: metering, memory64
// lowering, exported globals) and every process shares the result. An
// [Instance] is one process: [Instance.Handle] evaluates one message with the
// AO handle(msgJSON, envJSON) contract and keeps the process memory;
// [Instance.Snapshot] and [Module.Instantiate] with a [State] move a process
// between instances, files and machines.
//
// Everything a module can observe is a function of the messages it was given:
// there is no wall clock, no host randomness, no host environment and no
// shell. Where the reference loader (@permaweb/ao-loader 0.0.49) is
// deterministic, the answers are its answers, so that the outputs, the gas
// and, for formats 1 and 2, the linear memory bytes are the same; where it is
// not, the choice is fixed and written down in docs/vm.md.
//
// A message that fails (the module reports an Error, traps, runs out of gas,
// exceeds its instruction budget or its memory limit) leaves the process
// state exactly as it was before the message.
package vm
