package scheduler

import (
	"unicode/utf8"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/internal/jsonstr"
)

// The JSON shapes of the SU's HTTP API (protocol.md 4.4 and 4.7), field
// for field as the reference SU writes them.

type ownerJSON struct {
	Address string `json:"address"`
	Key     string `json:"key"`
}

// TagJSON is a tag in the SU's JSON.
type TagJSON struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// MessageJSON is the "message" of an SU entry.
type MessageJSON struct {
	ID        string    `json:"id"`
	Owner     ownerJSON `json:"owner"`
	Data      string    `json:"data"`
	Tags      []TagJSON `json:"tags"`
	Signature string    `json:"signature"`
	Anchor    *string   `json:"anchor"`
	Target    string    `json:"target"`
}

// AssignmentJSON is the "assignment" of an SU entry.
type AssignmentJSON struct {
	ID        string    `json:"id"`
	Owner     ownerJSON `json:"owner"`
	Tags      []TagJSON `json:"tags"`
	Signature string    `json:"signature"`
	Anchor    *string   `json:"anchor"`
	Target    string    `json:"target"`
}

// EntryJSON is one entry: {"message", "assignment"}; message is null for
// an assignment of an existing transaction.
type EntryJSON struct {
	Message    *MessageJSON   `json:"message"`
	Assignment AssignmentJSON `json:"assignment"`
}

// PageJSON is a page of GET /{pid}.
type PageJSON struct {
	PageInfo struct {
		HasNextPage bool `json:"has_next_page"`
	} `json:"page_info"`
	Edges []EdgeJSON `json:"edges"`
}

// EdgeJSON is one edge of a page.
type EdgeJSON struct {
	Cursor string    `json:"cursor"`
	Node   EntryJSON `json:"node"`
}

// ProcessJSON is GET /processes/{pid}.
type ProcessJSON struct {
	ProcessID string    `json:"process_id"`
	Block     string    `json:"block"`
	Owner     ownerJSON `json:"owner"`
	Tags      []TagJSON `json:"tags"`
	Timestamp int64     `json:"timestamp"`
	Data      *string   `json:"data"`
	Anchor    *string   `json:"anchor"`
	Signature string    `json:"signature"`
	Target    *string   `json:"target"`
}

func tagsJSON(tags arweave.Tags) []TagJSON {
	out := make([]TagJSON, len(tags))
	for i, t := range tags {
		out[i] = TagJSON{t.Name, t.Value}
	}
	return out
}

func ownerOf(d *arweave.DataItem) ownerJSON {
	return ownerJSON{Address: d.OwnerAddress(), Key: arweave.B64(d.Owner)}
}

// anchorJSON is the anchor as UTF-8, or null when absent or not UTF-8.
func anchorJSON(d *arweave.DataItem) *string {
	if len(d.Anchor) == 0 || !utf8.Valid(d.Anchor) {
		return nil
	}
	s := string(d.Anchor)
	return &s
}

// NewEntryJSON renders an entry as the SU's API does.
func NewEntryJSON(e *Entry) EntryJSON {
	a := e.Assignment
	out := EntryJSON{Assignment: AssignmentJSON{
		ID: a.ID(), Owner: ownerOf(a), Tags: tagsJSON(a.Tags),
		Signature: arweave.B64(a.Signature), Anchor: anchorJSON(a), Target: a.TargetID(),
	}}
	if m := e.Message; m != nil {
		out.Message = &MessageJSON{
			ID: m.ID(), Owner: ownerOf(m), Data: jsonstr.Lossy(m.Data), Tags: tagsJSON(m.Tags),
			Signature: arweave.B64(m.Signature), Anchor: anchorJSON(m), Target: m.TargetID(),
		}
	}
	return out
}

// NewProcessJSON renders a process as GET /processes/{pid} does.
func NewProcessJSON(p *Process) ProcessJSON {
	it := p.Item
	out := ProcessJSON{
		ProcessID: p.ID(), Block: FormatBlockHeight(p.BlockHeight), Owner: ownerOf(it),
		Tags: tagsJSON(it.Tags), Timestamp: p.Timestamp, Anchor: anchorJSON(it),
		Signature: arweave.B64(it.Signature),
	}
	if utf8.Valid(it.Data) {
		d := string(it.Data)
		out.Data = &d
	}
	if t := it.TargetID(); t != "" {
		out.Target = &t
	}
	return out
}
