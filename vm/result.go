package vm

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Result is what one message produced, as the reference loader returns it
// (minus Memory). The module's JSON is kept byte for byte; fields the module
// left out are nil.
type Result struct {
	Output      json.RawMessage
	Messages    json.RawMessage
	Spawns      json.RawMessage
	Assignments json.RawMessage
	// Error is the module's Error (or the thrown response of ok:false), or
	// the vm's description of a trap, gas, budget or memory failure, as a
	// JSON value; nil when the message succeeded.
	Error json.RawMessage
	// GasUsed is the gas metering.usegas counted, reported for every
	// emscripten format as the reference does (0 when unmetered); nil for
	// the native format.
	GasUsed *uint64
	// Stdout is what the module wrote to stdout and stderr. It is not part
	// of the AO result.
	Stdout []byte
}

// Failed reports whether the message failed: an Error that is present and
// not null, false or "".
func (r *Result) Failed() bool {
	e := bytes.TrimSpace(r.Error)
	switch string(e) {
	case "", "null", "false", `""`:
		return false
	}
	return true
}

// ErrorMessage is Error as text: the string itself when it is a JSON string,
// else the JSON.
func (r *Result) ErrorMessage() string {
	var s string
	if json.Unmarshal(r.Error, &s) == nil {
		return s
	}
	return string(r.Error)
}

// parse reads the module's {"ok":bool,"response":{...}}.
func (r *Result) parse(out []byte) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(out, &top); err != nil {
		return fmt.Errorf("the module returned invalid JSON: %v", err)
	}
	var ok bool
	if err := json.Unmarshal(top["ok"], &ok); err != nil {
		return fmt.Errorf(`the module's result has no boolean "ok"`)
	}
	resp := top["response"]
	if !ok {
		// The loader throws the response: it is the error.
		if len(resp) == 0 || string(resp) == "null" {
			resp = jsonString("the module failed (ok: false) without a response")
		}
		r.Error = resp
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(resp, &fields); err != nil {
		return fmt.Errorf(`the module's "response" is not an object`)
	}
	r.Output = fields["Output"]
	r.Messages = fields["Messages"]
	r.Spawns = fields["Spawns"]
	r.Assignments = fields["Assignments"]
	r.Error = fields["Error"]
	return nil
}

// MarshalJSON writes the result as the reference does, without Memory and
// Stdout: Output, Messages, Spawns, Assignments, then Error and GasUsed when
// present.
func (r *Result) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	field := func(name string, v json.RawMessage) {
		if v == nil {
			return
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(`"` + name + `":`)
		b.Write(v)
	}
	field("Output", r.Output)
	field("Messages", r.Messages)
	field("Spawns", r.Spawns)
	field("Assignments", r.Assignments)
	field("Error", r.Error)
	if r.GasUsed != nil {
		field("GasUsed", json.RawMessage(fmt.Sprint(*r.GasUsed)))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
