// Command goproc is the test process of the wasm32-wasip1-aogo module
// format, written with the vm/guest SDK. It speaks the same message
// protocol as the C test modules, selected by the Action tag:
//
//	(none), Inc  count the message; Output = the count in decimal
//	Echo         Output = Data
//	Error        count, then fail with Error "requested error"
//	Reject       count, then throw: {"ok":false,"response":{"Error":"rejected"}}
//	Panic        count, then dereference nil; the SDK reports the panic as Error
//	Trap         count, then stop the instance; the Kind tag says how:
//	             unreachable (the default): runtime.Breakpoint, a wasm trap
//	             exit: os.Exit(3), a WASI proc_exit(3)
//	             goroutine-panic, deadlock, goexit: Go fatal errors, which
//	             print to stderr and then trap with unreachable
//	Loop         count, then spin forever
//	Alloc        count, then allocate Size bytes (default 64 MiB) again and
//	             again, keeping them all, until memory runs out
//	Time         Output = "wall=<time.Now UTC, RFC 3339> mono=<time since _initialize>"
//	Random       Output = "crypto=<8 bytes of crypto/rand, hex> math=<math/rand/v2 Uint64>"
//	Env          Output = "env=<os.Environ()> args=<os.Args>", both %q
//	Shell        Output = "exec failed: <error>" (or "exec ran: …" if a shell ran)
//	Print        write Data (or "hello from goproc") and a newline to stdout;
//	             Output = "printed"
//	Send         one message (Target = Data), one spawn and one assignment
//	Big          Output = len(Data) in decimal
//	GC           run runtime.GC(); Output = runtime.MemStats.NumGC in decimal
//	(other)      Error "unknown action: <action>"
//
// The count lives twice: in a map on the heap and in a goroutine that is
// blocked on a channel between messages. Each count checks that they agree,
// so a snapshot that loses Go runtime state (goroutine stacks, the
// scheduler, the globals holding the stack pointer) shows up as an error or
// a trap on the next Inc.
//
// Build it with build.sh OUTDIR.
package main

import (
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"time"

	"github.com/aogo-dev/aogo/vm/guest"
)

// state is the process state kept on the Go heap.
type state struct {
	counts map[string]int64
}

var (
	st = &state{counts: map[string]int64{}}

	// tick asks the counter goroutine to count; it answers on ticks.
	tick  = make(chan struct{})
	ticks = make(chan int64)

	// start is when _initialize ran, for the monotonic reading of Time.
	start time.Time

	// hoard keeps every Alloc buffer reachable, so the collector cannot
	// reuse them and memory must grow.
	hoard [][]byte
)

// main is never called: a reactor module only runs package initialisers.
func main() {}

func init() {
	start = time.Now()
	go counter()
	guest.Handle(handle)
}

// counter is the goroutine half of the count.
func counter() {
	var n int64
	for range tick {
		n++
		ticks <- n
	}
}

var errCountMismatch = errors.New("goproc: heap and goroutine counts differ")

// count counts one message and returns the new count.
func count() (int64, error) {
	st.counts["count"]++
	tick <- struct{}{}
	if n := <-ticks; n != st.counts["count"] {
		return 0, fmt.Errorf("%w: heap %d, goroutine %d", errCountMismatch, st.counts["count"], n)
	}
	return st.counts["count"], nil
}

func handle(msg guest.Message, env guest.Env) (guest.Response, error) {
	switch action := msg.Tags.Get("Action"); action {
	case "", "Inc":
		n, err := count()
		if err != nil {
			return guest.Response{}, err
		}
		return guest.Response{Output: strconv.FormatInt(n, 10)}, nil
	case "Echo":
		return guest.Response{Output: msg.Data}, nil
	case "Error":
		if _, err := count(); err != nil {
			return guest.Response{}, err
		}
		return guest.Response{}, errors.New("requested error")
	case "Reject":
		if _, err := count(); err != nil {
			return guest.Response{}, err
		}
		return guest.Response{}, guest.Throw(struct{ Error string }{"rejected"})
	case "Panic":
		if _, err := count(); err != nil {
			return guest.Response{}, err
		}
		var nilState *state
		nilState.counts["count"]++ // a nil dereference: a Go panic, not a trap
		return guest.Response{}, nil
	case "Trap":
		if _, err := count(); err != nil {
			return guest.Response{}, err
		}
		trap(msg.Tags.Get("Kind"))
		return guest.Response{}, fmt.Errorf("goproc: trap kind %q did not stop the instance", msg.Tags.Get("Kind"))
	case "Loop":
		if _, err := count(); err != nil {
			return guest.Response{}, err
		}
		for {
		}
	case "Alloc":
		if _, err := count(); err != nil {
			return guest.Response{}, err
		}
		size := 64 << 20
		if s := msg.Tags.Get("Size"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n <= 0 {
				return guest.Response{}, fmt.Errorf("goproc: bad Size %q", s)
			}
			size = n
		}
		for {
			hoard = append(hoard, make([]byte, size))
		}
	case "Time":
		return guest.Response{Output: fmt.Sprintf("wall=%s mono=%s",
			time.Now().UTC().Format(time.RFC3339Nano), time.Since(start))}, nil
	case "Random":
		var b [8]byte
		if _, err := crand.Read(b[:]); err != nil {
			return guest.Response{}, err
		}
		return guest.Response{Output: fmt.Sprintf("crypto=%s math=%d", hex.EncodeToString(b[:]), mrand.Uint64())}, nil
	case "Env":
		return guest.Response{Output: fmt.Sprintf("env=%q args=%q", os.Environ(), os.Args)}, nil
	case "Shell":
		out, err := exec.Command("sh", "-c", "echo hi").Output()
		if err != nil {
			return guest.Response{Output: "exec failed: " + err.Error()}, nil
		}
		return guest.Response{Output: "exec ran: " + string(out)}, nil
	case "Print":
		text := msg.Data
		if text == "" {
			text = "hello from goproc"
		}
		fmt.Println(text)
		return guest.Response{Output: "printed"}, nil
	case "Send":
		return guest.Response{
			Messages:    []guest.OutMessage{{Target: msg.Data, Data: "ping", Tags: guest.Tags{{Name: "Action", Value: "Ping"}}}},
			Spawns:      []guest.Spawn{{Data: "child"}},
			Assignments: []guest.Assignment{{Processes: []string{"p1"}, Message: "m1"}},
		}, nil
	case "Big":
		return guest.Response{Output: strconv.Itoa(len(msg.Data))}, nil
	case "GC":
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return guest.Response{Output: strconv.FormatUint(uint64(ms.NumGC), 10)}, nil
	default:
		return guest.Response{}, fmt.Errorf("unknown action: %s", action)
	}
}

// trap stops the instance in the way kind names; see docs/native-modules.md
// for what the host sees for each.
func trap(kind string) {
	switch kind {
	case "", "unreachable":
		runtime.Breakpoint() // compiles to the wasm instruction unreachable
	case "exit":
		os.Exit(3)
	case "goroutine-panic":
		go func() { panic(errors.New("goproc: unrecovered panic in a goroutine")) }()
		runtime.Gosched()
	case "deadlock":
		select {}
	case "goexit":
		runtime.Goexit() // ends handle's goroutine: the runtime reports a deadlock
	}
}
