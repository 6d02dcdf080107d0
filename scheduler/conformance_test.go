package scheduler_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/internal/ao"
	"github.com/aogo-dev/aogo/scheduler"
)

// The SU conformance checks of protocol.md section 9 (11-24), over HTTP.

func TestCheck11Root(t *testing.T) {
	ts := newTestSU(t)
	var m map[string]any
	if code := ts.get("/", &m); code != 200 {
		t.Fatalf("status %d", code)
	}
	if m["address"] != ts.su.Address() {
		t.Errorf("address %v, want %s", m["address"], ts.su.Address())
	}
	if s, ok := m["timestamp"].(string); !ok || !regexp.MustCompile(`^\d{13}$`).MatchString(s) {
		t.Errorf("timestamp %#v is not a millisecond string", m["timestamp"])
	}
}

func TestCheck12ScheduleProcess(t *testing.T) {
	ts := newTestSU(t)
	p := ts.processItem()
	code, m := ts.post("", p.Bytes())
	if code != 200 || m["id"] != p.ID() {
		t.Fatalf("%d %v", code, m)
	}
	if _, ok := m["timestamp"].(float64); !ok {
		t.Errorf("timestamp %#v is not a number", m["timestamp"])
	}
}

func TestCheck13ProcessWithoutModuleOrScheduler(t *testing.T) {
	ts := newTestSU(t)
	for _, drop := range []string{"Module", "Scheduler"} {
		p := ts.processItem()
		kept := p.Tags[:0:0]
		for _, tg := range p.Tags {
			if tg.Name != drop {
				kept = append(kept, tg)
			}
		}
		item := ts.sign(ts.user, "", "x", kept...)
		code, m := ts.post("", item.Bytes())
		if code != 400 || !strings.Contains(fmt.Sprint(m["error"]), drop) {
			t.Errorf("without %s: %d %v", drop, code, m)
		}
		if c := ts.get("/processes/"+item.ID(), nil); c != 404 {
			t.Errorf("without %s: process was stored (%d)", drop, c)
		}
	}
}

func TestCheck14Duplicate(t *testing.T) {
	ts := newTestSU(t)
	pid := ts.spawn()
	m := ts.messageItem(pid, "once")
	if code, res := ts.post("", m.Bytes()); code != 200 {
		t.Fatalf("%d %v", code, res)
	}
	code, res := ts.post("", m.Bytes())
	if code != 400 || !strings.Contains(fmt.Sprint(res["error"]), "already exists") {
		t.Fatalf("duplicate: %d %v", code, res)
	}
	ts.send(pid, "next")
	var page scheduler.PageJSON
	ts.get("/"+pid+"?process-id="+pid, &page)
	if len(page.Edges) != 2 || nonce(t, page.Edges[1]) != 1 {
		t.Fatalf("the duplicate consumed a nonce: %d edges", len(page.Edges))
	}
}

func assignmentTags(e scheduler.EdgeJSON) map[string]string {
	m := map[string]string{}
	for _, t := range e.Node.Assignment.Tags {
		m[t.Name] = t.Value
	}
	return m
}

