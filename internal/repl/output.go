package repl

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/aogo-dev/aogo/client"
)

// output is what a result shows in the REPL.
type output struct {
	// data is the text to print: Output.data of the Lua module's
	// {"data", "prompt", "print"} object, or the whole Output when it is a
	// plain string (other modules).
	data string
	// prompt is the process's prompt (Output.prompt), "" if it has none.
	prompt string
	// print is false when the process asked not to show the output
	// (Output.print false).
	print bool
	// err is the result's Error as text, "" when the message did not fail.
	err string
}

// parseOutput reads a result's Output and Error.
func parseOutput(r *client.Result) output {
	out := output{print: true}
	raw := bytes.TrimSpace(r.Output)
	switch {
	case len(raw) == 0 || string(raw) == "null":
	case raw[0] == '{':
		var o struct {
			Data   json.RawMessage `json:"data"`
			Prompt string          `json:"prompt"`
			Print  *bool           `json:"print"`
		}
		if json.Unmarshal(raw, &o) != nil {
			out.data = string(raw)
			break
		}
		out.data, out.prompt = text(o.Data), o.Prompt
		if o.Print != nil {
			out.print = *o.Print
		}
	default:
		out.data = text(raw)
	}
	if r.Failed() {
		out.err = text(r.Error)
	}
	return out
}

// text is a JSON value as text: a string itself, null nothing, anything
// else its JSON.
func text(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// lines returns s ending with exactly one newline ("" stays "").
func lines(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return s + "\n"
}
