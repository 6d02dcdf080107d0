// Command goreactor is a Go (GOOS=wasip1, -buildmode=c-shared) guest for
// BenchmarkBudgetGoGuest: a reactor, as aogo's native process modules are,
// whose exported handle does a trivial message's worth of work in the way
// a Go process does it: decode a JSON message, update a map, hand a value
// to a goroutine and back, format and encode a JSON result.
package main

import (
	"encoding/json"
	"fmt"
)

type message struct {
	ID   string            `json:"Id"`
	Tags map[string]string `json:"Tags"`
	Data string            `json:"Data"`
}

type result struct {
	Output string `json:"Output"`
	Count  int64  `json:"Count"`
}

var (
	input  = []byte(`{"Id":"Mm9wZW4tc291cmNlLWFvLXByb2Nlc3MtbWVzc2FnZS1pZA","Tags":{"Action":"Inc","Data-Protocol":"ao","Variant":"ao.TN.1","Type":"Message"},"Data":"hello"}`)
	counts = map[string]int64{}
	req    = make(chan int64)
	resp   = make(chan int64)
)

func init() {
	go func() { // a goroutine blocked between calls, as a process keeps
		for n := range req {
			resp <- n + 1
		}
	}()
}

// handle handles one message and returns the length of its JSON result.
//
//go:wasmexport handle
func handle() int32 {
	var m message
	if err := json.Unmarshal(input, &m); err != nil {
		return -1
	}
	req <- counts[m.Tags["Action"]]
	counts[m.Tags["Action"]] = <-resp
	out, err := json.Marshal(result{Output: fmt.Sprintf("%s %s: %d", m.ID[:8], m.Data, counts["Inc"]), Count: counts["Inc"]})
	if err != nil {
		return -1
	}
	return int32(len(out))
}

func main() {}
