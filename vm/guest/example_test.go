package guest_test

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/aogo-dev/aogo/vm/guest"
)

// This file is a whole module, except for its empty main function: a
// counter that also pings the process named in Data. vm/testdata/goproc is
// a larger one.

// count is the process state. It lives in Go memory, which the host
// snapshots together with the rest of the instance.
var count int

func init() {
	guest.Handle(handle)
}

func handle(msg guest.Message, env guest.Env) (guest.Response, error) {
	switch msg.Tags.Get("Action") {
	case "Inc":
		count++
		return guest.Response{Output: strconv.Itoa(count)}, nil
	case "Ping":
		return guest.Response{
			Output: "pinging " + msg.Data + " from " + env.Process.ID,
			Messages: []guest.OutMessage{{
				Target: msg.Data,
				Anchor: fmt.Sprintf("%032d", count),
				Tags:   guest.Tags{{Name: "Action", Value: "Pong"}},
			}},
		}, nil
	default:
		return guest.Response{}, errors.New("unknown action")
	}
}

// Invoke drives the handler the way the host's calls to the handle export
// do, so a module can be tested with go test.
func Example() {
	env := []byte(`{"Process":{"Id":"proc-1","Owner":"me","Tags":[]},"Module":{"Id":"mod-1","Owner":"me","Tags":[]}}`)
	for _, msg := range []string{
		`{"Id":"m1","Tags":[{"name":"Action","value":"Inc"}]}`,
		`{"Id":"m2","Tags":[{"name":"Action","value":"Inc"}]}`,
		`{"Id":"m3","Tags":[{"name":"Action","value":"Ping"}],"Data":"proc-2"}`,
		`{"Id":"m4","Tags":[{"name":"Action","value":"Jump"}]}`,
	} {
		fmt.Println(string(guest.Invoke([]byte(msg), env)))
	}
	// Output:
	// {"ok":true,"response":{"Output":"1","Messages":[],"Spawns":[],"Assignments":[]}}
	// {"ok":true,"response":{"Output":"2","Messages":[],"Spawns":[],"Assignments":[]}}
	// {"ok":true,"response":{"Output":"pinging proc-2 from proc-1","Messages":[{"Target":"proc-2","Anchor":"00000000000000000000000000000002","Data":"","Tags":[{"name":"Action","value":"Pong"}]}],"Spawns":[],"Assignments":[]}}
	// {"ok":true,"response":{"Messages":[],"Spawns":[],"Assignments":[],"Error":"unknown action"}}
}
