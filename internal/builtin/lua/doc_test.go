package main

import (
	"strings"
	"testing"
)

// TestDocExamples runs the examples of docs/process-authoring.md on one
// process, in order: a ```lua block is the owner's Eval (```lua norun
// blocks are skipped), a ```message block is a message ("Name: value" tag
// lines; Data and From are the message's fields, and a From other than the
// owner's is pushed by the messenger on that process's behalf). A ```text
// block right after one is the expected Output.data (```text error: the
// expected Error); without one, the block must not fail.
func TestDocExamples(t *testing.T) {
	doc := repoFile(t, "docs/process-authoring.md")
	type block struct {
		info, body string
		line       int
	}
	var blocks []block
	lines := strings.Split(doc, "\n")
	for i := 0; i < len(lines); i++ {
		info, ok := strings.CutPrefix(lines[i], "```")
		if !ok {
			continue
		}
		start := i
		var body []string
		for i++; i < len(lines) && lines[i] != "```"; i++ {
			body = append(body, lines[i])
		}
		blocks = append(blocks, block{strings.TrimSpace(info), strings.Join(body, "\n"), start + 1})
	}
	p := spawn(t, "")
	ran := 0
	for i, b := range blocks {
		var r result
		switch b.info {
		case "lua":
			r = p.eval(b.body)
		case "message":
			m := message{}
			for _, l := range strings.Split(b.body, "\n") {
				name, value, ok := strings.Cut(l, ": ")
				if !ok {
					t.Fatalf("line %d: %q is not a tag", b.line, l)
				}
				switch name {
				case "Data":
					m.Data = value
				case "From":
					m.From, m.Owner = value, muAddr
				default:
					m.Tags = append(m.Tags, tag{name, value})
				}
			}
			r = p.handle(m)
		default:
			continue
		}
		ran++
		var want *block
		if i+1 < len(blocks) && strings.HasPrefix(blocks[i+1].info, "text") {
			want = &blocks[i+1]
		}
		switch {
		case want == nil && r.Error != "":
			t.Errorf("line %d: %s", b.line, r.Error)
		case want == nil:
		case want.info == "text error":
			if r.Error != want.body {
				t.Errorf("line %d: Error %q, the doc says %q", b.line, r.Error, want.body)
			}
		case r.Error != "":
			t.Errorf("line %d: %s", b.line, r.Error)
		case r.Output.Data != want.body:
			t.Errorf("line %d: Output.data %q, the doc says %q", b.line, r.Output.Data, want.body)
		}
	}
	if ran < 10 {
		t.Fatalf("only %d examples found", ran)
	}
}