func nonce(t *testing.T, e scheduler.EdgeJSON) int64 {
	t.Helper()
	n, err := strconv.ParseInt(assignmentTags(e)["Nonce"], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCheck15And16And17Assignments(t *testing.T) {
	ts := newTestSU(t)
	su := ts.su
	pid := ts.spawn()
	var ids []string
	for i := range 20 {
		ids = append(ids, ts.send(pid, fmt.Sprint("m", i)))
	}
	var page scheduler.PageJSON
	if code := ts.get("/"+pid+"?process-id="+pid+"&limit=100", &page); code != 200 {
		t.Fatal(code)
	}
	if len(page.Edges) != 20 {
		t.Fatalf("%d edges", len(page.Edges))
	}
	wantOrder := []string{"Process", "Epoch", "Nonce", "Hash-Chain", "Block-Height", "Timestamp", "Data-Protocol", "Type", "Variant", "Message"}
	chain, _ := ao.HashChainSeed(pid)
	var lastTS int64
	for i, e := range page.Edges {
		a := e.Node.Assignment
		var names []string
		for _, tg := range a.Tags {
			names = append(names, tg.Name)
		}
		if strings.Join(names, ",") != strings.Join(wantOrder, ",") {
			t.Fatalf("entry %d: tags %v", i, names)
		}
		tags := assignmentTags(e)
		if tags["Process"] != pid || tags["Epoch"] != "0" || tags["Data-Protocol"] != "ao" ||
			tags["Type"] != "Assignment" || tags["Variant"] != "ao.TN.1" || tags["Message"] != ids[i] {
			t.Errorf("entry %d: %v", i, tags)
		}
		if nonce(t, e) != int64(i) {
			t.Errorf("entry %d: nonce %s", i, tags["Nonce"])
		}
		if !regexp.MustCompile(`^\d{12}$`).MatchString(tags["Block-Height"]) {
			t.Errorf("entry %d: Block-Height %q", i, tags["Block-Height"])
		}
		ts, _ := strconv.ParseInt(tags["Timestamp"], 10, 64)
		if ts <= lastTS {
			t.Errorf("entry %d: timestamp %d not after %d", i, ts, lastTS)
		}
		lastTS = ts
		if tags["Hash-Chain"] != chain {
			t.Fatalf("entry %d: Hash-Chain %s, want %s", i, tags["Hash-Chain"], chain)
		}
		var err error
		if chain, err = ao.NextHashChain(a.ID, chain); err != nil {
			t.Fatal(err)
		}
		if e.Node.Message == nil || e.Node.Message.ID != ids[i] || e.Node.Message.Data != fmt.Sprint("m", i) {
			t.Errorf("entry %d: message %+v", i, e.Node.Message)
		}
		if a.Owner.Address != su.Address() || a.Target != "" {
			t.Errorf("entry %d: assignment owner %s target %q", i, a.Owner.Address, a.Target)
		}
	}
}

func TestCheck18And19Paging(t *testing.T) {
	ts := newTestSU(t)
	pid := ts.spawn()
	var ids []string
	for i := range 25 {
		ids = append(ids, ts.send(pid, fmt.Sprint(i)))
	}
	for _, mode := range []string{"timestamp", "nonce"} {
		var got []string
		from := ""
		for pages := 0; ; pages++ {
			q := url.Values{"process-id": {pid}, "limit": {"7"}}
			if mode == "nonce" {
				q.Set("from-nonce", "-1")
				if from != "" {
					q.Set("from-nonce", from)
				}
			} else if from != "" {
				q.Set("from", from)
			}
			var page scheduler.PageJSON
			if code := ts.get("/"+pid+"?"+q.Encode(), &page); code != 200 {
				t.Fatal(code)
			}
			if len(page.Edges) > 7 {
				t.Fatalf("%s: %d edges for limit 7", mode, len(page.Edges))
			}
			for _, e := range page.Edges {
				got = append(got, e.Node.Message.ID)
				from = e.Cursor
				want := assignmentTags(e)["Timestamp"]
				if mode == "nonce" {
					want = assignmentTags(e)["Nonce"]
				}
				if e.Cursor != want {
					t.Fatalf("%s: cursor %s, want %s", mode, e.Cursor, want)
				}
			}
			if wantMore := len(got) < 25; page.PageInfo.HasNextPage != wantMore {
				t.Fatalf("%s: has_next_page %v after %d", mode, page.PageInfo.HasNextPage, len(got))
			}
			if !page.PageInfo.HasNextPage {
				break
			}
		}
		if strings.Join(got, ",") != strings.Join(ids, ",") {
			t.Errorf("%s: pages gave %d entries, not the 25 in order", mode, len(got))
		}
	}

	// to is inclusive: from the 3rd entry's timestamp to the 6th's gives 4..6.
	var all scheduler.PageJSON
	ts.get("/"+pid+"?process-id="+pid, &all)
	q := fmt.Sprintf("/%s?process-id=%s&from=%s&to=%s", pid, pid, all.Edges[2].Cursor, all.Edges[5].Cursor)
	var part scheduler.PageJSON
	ts.get(q, &part)
	if len(part.Edges) != 3 || part.Edges[0].Node.Message.ID != ids[3] || part.Edges[2].Node.Message.ID != ids[5] || part.PageInfo.HasNextPage {
		t.Errorf("from/to: %d edges, has_next_page %v", len(part.Edges), part.PageInfo.HasNextPage)
	}
}

func TestCheck20OneEntry(t *testing.T) {
	ts := newTestSU(t)
	pid := ts.spawn()
	mid := ts.send(pid, "hello")
	var e scheduler.EntryJSON
	if code := ts.get("/"+mid+"?process-id="+pid, &e); code != 200 {
		t.Fatal(code)
	}
	if e.Message == nil || e.Message.ID != mid || e.Message.Data != "hello" || e.Message.Target != pid {
		t.Fatalf("message %+v", e.Message)
	}

	// An assignment-only entry is found by its assignment id, message null.
	other := ts.messageItem(pid, "stored elsewhere")
	if err := ts.store.PutItems(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	code, res := ts.post("process-id="+pid+"&assign="+other.ID(), nil)
	if code != 200 {
		t.Fatalf("assign: %d %v", code, res)
	}
	aid := res["id"].(string)
	var a scheduler.EntryJSON
	if code := ts.get("/"+aid+"?process-id="+pid, &a); code != 200 {
		t.Fatal(code)
	}
	if a.Message != nil || a.Assignment.ID != aid {
		t.Fatalf("assignment entry %+v", a)
	}
	tags := map[string]string{}
	for _, tg := range a.Assignment.Tags {
		tags[tg.Name] = tg.Value
	}
	if tags["Message"] != other.ID() || tags["Nonce"] != "1" {
		t.Errorf("assignment tags %v", tags)
	}
}

func TestCheck21Unknown(t *testing.T) {
	ts := newTestSU(t)
	pid := ts.spawn()
	var m map[string]any
	if code := ts.get("/"+testModule+"?process-id="+pid, &m); code != 404 {
		t.Fatalf("status %d", code)
	}
}

func TestCheck22Process(t *testing.T) {
	ts := newTestSU(t)
	p := ts.processItem(tag("Name", "demo"))
	if code, m := ts.post("", p.Bytes()); code != 200 {
		t.Fatal(code, m)
	}
	var got scheduler.ProcessJSON
	if code := ts.get("/processes/"+p.ID(), &got); code != 200 {
		t.Fatal(code)
	}
	if got.ProcessID != p.ID() || len(got.Block) != 12 || got.Owner.Address != p.OwnerAddress() ||
		got.Timestamp <= 0 || got.Signature == "" || len(got.Tags) != len(p.Tags) || got.Data == nil || *got.Data != "process data" {
		t.Errorf("process %+v", got)
	}
	for i, tg := range p.Tags {
		if got.Tags[i].Name != tg.Name || got.Tags[i].Value != tg.Value {
			t.Errorf("tag %d: %+v", i, got.Tags[i])
		}
	}
	if code := ts.get("/processes/"+testModule, nil); code < 400 {
		t.Errorf("unknown process: %d", code)
	}
}

func TestCheck23TimestampAndLatest(t *testing.T) {
	ts := newTestSU(t)
	pid := ts.spawn()
	var stamp map[string]string
	if code := ts.get("/timestamp", &stamp); code != 200 {
		t.Fatal(code)
	}
	if !regexp.MustCompile(`^\d{13}$`).MatchString(stamp["timestamp"]) || !regexp.MustCompile(`^\d{12}$`).MatchString(stamp["block_height"]) {
		t.Errorf("timestamp %v", stamp)
	}
	seal, _ := strconv.ParseInt(stamp["timestamp"], 10, 64)
	ts.send(pid, "a")
	last := ts.send(pid, "b")
	var e scheduler.EntryJSON
	if code := ts.get("/"+pid+"/latest", &e); code != 200 {
		t.Fatal(code)
	}
	if e.Message == nil || e.Message.ID != last {
		t.Fatalf("latest %+v", e.Message)
	}
	// Everything scheduled after a seal is stamped above it.
	for _, tg := range e.Assignment.Tags {
		if tg.Name == "Timestamp" {
			if v, _ := strconv.ParseInt(tg.Value, 10, 64); v <= seal {
				t.Errorf("timestamp %d at or below the earlier seal %d", v, seal)
			}
		}
	}
}

func TestCheck24PageWithoutProcessID(t *testing.T) {
	ts := newTestSU(t)
	pid := ts.spawn()
	ts.send(pid, "a")
	ts.send(pid, "b")
	var page scheduler.PageJSON
	if code := ts.get("/"+pid+"?from=&to=&limit=1", &page); code != 200 {
		t.Fatal(code)
	}
	if len(page.Edges) != 1 || !page.PageInfo.HasNextPage {
		t.Fatalf("%d edges, has_next_page %v", len(page.Edges), page.PageInfo.HasNextPage)
	}
}
