// Command counter is a small AO process written in Go with the vm/guest
// SDK, the module `make run` spawns. It greets whoever sends it Hello (and
// replies to them), counts its cron ticks, sends notes to other processes,
// spawns children, and reports all of it on Stats.
//
// Build it as a module of the wasm32-wasip1-aogo format:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -o counter.wasm ./examples/counter
//
// Actions (the Action tag of a message):
//
//	Hello        reply Hello-Reply to the sender
//	Hello-Reply  count the reply
//	Send         send Count (default 1, at most 10000) messages Action=Note
//	             to the process named by the To tag
//	Note         count the note
//	Spawn        spawn a child process of the same module (tag Reference
//	             is kept, so the Spawned notice can be matched)
//	Spawned      the messenger's notice: remember the child's id
//	Stats        answer a JSON object with every counter
//
// Spawn it with a Cron-Interval (for example 5-seconds) and
// Cron-Tag-Action=Tick to see it act on its own; with a Notify tag naming a
// process, every tick also sends that process a Tick-Notice.
package main

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/aogo-dev/aogo/vm/guest"
)

// main is never called: a reactor module only runs package initialisers.
func main() {}

func init() { guest.Handle(handle) }

// The process state: plain Go variables, kept in the module's memory
// between messages (and in its checkpoints).
var (
	greetings int
	replies   int
	notes     int
	notices   int
	ticks     int
	lastTick  int64
	children  []string
	sent      int // outbox counter, for the Anchor the messenger requires
)

// anchor numbers the process's outbox entries as aos does: a 32-digit
// zero-padded counter.
func anchor() string {
	sent++
	return fmt.Sprintf("%032d", sent)
}

func handle(msg guest.Message, env guest.Env) (guest.Response, error) {
	switch {
	case msg.ID == env.Process.ID:
		return guest.Response{Output: "ready: send me Hello, or wait for my ticks"}, nil
	case msg.Cron:
		return tick(msg, env), nil
	}
	switch action := msg.Tags.Get("Action"); action {
	case "Hello":
		greetings++
		reply := guest.OutMessage{
			Target: msg.From,
			Anchor: anchor(),
			Data:   fmt.Sprintf("Hello, %s!", msg.From),
			Tags:   guest.Tags{{Name: "Action", Value: "Hello-Reply"}},
		}
		return guest.Response{
			Output:   fmt.Sprintf("Hello, %s! You are greeting number %d.", msg.From, greetings),
			Messages: []guest.OutMessage{reply},
		}, nil
	case "Hello-Reply":
		replies++
		return guest.Response{Output: fmt.Sprintf("reply %d from %s", replies, msg.From)}, nil
	case "Send":
		return send(msg)
	case "Note":
		notes++
		return guest.Response{Output: fmt.Sprintf("note %d from %s", notes, msg.From)}, nil
	case "Tick-Notice":
		notices++
		return guest.Response{Output: fmt.Sprintf("tick notice %d from %s", notices, msg.From)}, nil
	case "Spawn":
		ref := msg.Tags.Get("Reference")
		if ref == "" {
			ref = strconv.Itoa(sent + 1)
		}
		child := guest.Spawn{
			Anchor: anchor(),
			Data:   "a child of " + env.Process.ID,
			Tags: guest.Tags{
				{Name: "Module", Value: env.Module.ID},
				{Name: "Name", Value: "child"},
				{Name: "Reference", Value: ref},
			},
		}
		return guest.Response{Output: "spawning a child (Reference " + ref + ")", Spawns: []guest.Spawn{child}}, nil
	case "Spawned":
		pid := msg.Tags.Get("Process")
		children = append(children, pid)
		return guest.Response{Output: "child " + pid + " spawned (Reference " + msg.Tags.Get("Reference") + ")"}, nil
	case "Stats":
		b, err := json.Marshal(map[string]any{
			"greetings": greetings, "replies": replies, "notes": notes, "notices": notices,
			"ticks": ticks, "last_tick": lastTick, "children": append([]string{}, children...),
		})
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

// tick counts a cron tick and, if the process has a Notify tag, tells that
// process.
func tick(msg guest.Message, env guest.Env) guest.Response {
	ticks++
	lastTick = msg.Timestamp
	res := guest.Response{Output: fmt.Sprintf("tick %d at %d", ticks, msg.Timestamp)}
	if to := env.Process.Tags.Get("Notify"); to != "" {
		res.Messages = append(res.Messages, guest.OutMessage{
			Target: to,
			Anchor: anchor(),
			Data:   fmt.Sprintf("tick %d", ticks),
			Tags:   guest.Tags{{Name: "Action", Value: "Tick-Notice"}, {Name: "Tick", Value: strconv.Itoa(ticks)}},
		})
	}
	return res
}

// send answers Send: Count notes to the process named by To.
func send(msg guest.Message) (guest.Response, error) {
	to := msg.Tags.Get("To")
	if to == "" {
		return guest.Response{}, fmt.Errorf("Send needs a To tag naming the target process")
	}
	count := 1
	if c := msg.Tags.Get("Count"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 || n > 10000 {
			return guest.Response{}, fmt.Errorf("Count must be a number from 1 to 10000, not %q", c)
		}
		count = n
	}
	res := guest.Response{Output: fmt.Sprintf("sending %d note(s) to %s", count, to)}
	for i := 1; i <= count; i++ {
		res.Messages = append(res.Messages, guest.OutMessage{
			Target: to,
			Anchor: anchor(),
			Data:   fmt.Sprintf("note %d of %d", i, count),
			Tags:   guest.Tags{{Name: "Action", Value: "Note"}, {Name: "Index", Value: strconv.Itoa(i)}},
		})
	}
	return res, nil
}
