package cu

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/scheduler"
)

// The message and env objects handed to handle() (protocol.md 7.2, 7.3;
// checks 29 and 30), built from real signed items. conformance_test.go
// checks what a module receives end to end; this file covers the cases an
// SU in a test cannot produce easily: assigned transactions with Exclude
// tags, non-UTF-8 anchors, empty From-Process values.

func testWallet(t *testing.T) arweave.Signer {
	t.Helper()
	w, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func testItem(t *testing.T, s arweave.Signer, opts arweave.ItemOptions) *arweave.DataItem {
	t.Helper()
	it, err := arweave.SignDataItem(s, opts)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// decodeObject encodes v as the CU does (mustJSON) and decodes it, numbers
// kept as json.Number.
func decodeObject(t *testing.T, v any) (map[string]any, []byte) {
	t.Helper()
	b := mustJSON(v)
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m, b
}

func sortedKeys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// wantInt requires m[k] to be the JSON integer want.
func wantInt(t *testing.T, m map[string]any, k string, want int64) {
	t.Helper()
	n, ok := m[k].(json.Number)
	if !ok || strings.ContainsAny(n.String(), ".eE") {
		t.Errorf("%s = %#v, want the JSON integer %d", k, m[k], want)
		return
	}
	if v, err := n.Int64(); err != nil || v != want {
		t.Errorf("%s = %s, want %d", k, n, want)
	}
}

func tagList(t *testing.T, v any) []arweave.Tag {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("Tags = %#v, want an array", v)
	}
	out := []arweave.Tag{}
	for _, x := range list {
		m, _ := x.(map[string]any)
		name, ok1 := m["name"].(string)
		value, ok2 := m["value"].(string)
		if len(m) != 2 || !ok1 || !ok2 {
			t.Fatalf("tag %#v is not {name, value}", x)
		}
		out = append(out, arweave.Tag{Name: name, Value: value})
	}
	return out
}

const (
	testPID   = "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPA"
	testOther = "QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQA"
)

// testEntry is an entry of testPID at nonce 7 for msg (nil: an assignment
// of tx with the given Exclude tags).
func testEntry(t *testing.T, su arweave.Signer, msg, tx *arweave.DataItem, exclude ...string) *scheduler.Entry {
	t.Helper()
	id := ""
	if msg != nil {
		id = msg.ID()
	} else {
		id = tx.ID()
	}
	tags := []arweave.Tag{
		{Name: "Process", Value: testPID}, {Name: "Epoch", Value: "0"}, {Name: "Nonce", Value: "7"},
		{Name: "Hash-Chain", Value: "hc"}, {Name: "Block-Height", Value: "000001500000"},
		{Name: "Timestamp", Value: "1700000000123"}, {Name: "Message", Value: id},
		{Name: "Data-Protocol", Value: "ao"}, {Name: "Type", Value: "Assignment"}, {Name: "Variant", Value: "ao.TN.1"},
	}
	for _, x := range exclude {
		tags = append(tags, arweave.Tag{Name: "Exclude", Value: x})
	}
	return &scheduler.Entry{
		Process: testPID, Nonce: 7, Epoch: 0, Timestamp: 1_700_000_000_123, BlockHeight: 1_500_000,
		HashChain: "hc", Assignment: testItem(t, su, arweave.ItemOptions{Tags: tags}), Message: msg,
	}
}

var scheduledKeys = []string{"Anchor", "Block-Height", "Cron", "Data", "Epoch", "From", "Hash-Chain", "Id", "Nonce", "Owner", "Read-Only", "Signature", "Tags", "Target", "Timestamp"}

// Check 29: a scheduled message.
func TestMessageObjectScheduled(t *testing.T) {
	user, su := testWallet(t), testWallet(t)
	userAddr := arweave.SignerAddress(user)
	anchor := strings.Repeat("a", 32)
	base := []arweave.Tag{{Name: "Data-Protocol", Value: "ao"}, {Name: "Type", Value: "Message"}}
	withForged := append(slices.Clone(base), arweave.Tag{Name: "From", Value: "forged"}, arweave.Tag{Name: "Owner", Value: "forged"}, arweave.Tag{Name: "Action", Value: "Eval"})

	for _, c := range []struct {
		name       string
		tags       []arweave.Tag
		data       []byte
		anchor     string
		from       string
		forwarded  bool
		wantData   string
		wantAnchor any
		wantTags   []arweave.Tag
	}{
		{"plain, forged From and Owner tags", withForged, []byte("</script> & data"), anchor, userAddr, false,
			"</script> & data", anchor, append(slices.Clone(base), arweave.Tag{Name: "Action", Value: "Eval"})},
		{"From-Process", append(slices.Clone(base), arweave.Tag{Name: "From-Process", Value: testOther}), []byte("x"), anchor, testOther, true,
			"x", anchor, append(slices.Clone(base), arweave.Tag{Name: "From-Process", Value: testOther})},
		{"empty From-Process", append(slices.Clone(base), arweave.Tag{Name: "From-Process", Value: ""}), []byte("x"), anchor, userAddr, true,
			"x", anchor, append(slices.Clone(base), arweave.Tag{Name: "From-Process", Value: ""})},
		{"non-UTF-8 data and anchor", base, []byte("a\xffb\xc3"), strings.Repeat("\xff", 32), userAddr, false,
			"a\uFFFDb\uFFFD", nil, base},
		{"no anchor, empty data", base, nil, "", userAddr, false, "", nil, base},
	} {
		t.Run(c.name, func(t *testing.T) {
			item := testItem(t, user, arweave.ItemOptions{Target: testPID, Anchor: c.anchor, Tags: c.tags, Data: c.data})
			e := testEntry(t, su, item, nil)
			m, raw := decodeObject(t, scheduledMessage(e, nil))
			keys := slices.Clone(scheduledKeys)
			if c.forwarded {
				keys = append(keys, "Forwarded-By")
				slices.Sort(keys)
			}
			if got := sortedKeys(m); !slices.Equal(got, keys) {
				t.Errorf("keys %v, want %v: %s", got, keys, raw)
			}
			if m["From"] != c.from {
				t.Errorf("From %#v, want %q", m["From"], c.from)
			}
			if c.forwarded && m["Forwarded-By"] != userAddr {
				t.Errorf("Forwarded-By %#v, want the signer %q", m["Forwarded-By"], userAddr)
			}
			if m["Id"] != item.ID() || m["Owner"] != userAddr || m["Target"] != testPID ||
				m["Signature"] != arweave.B64(item.Signature) || m["Hash-Chain"] != "hc" {
				t.Errorf("Id/Owner/Target/Signature/Hash-Chain: %s", raw)
			}
			if m["Data"] != c.wantData {
				t.Errorf("Data %#v, want %q", m["Data"], c.wantData)
			}
			if m["Anchor"] != c.wantAnchor {
				t.Errorf("Anchor %#v, want %#v", m["Anchor"], c.wantAnchor)
			}
			wantInt(t, m, "Epoch", 0)
			wantInt(t, m, "Nonce", 7)
			wantInt(t, m, "Timestamp", 1_700_000_000_123)
			wantInt(t, m, "Block-Height", 1_500_000)
			if m["Cron"] != false || m["Read-Only"] != false {
				t.Errorf("Cron %#v Read-Only %#v, want false false", m["Cron"], m["Read-Only"])
			}
			if got := tagList(t, m["Tags"]); !slices.Equal(got, c.wantTags) {
				t.Errorf("Tags %v, want %v", got, c.wantTags)
			}
		})
	}
}

// The message JSON is written as the reference loader's JSON.stringify
// writes it (vm/testdata/README.md section 5: only '"', '\\' and control
// characters are escaped; not '<', '>', '&', U+2028 or U+2029), since the
// exact bytes land in the module's memory: the same message must give
// the same memory as under the reference CU.
func TestMessageObjectBytes(t *testing.T) {
	user, su := testWallet(t), testWallet(t)
	anchor := "<&>" + strings.Repeat("x", 29)
	item := testItem(t, user, arweave.ItemOptions{
		Target: testPID, Anchor: anchor,
		Tags: []arweave.Tag{{Name: "Type", Value: "Message"}, {Name: "Script", Value: "<b>&amp;</b>"}, {Name: "Line", Value: "a\u2028b\u2029c"}},
		Data: []byte("</script> & <b> \u2028"),
	})
	raw := mustJSON(scheduledMessage(testEntry(t, su, item, nil), nil))
	for _, c := range []struct{ what, want string }{
		{"tag value with <, > and &", `"<b>&amp;</b>"`},
		{"Anchor with < and &", `"` + anchor + `"`},
		{"Data with <, > and &", `"</script> & <b> `},
		{"tag value with U+2028 and U+2029", "\"a\u2028b\u2029c\""},
		{"Data with U+2028", "<b> \u2028\""},
	} {
		if !bytes.Contains(raw, []byte(c.want)) {
			t.Errorf("%s: %q is not in the message JSON as JSON.stringify writes it: %s", c.what, c.want, raw)
		}
	}
}

// Check 29: an assigned transaction (no Message item): its fields, minus
// those its assignment excludes; the Id stays.
func TestMessageObjectAssigned(t *testing.T) {
	user, su := testWallet(t), testWallet(t)
	userAddr := arweave.SignerAddress(user)
	tags := []arweave.Tag{{Name: "Action", Value: "Eval"}, {Name: "Owner", Value: "forged"}}
	anchor := strings.Repeat("b", 32)
	tx := testItem(t, user, arweave.ItemOptions{Target: testOther, Anchor: anchor, Tags: tags, Data: []byte("tx data")})
	noTarget := testItem(t, user, arweave.ItemOptions{Tags: tags, Data: []byte("tx data")})

	for _, c := range []struct {
		name    string
		tx      *arweave.DataItem
		exclude []string
		absent  []string
		target  string
	}{
		{"nothing excluded", tx, nil, nil, testOther},
		{"no target", noTarget, nil, nil, ""},
		{"Data and Anchor excluded", tx, []string{"Data", "Anchor"}, []string{"Data", "Anchor"}, testOther},
		{"Id, Signature and Tags excluded", tx, []string{"Id", "Signature", "Tags"}, []string{"Signature"}, testOther},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := testEntry(t, su, nil, c.tx, c.exclude...)
			m, raw := decodeObject(t, scheduledMessage(e, c.tx))
			var want []string
			for _, k := range scheduledKeys {
				if !slices.Contains(c.absent, k) {
					want = append(want, k)
				}
			}
			if got := sortedKeys(m); !slices.Equal(got, want) {
				t.Errorf("keys %v, want %v: %s", got, want, raw)
			}
			if m["Id"] != c.tx.ID() || m["Target"] != c.target || m["Owner"] != userAddr || m["From"] != userAddr {
				t.Errorf("Id %v Target %#v Owner %v From %v", m["Id"], m["Target"], m["Owner"], m["From"])
			}
			if !slices.Contains(c.absent, "Data") && m["Data"] != "tx data" {
				t.Errorf("Data %#v", m["Data"])
			}
			if !slices.Contains(c.absent, "Anchor") && c.tx.AnchorString() != "" && m["Anchor"] != anchor {
				t.Errorf("Anchor %#v", m["Anchor"])
			}
			wantTags := []arweave.Tag{{Name: "Action", Value: "Eval"}}
			if slices.Contains(c.exclude, "Tags") {
				wantTags = []arweave.Tag{}
			}
			if got := tagList(t, m["Tags"]); !slices.Equal(got, wantTags) {
				t.Errorf("Tags %v, want %v", got, wantTags)
			}
			wantInt(t, m, "Nonce", 7)
			wantInt(t, m, "Epoch", 0)
			if m["Cron"] != false || m["Read-Only"] != false {
				t.Errorf("Cron %#v Read-Only %#v", m["Cron"], m["Read-Only"])
			}
		})
	}
}

