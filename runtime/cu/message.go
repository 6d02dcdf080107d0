package cu

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/internal/jsonstr"
	"github.com/aogo-dev/aogo/scheduler"
)

// The message and env objects handed to handle() (protocol.md 7.2, 7.3).
// Field order is fixed (struct order), so the same log gives the same bytes
// on every CU: a module may depend on key order.

type tagJSON struct {
	Name  jsStr `json:"name"`
	Value jsStr `json:"value"`
}

// message is the message object. Pointer fields are omitted when nil, as
// the reference loader drops undefined keys; Anchor and Data may be JSON
// null.
type message struct {
	ID          *jsStr          `json:"Id,omitempty"`
	Signature   *jsStr          `json:"Signature,omitempty"`
	Data        json.RawMessage `json:"Data,omitempty"`
	Owner       jsStr           `json:"Owner"`
	Target      jsStr           `json:"Target"`
	Anchor      json.RawMessage `json:"Anchor,omitempty"`
	From        jsStr           `json:"From"`
	ForwardedBy *jsStr          `json:"Forwarded-By,omitempty"`
	Tags        []tagJSON       `json:"Tags"`
	Epoch       *int64          `json:"Epoch,omitempty"`
	Nonce       *int64          `json:"Nonce,omitempty"`
	Timestamp   int64           `json:"Timestamp"`
	BlockHeight int64           `json:"Block-Height"`
	HashChain   *jsStr          `json:"Hash-Chain,omitempty"`
	Cron        bool            `json:"Cron"`
	ReadOnly    bool            `json:"Read-Only"`
}

func ptr[T any](v T) *T { return &v }

// jsonString is s as a JSON value, as JSON.stringify writes it.
func jsonString(s string) json.RawMessage { return jsonstr.Append(nil, s) }

// anchorValue is the anchor as the SU's JSON gives it: UTF-8, or null.
func anchorValue(a []byte) json.RawMessage {
	if len(a) == 0 || !utf8.Valid(a) {
		return json.RawMessage("null")
	}
	return jsonString(string(a))
}

// messageTags drops tags named From or Owner (the reference CU removes
// them before evaluation, so a sender cannot forge either field).
func messageTags(tags arweave.Tags) []tagJSON {
	out := make([]tagJSON, 0, len(tags))
	for _, t := range tags {
		if t.Name == "From" || t.Name == "Owner" {
			continue
		}
		out = append(out, tagJSON{jsStr(t.Name), jsStr(t.Value)})
	}
	return out
}

// fromItem fills the fields a data item gives: Id, Signature, Data,
// Owner, Anchor, Tags, From and Forwarded-By (protocol.md 6.5). Excluded
// fields (an assignment's Exclude tags) are left out.
func fromItem(m *message, item *arweave.DataItem, exclude map[string]bool) {
	if !exclude["Id"] {
		m.ID = ptr(jsStr(item.ID()))
	}
	if !exclude["Signature"] {
		m.Signature = ptr(jsStr(arweave.B64(item.Signature)))
	}
	if !exclude["Data"] {
		m.Data = jsonString(jsonstr.Lossy(item.Data))
	}
	m.Owner = jsStr(item.OwnerAddress())
	if !exclude["Anchor"] {
		m.Anchor = anchorValue(item.Anchor)
	}
	if !exclude["Tags"] {
		m.Tags = messageTags(item.Tags)
	} else {
		m.Tags = []tagJSON{}
	}
	m.From = m.Owner
	if fp, ok := item.Tags.Get("From-Process"); ok {
		if fp != "" {
			m.From = jsStr(fp)
		}
		m.ForwardedBy = ptr(m.Owner)
	}
}

// scheduledMessage is the message object of an SU entry. For an assigned
// transaction (no Message item) tx is the transaction's item, from the
// store.
func scheduledMessage(e *scheduler.Entry, tx *arweave.DataItem) message {
	m := message{
		Target:      jsStr(e.Process),
		Epoch:       ptr(e.Epoch),
		Nonce:       ptr(e.Nonce),
		Timestamp:   e.Timestamp,
		BlockHeight: e.BlockHeight,
		HashChain:   ptr(jsStr(e.HashChain)),
	}
	if e.Message != nil {
		fromItem(&m, e.Message, nil)
		return m
	}
	exclude := map[string]bool{}
	for _, t := range e.Assignment.Tags {
		if t.Name == "Exclude" {
			exclude[t.Value] = true
		}
	}
	fromItem(&m, tx, exclude)
	m.ID = ptr(jsStr(e.MessageID())) // the id is what was assigned, excluded or not
	m.Target = jsStr(tx.TargetID())
	return m
}

// processMessage is the process's own message, evaluated first on a cold
// start (protocol.md 6.2 step 7): the Process item at its SU time.
func processMessage(p *scheduler.Process) message {
	m := message{Target: jsStr(p.ID()), Timestamp: p.Timestamp, BlockHeight: p.BlockHeight}
	fromItem(&m, p.Item, nil)
	return m
}

// cronMessage is a cron tick's message (protocol.md 6.3): no Id,
// Signature, Anchor, Data, Epoch, Nonce or Hash-Chain.
func cronMessage(pid, owner string, tags []arweave.Tag, timestamp, height int64) message {
	m := message{
		Owner: jsStr(owner), From: jsStr(owner), Target: jsStr(pid), Tags: make([]tagJSON, len(tags)),
		Timestamp: timestamp, BlockHeight: height, Cron: true,
	}
	for i, t := range tags {
		m.Tags[i] = tagJSON{jsStr(t.Name), jsStr(t.Value)}
	}
	return m
}

// entityJSON is env.Process and env.Module.
type entityJSON struct {
	ID    jsStr     `json:"Id"`
	Owner jsStr     `json:"Owner"`
	Tags  []tagJSON `json:"Tags"`
}

type envJSON struct {
	Process entityJSON `json:"Process"`
	Module  entityJSON `json:"Module"`
}

func entity(item *arweave.DataItem) entityJSON {
	tags := make([]tagJSON, len(item.Tags))
	for i, t := range item.Tags {
		tags[i] = tagJSON{jsStr(t.Name), jsStr(t.Value)}
	}
	return entityJSON{ID: jsStr(item.ID()), Owner: jsStr(item.OwnerAddress()), Tags: tags}
}

// encodeEnv is the env object (protocol.md 7.3).
func encodeEnv(process, module *arweave.DataItem) []byte {
	return mustJSON(envJSON{Process: entity(process), Module: entity(module)})
}

func mustJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only strings, numbers and raw JSON we made
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
