// Command counter is a small AO process written in Go with the vm/guest
// SDK, the module `make run` spawns. It greets whoever sends it Hello (and
// replies to them), counts its cron ticks, and reports both on Stats.
//
// Build it as a module of the wasm32-wasip1-aogo format:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -o counter.wasm ./examples/counter
//
// Spawn it with a Cron-Interval (for example 5-seconds) and
// Cron-Tag-Action=Tick to see it act on its own.
package main

import (
	"encoding/json"
	"fmt"

	"github.com/aogo-dev/aogo/vm/guest"
)

// main is never called: a reactor module only runs package initialisers.
func main() {}

func init() { guest.Handle(handle) }

// The process state: plain Go variables, kept in the module's memory
// between messages (and in its checkpoints).
var (
	greetings int
	ticks     int
	lastTick  int64
	sent      int // outbox counter, for the Anchor the messenger requires
)

func handle(msg guest.Message, env guest.Env) (guest.Response, error) {
	switch {
	case msg.ID == env.Process.ID:
		return guest.Response{Output: "ready: send me Hello, or wait for my ticks"}, nil
	case msg.Cron:
		ticks++
		lastTick = msg.Timestamp
		return guest.Response{Output: fmt.Sprintf("tick %d at %d", ticks, msg.Timestamp)}, nil
	}
	switch action := msg.Tags.Get("Action"); action {
	case "Hello":
		greetings++
		sent++
		reply := guest.OutMessage{
			Target: msg.From,
			Anchor: fmt.Sprintf("%032d", sent),
			Data:   fmt.Sprintf("Hello, %s!", msg.From),
			Tags:   guest.Tags{{Name: "Action", Value: "Hello-Reply"}},
		}
		return guest.Response{
			Output:   fmt.Sprintf("Hello, %s! You are greeting number %d.", msg.From, greetings),
			Messages: []guest.OutMessage{reply},
		}, nil
	case "Stats":
		b, err := json.Marshal(map[string]any{"greetings": greetings, "ticks": ticks, "last_tick": lastTick})
		if err != nil {
			return guest.Response{}, err
		}
		return guest.Response{Output: string(b)}, nil
	case "Tick":
		return guest.Response{}, fmt.Errorf("Tick is for the cron only")
	default:
		return guest.Response{}, fmt.Errorf("unknown action %q (try Hello or Stats)", action)
	}
}