// The process message of a cold start: the Process item at its SU time,
// no Epoch, Nonce or Hash-Chain.
func TestMessageObjectProcess(t *testing.T) {
	user := testWallet(t)
	userAddr := arweave.SignerAddress(user)
	tags := []arweave.Tag{{Name: "Type", Value: "Process"}, {Name: "Module", Value: testOther}, {Name: "Owner", Value: "forged"}}
	item := testItem(t, user, arweave.ItemOptions{Anchor: strings.Repeat("c", 32), Tags: tags, Data: []byte("init")})
	m, raw := decodeObject(t, processMessage(&scheduler.Process{Item: item, Timestamp: 1_700_000_000_000, BlockHeight: 1_499_999}))
	want := []string{"Anchor", "Block-Height", "Cron", "Data", "From", "Id", "Owner", "Read-Only", "Signature", "Tags", "Target", "Timestamp"}
	if got := sortedKeys(m); !slices.Equal(got, want) {
		t.Errorf("keys %v, want %v: %s", got, want, raw)
	}
	if m["Id"] != item.ID() || m["Target"] != item.ID() || m["Owner"] != userAddr || m["From"] != userAddr || m["Data"] != "init" {
		t.Errorf("%s", raw)
	}
	wantInt(t, m, "Timestamp", 1_700_000_000_000)
	wantInt(t, m, "Block-Height", 1_499_999)
	if got := tagList(t, m["Tags"]); !slices.Equal(got, tags[:2]) {
		t.Errorf("Tags %v, want %v", got, tags[:2])
	}
	if m["Cron"] != false || m["Read-Only"] != false {
		t.Errorf("Cron %#v Read-Only %#v", m["Cron"], m["Read-Only"])
	}
}

