package scheduler_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
)

// TestBadInput posts what the SU must refuse: each gets a 4xx with a JSON
// error, and nothing is appended to the log.
func TestBadInput(t *testing.T) {
	ts := newTestSU(t)
	pid := ts.spawn()
	ts.send(pid, "first")
	dup := ts.messageItem(pid, "twice")
	if code, m := ts.post("", dup.Bytes()); code != 200 {
		t.Fatal(code, m)
	}
	other, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}

	tampered := func(item *arweave.DataItem) []byte {
		b := bytes.Clone(item.Bytes())
		b[len(b)-1] ^= 1 // the last byte of the data: the signature no longer matches
		return b
	}
	unsigned := func(item *arweave.DataItem) []byte {
		b := bytes.Clone(item.Bytes())
		for i := 2; i < 2+64; i++ { // ed25519: 64 signature bytes after the type
			b[i] = 0
		}
		return b
	}
	without := func(item *arweave.DataItem, name string) []arweave.Tag {
		var kept []arweave.Tag
		for _, tg := range item.Tags {
			if tg.Name != name {
				kept = append(kept, tg)
			}
		}
		return kept
	}
	msg := ts.messageItem(pid, "m")
	proc := ts.processItem()
	cases := []struct {
		name   string
		query  string
		body   []byte
		status int
		want   string
	}{
		{"not a data item", "", []byte("hello"), 400, ""},
		{"empty body", "", nil, 400, ""},
		{"bad signature", "", tampered(ts.messageItem(pid, "tampered")), 400, "signature"},
		{"unsigned", "", unsigned(ts.messageItem(pid, "unsigned")), 400, "signature"},
		{"process without Module", "", ts.sign(ts.user, "", "", without(proc, "Module")...).Bytes(), 400, "Module"},
		{"process without Scheduler", "", ts.sign(ts.user, "", "", without(proc, "Scheduler")...).Bytes(), 400, "Scheduler"},
		{"process of another scheduler", "", ts.sign(ts.user, "", "", append(without(proc, "Scheduler"), tag("Scheduler", arweave.SignerAddress(other)))...).Bytes(), 400, "scheduler"},
		{"no Type", "", ts.sign(ts.user, pid, "", without(msg, "Type")...).Bytes(), 400, "Type"},
		{"unsupported Type", "", ts.sign(ts.user, pid, "", append(without(msg, "Type"), tag("Type", "Module"))...).Bytes(), 400, "Type"},
		{"no Data-Protocol", "", ts.sign(ts.user, pid, "", without(msg, "Data-Protocol")...).Bytes(), 400, "Data-Protocol"},
		{"link tag", "", ts.sign(ts.user, pid, "", append(msg.Tags, tag("X", "y+link"))...).Bytes(), 400, "+link"},
		{"message without target", "", ts.sign(ts.user, "", "", msg.Tags...).Bytes(), 400, "target"},
		{"message to an unknown process", "", ts.messageItem(testModule, "lost").Bytes(), 404, "not found"},
		{"duplicate", "", dup.Bytes(), 400, "already exists"},
		{"duplicate process", "", ts.processItem().Bytes(), 200, ""}, // a new process is fine: placeholder replaced below
		{"over the size limit", "", ts.messageItem(pid, strings.Repeat("x", 1<<20)).Bytes(), 413, "larger than"},
		{"process-id without assign", "process-id=" + pid, nil, 400, "both"},
		{"assign without process-id", "assign=" + testModule, nil, 400, "both"},
		{"assign of a short id", "process-id=" + pid + "&assign=abc", nil, 400, "43"},
		{"assign of an unknown transaction", "process-id=" + pid + "&assign=" + testModule, nil, 400, "not found"},
		{"assign to an unknown process", "process-id=" + testModule + "&assign=" + msg.ID(), nil, 404, ""},
	}
	// Replace the placeholder: the same process item posted twice.
	for i := range cases {
		if cases[i].name == "duplicate process" {
			p := ts.processItem()
			if code, m := ts.post("", p.Bytes()); code != 200 {
				t.Fatal(code, m)
			}
			cases[i].body, cases[i].status, cases[i].want = p.Bytes(), 400, "already exists"
		}
	}

	before := ts.log.LastSeq()
	for _, c := range cases {
		code, m := ts.post(c.query, c.body)
		errText, _ := m["error"].(string)
		if code != c.status || errText == "" || !strings.Contains(strings.ToLower(errText), strings.ToLower(c.want)) {
			t.Errorf("%s: %d %v; want %d and an error mentioning %q", c.name, code, m, c.status, c.want)
		}
	}
	if after := ts.log.LastSeq(); after != before {
		t.Errorf("refused input appended %d records", after-before)
	}

	// The log goes on with the next nonce.
	next := ts.messageItem(pid, "after")
	if code, m := ts.post("", next.Bytes()); code != 200 {
		t.Fatal(code, m)
	}
	e, err := ts.su.Find(t.Context(), pid, next.ID())
	if err != nil {
		t.Fatal(err)
	}
	if e.Nonce != 2 {
		t.Errorf("nonce %d after refused input, want 2", e.Nonce)
	}
}
