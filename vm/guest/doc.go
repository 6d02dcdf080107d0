// Package guest is the SDK for AO process modules written in Go: modules of
// the format wasm32-wasip1-aogo, which an aogo compute unit runs in wazero.
// The format itself (exports, memory ownership, result JSON, determinism and
// limits) is specified in docs/native-modules.md; this package implements
// the module side of it, so that a module is a handler function and nothing
// else.
//
// # Usage
//
// A module is a main package that registers its handler from an init
// function. main stays empty: the module is a WASI reactor, whose host calls
// _initialize (which runs the package initialisers) and never main.
//
//	package main
//
//	import (
//		"errors"
//		"strconv"
//
//		"github.com/aogo-dev/aogo/vm/guest"
//	)
//
//	func main() {}
//
//	var count int // process state is ordinary Go memory
//
//	func init() {
//		guest.Handle(func(msg guest.Message, env guest.Env) (guest.Response, error) {
//			if msg.Tags.Get("Action") != "Inc" {
//				return guest.Response{}, errors.New("unknown action")
//			}
//			count++
//			return guest.Response{Output: strconv.Itoa(count)}, nil
//		})
//	}
//
// Build it as a reactor:
//
//	GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 go build -buildmode=c-shared \
//		-trimpath -buildvcs=false -ldflags='-s -w -buildid=' -o process.wasm .
//
// Importing this package is what gives the module its exports, ao_alloc,
// ao_free and handle (they are defined in a file built only for wasip1;
// on other platforms the package is the portable core below, for tests).
//
// # Messages and results
//
// The handler gets the decoded message and env (Message, Env; their Raw
// fields keep the JSON bytes exactly as the host passed them) and returns a
// Response: an Output, messages to send, processes to spawn, assignments,
// and an Error. HandleRaw registers a handler that works on the JSON bytes
// directly instead; DecodeMessage, DecodeEnv and EncodeResponse are the
// codec the SDK uses, for such handlers.
//
// The decoders and the encoder are written by hand, not with encoding/json,
// because encoding/json is slow in wasm: about 100 µs to decode a small
// message in wazero against 26 µs by hand. They fall back to encoding/json
// for anything unusual and are fuzzed against it (FuzzDecodeMessage,
// FuzzDecodeEnv, FuzzEncodeResponse), so the results are the same.
//
// # Errors, panics and traps
//
// A handler fails a message by returning an error (the result then carries
// only Error), by returning Throw(value) (an {"ok":false} result, as a
// thrown exception gives) or by setting Response.Error (the rest of the
// Response is kept).
// A panic in the handler is recovered: the result's Error is
// "panic: <value>" and the stack goes to stderr. Either way the instance
// stays usable, and the compute unit keeps the process state from before
// the message, as AO compute units do for any result with an Error.
//
// Everything else stops the instance for good: os.Exit (a WASI proc_exit),
// a Go fatal error (an unrecovered panic in another goroutine, a deadlock,
// running out of memory), runtime.Breakpoint (a wasm unreachable) and the
// host's limits. The host treats all of them as a trap: the message fails
// and the process goes back to its last good state.
//
// # Goroutines
//
// Goroutines work, but run only while the host is inside handle: when the
// handler blocks, or when handle yields before returning (it always calls
// runtime.Gosched). Goroutines blocked between messages (on a channel, say)
// are part of the process state and survive snapshots. Timers and
// time.Sleep follow the host's clock, which moves only when the module reads
// it or sleeps: they are deterministic and have nothing to do with real
// time. If every goroutine blocks during a message, the Go runtime stops
// with "all goroutines are asleep", a trap.
//
// # What the module sees
//
// The host answers every WASI call deterministically (docs/native-modules.md
// lists the exact values): time.Now is a host counter, not the wall clock;
// crypto/rand reads a stream derived from the message; os.Args is
// ["./this.program"]; the environment is empty; there is no file system
// and no os/exec; stdout and stderr are captured by the host.
//
// # Testing
//
// Invoke runs the registered handler on JSON bytes exactly as the handle
// export does, so a module's behaviour can be tested with go test on the
// host; see the example.
package guest