// A cron tick's message (protocol.md 6.3): Owner and From the process
// owner, Target the process, the cron's tags only, Cron true; no Id,
// Signature, Anchor, Data, Epoch, Nonce or Hash-Chain.
func TestMessageObjectCron(t *testing.T) {
	m, raw := decodeObject(t, cronMessage(testPID, "owner-address", []arweave.Tag{{Name: "Action", Value: "Tick"}}, 1_700_000_010_000, 1_500_001))
	if got, want := sortedKeys(m), []string{"Block-Height", "Cron", "From", "Owner", "Read-Only", "Tags", "Target", "Timestamp"}; !slices.Equal(got, want) {
		t.Errorf("keys %v, want %v: %s", got, want, raw)
	}
	if m["Owner"] != "owner-address" || m["From"] != "owner-address" || m["Target"] != testPID || m["Cron"] != true || m["Read-Only"] != false {
		t.Errorf("%s", raw)
	}
	wantInt(t, m, "Timestamp", 1_700_000_010_000)
	wantInt(t, m, "Block-Height", 1_500_001)
	if got := tagList(t, m["Tags"]); !slices.Equal(got, []arweave.Tag{{Name: "Action", Value: "Tick"}}) {
		t.Errorf("Tags %v", got)
	}
}

// Check 30: the env is {Process:{Id,Owner,Tags}, Module:{Id,Owner,Tags}},
// with every tag of both items in order.
func TestEnvObject(t *testing.T) {
	user, dev := testWallet(t), testWallet(t)
	mod := testItem(t, dev, arweave.ItemOptions{Tags: []arweave.Tag{{Name: "Module-Format", Value: "wasm32-unknown-emscripten2"}, {Name: "Memory-Limit", Value: "1-gb"}}, Data: []byte("\x00asm")})
	proc := testItem(t, user, arweave.ItemOptions{Tags: []arweave.Tag{{Name: "Type", Value: "Process"}, {Name: "Module", Value: mod.ID()}, {Name: "Name", Value: "<&>"}}})
	b := encodeEnv(proc, mod)
	if !bytes.Contains(b, []byte(`"<&>"`)) {
		t.Errorf("the env is HTML-escaped: %s", b)
	}
	var env map[string]map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&env); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	if len(env) != 2 {
		t.Fatalf("env keys: %s", b)
	}
	for _, c := range []struct {
		key   string
		item  *arweave.DataItem
		owner string
	}{{"Process", proc, arweave.SignerAddress(user)}, {"Module", mod, arweave.SignerAddress(dev)}} {
		e, ok := env[c.key]
		if !ok {
			t.Fatalf("no %s: %s", c.key, b)
		}
		if got := sortedKeys(e); !slices.Equal(got, []string{"Id", "Owner", "Tags"}) {
			t.Errorf("%s keys %v", c.key, got)
		}
		if e["Id"] != c.item.ID() || e["Owner"] != c.owner {
			t.Errorf("%s: Id %v Owner %v, want %s %s", c.key, e["Id"], e["Owner"], c.item.ID(), c.owner)
		}
		if got := tagList(t, e["Tags"]); !slices.Equal(got, []arweave.Tag(c.item.Tags)) {
			t.Errorf("%s.Tags %v, want %v", c.key, got, c.item.Tags)
		}
	}
}
