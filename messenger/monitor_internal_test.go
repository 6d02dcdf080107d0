package messenger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
)

// runCranker opens a cranker over the fixture's SU and cu and runs it
// until the test ends (or stop is called).
func (f *suFixture) runCranker(cu *fakeCU, maxAttempts int) (c *Cranker, stop func()) {
	f.t.Helper()
	c, err := NewCranker(CrankerConfig{Dir: filepath.Join(f.dir, "crank"), Computer: cu, Cron: cu, SU: f.su,
		Signer: f.mu, Store: f.store, MaxAttempts: maxAttempts, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		f.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(ctx)
	}()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
			c.Close()
		}
	}
	f.t.Cleanup(stop)
	return c, stop
}

// waitEntries waits until pid has n messages after its process message.
func (f *suFixture) waitEntries(pid string, n int) {
	f.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := f.count(pid)
		if got == n {
			return
		}
		if got > n || time.Now().After(deadline) {
			f.t.Fatalf("%s has %d messages, want %d", pid, got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitIdle waits until c's queue is empty.
func waitIdle(t *testing.T, c *Cranker) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); c.Pending() != 0; {
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still queued", c.Pending())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Check 8 of protocol.md 9: outbox messages without an Anchor, or with a
// tag value that is not a string, are not pushed, and the rest of the
// batch is.
func TestCheck8SkipsBadOutboxMessages(t *testing.T) {
	f := newSUFixture(t)
	p, q := f.spawn("p"), f.spawn("q")
	cu := newFakeCU()
	const u = "UUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUU"
	cu.results[u] = fmt.Sprintf(`{"Output":"","Spawns":[],"Assignments":[],"Messages":[
		{"Target":%[1]q,"Data":"no anchor","Tags":[{"name":"Action","value":"A"}]},
		{"Target":%[1]q,"Anchor":"00000000000000000000000000000001","Data":"number tag","Tags":[{"name":"N","value":7}]},
		{"Anchor":"00000000000000000000000000000002","Data":"no target","Tags":[]},
		{"Target":%[1]q,"Anchor":"00000000000000000000000000000003","Data":"no tags"},
		{"Target":%[1]q,"Anchor":"00000000000000000000000000000004","Data":"good","Tags":[{"name":"Action","value":"Good"}]}]}`, q)
	c, _ := f.runCranker(cu, 0)
	if err := c.Crank(p, u, ""); err != nil {
		t.Fatal(err)
	}
	f.waitEntries(q, 1)
	waitIdle(t, c)
	m := f.entries(q)[0].Message
	if string(m.Data) != "good" || m.Tags.Value("Action") != "Good" {
		t.Fatalf("pushed %q %v", m.Data, m.Tags)
	}
	time.Sleep(100 * time.Millisecond)
	f.waitEntries(q, 1)
}

// Check 9 of protocol.md 9: an outbox spawn becomes a Process item with
// Type=Process, From-Process and the spawner's Scheduler, followed by a
// Spawned notice to the spawner that keeps the spawn's Reference.
func TestCheck9Spawn(t *testing.T) {
	f := newSUFixture(t)
	p := f.spawn("p")
	cu := newFakeCU()
	const u = "UUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUU"
	cu.results[u] = `{"Output":"","Messages":[],"Assignments":[],"Spawns":[{"Anchor":"00000000000000000000000000000001","Data":"child data",
		"Tags":[{"name":"Module","value":"` + testModule + `"},{"name":"Name","value":"kid"},{"name":"Reference","value":"7"},
		{"name":"From-Process","value":"` + p + `"},{"name":"From-Module","value":"forged"},{"name":"Type","value":"Message"}]}]}`
	c, _ := f.runCranker(cu, 0)
	if err := c.Crank(p, u, ""); err != nil {
		t.Fatal(err)
	}
	f.waitEntries(p, 1)
	notice := f.entries(p)[0].Message
	nt := notice.Tags
	if nt.Value("Action") != "Spawned" || nt.Value("Reference") != "7" || nt.Value("Type") != "Message" ||
		notice.OwnerAddress() != arweave.SignerAddress(f.mu) || nt.Value("From-Process") != p {
		t.Fatalf("Spawned notice: %v", nt)
	}
	child, err := f.su.Process(context.Background(), nt.Value("Process"))
	if err != nil {
		t.Fatalf("the child %s: %v", nt.Value("Process"), err)
	}
	ct := child.Item.Tags
	want := []arweave.Tag{{Name: "Module", Value: testModule}, {Name: "Name", Value: "kid"}, {Name: "Reference", Value: "7"},
		{Name: "From-Process", Value: p}, {Name: "From-Module", Value: testModule},
		{Name: "Variant", Value: "ao.TN.1"}, {Name: "Data-Protocol", Value: "ao"}, {Name: "Type", Value: "Process"},
		{Name: "From-Process", Value: p}, {Name: "Pushed-For", Value: u}, {Name: "Scheduler", Value: f.su.Address()}}
	if fmt.Sprint(ct) != fmt.Sprint(want) || string(child.Item.Data) != "child data" || child.Item.TargetID() != "" {
		t.Fatalf("child tags %v\nwant       %v", ct, want)
	}
}

// An outbox assignment is scheduled, and the assignment's own result
// cranked; run again (as after a crash before the job was finished) it
// finds the same assignment instead of making a second.
func TestCrankAssignment(t *testing.T) {
	f := newSUFixture(t)
	p, q := f.spawn("p"), f.spawn("q")
	cu := newFakeCU()
	const u = "UUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUU"
	cu.results[u] = `{"Output":"","Messages":[],"Spawns":[],"Assignments":[{"Processes":["` + q + `"],"Message":"` + p + `"}]}`
	c, err := NewCranker(CrankerConfig{Dir: filepath.Join(f.dir, "crank"), Computer: cu, SU: f.su, Signer: f.mu})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var next [2][]follow
	for i := range next {
		if next[i], err = c.crank(context.Background(), job{Process: p, Message: u}); err != nil {
			t.Fatal(err)
		}
	}
	entries := f.entries(q)
	if len(entries) != 1 || entries[0].Message != nil || entries[0].MessageID() != p {
		t.Fatalf("assignments on q: %+v", entries)
	}
	want := follow{q, entries[0].Assignment.ID(), u}
	if len(next[0]) != 1 || next[0][0] != want || len(next[1]) != 1 || next[1][0] != want {
		t.Fatalf("follow-up jobs %v then %v, want %v", next[0], next[1], want)
	}
}

// signMonitor signs the item aoconnect's monitor sends: target pid, data
// " ", no tags.
func signMonitor(t *testing.T, s arweave.Signer, pid string) []byte {
	item, err := arweave.SignDataItem(s, arweave.ItemOptions{Target: pid, Data: []byte(" ")})
	if err != nil {
		t.Fatal(err)
	}
	return item.Bytes()
}

func call(t *testing.T, method, url string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("%s %s: %d, not JSON: %v", method, url, resp.StatusCode, err)
	}
	return resp.StatusCode, v
}

// Check 10 of protocol.md 9, and the monitor routes' bad input: monitor
// answers 200, again 409 (reference 500), unmonitor 200, again 404
// (reference 500); only the owner may monitor; a monitor survives a
// restart.
func TestCheck10MonitorRoutes(t *testing.T) {
	f := newSUFixture(t)
	p := f.spawn("p", arweave.Tag{Name: "Cron-Interval", Value: "2-seconds"})
	cu := newFakeCU()
	c, stop := f.runCranker(cu, 0)
	mu, err := New(Config{Scheduler: f.su, Signer: f.mu, Cranker: c, MaxItemBytes: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mu.Handler())
	defer srv.Close()
	url := srv.URL + "/monitor/" + p
	body := signMonitor(t, f.user, p)

	stranger, _ := arweave.GenerateWallet(arweave.SignatureED25519)
	unknown := strings.Repeat("A", 43)
	bad := []struct {
		name   string
		method string
		url    string
		body   []byte
		status int
	}{
		{"no body", "POST", url, nil, 400},
		{"garbage", "POST", url, []byte("not a data item"), 400},
		{"huge", "POST", url, bytes.Repeat([]byte("x"), 4<<10), 413},
		{"not the owner", "POST", url, signMonitor(t, stranger, p), 403},
		{"another target", "POST", url, signMonitor(t, f.user, unknown), 400},
		{"unknown process", "POST", srv.URL + "/monitor/" + unknown, signMonitor(t, f.user, unknown), 404},
		{"unmonitor before monitor", "DELETE", url, body, 404},
	}
	for _, b := range bad {
		status, v := call(t, b.method, b.url, b.body)
		if status != b.status || v["error"] == nil {
			t.Errorf("%s: %d %v, want %d with an error", b.name, status, v, b.status)
		}
	}
	if c.Monitors() != nil {
		t.Fatalf("monitors after bad requests: %v", c.Monitors())
	}

	if status, v := call(t, "POST", url, body); status != 200 || v["message"] != "Monitoring process" {
		t.Fatalf("monitor: %d %v", status, v)
	}
	if status, v := call(t, "POST", url, body); status != 409 || v["error"] != "Process already being monitored" {
		t.Fatalf("monitor again: %d %v", status, v)
	}
	// The monitor is durable.
	stop()
	c, _ = f.runCranker(cu, 0)
	if got := c.Monitors(); len(got) != 1 || got[0] != p {
		t.Fatalf("monitors after a restart: %v", got)
	}
	mu, _ = New(Config{Scheduler: f.su, Signer: f.mu, Cranker: c})
	srv.Config.Handler = mu.Handler()
	if status, v := call(t, "DELETE", url, body); status != 200 || v["message"] != "Process deleted" {
		t.Fatalf("unmonitor: %d %v", status, v)
	}
	if status, v := call(t, "DELETE", url, body); status != 404 || v["error"] != "Process monitor not found" {
		t.Fatalf("unmonitor again: %d %v", status, v)
	}
}

// A monitored process is advanced, and each cron tick's outbox is pushed
// once, across restarts; after unmonitor nothing more is pushed.
func TestMonitorDeliversTicks(t *testing.T) {
	f := newSUFixture(t)
	p := f.spawn("p", arweave.Tag{Name: "Cron-Interval", Value: "1-second"})
	q := f.spawn("q")
	cu := newFakeCU()
	cu.tick(p, 1, q) // before the monitor: not delivered (the reference's cursor)
	c, stop := f.runCranker(cu, 0)
	if err := c.Monitor(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	cu.tick(p, 2, q)
	cu.tick(p, 3, "") // no outbox
	cu.tick(p, 4, q)
	f.waitEntries(q, 2)
	stop()
	for n := 5; n < 5+2*cronPage; n++ { // more than a page
		cu.tick(p, n, q)
	}
	c, stop = f.runCranker(cu, 0)
	f.waitEntries(q, 2+2*cronPage)
	waitIdle(t, c)
	var datas []string
	for _, e := range f.entries(q) {
		if e.Message.Tags.Value("Pushed-For") != "" || e.Message.Tags.Value("From-Process") != p {
			t.Fatalf("tick message tags %v", e.Message.Tags)
		}
		datas = append(datas, string(e.Message.Data))
	}
	if datas[0] != "tick 2" || datas[1] != "tick 4" || datas[len(datas)-1] != fmt.Sprintf("tick %d", 4+2*cronPage) {
		t.Fatalf("ticks delivered: %v ... %v", datas[:3], datas[len(datas)-1])
	}
	if err := c.Unmonitor(p); err != nil {
		t.Fatal(err)
	}
	if err := c.Unmonitor(p); !errors.Is(err, ErrNotMonitored) {
		t.Fatalf("unmonitor twice: %v", err)
	}
	cu.tick(p, 1000, q)
	time.Sleep(1500 * time.Millisecond) // a monitor would have advanced by now
	f.waitEntries(q, 2+2*cronPage)
	stop()
}

// A job that keeps failing becomes a dead letter; an operator lists it
// through the admin API and replays it, and its outbox is then delivered.
func TestDeadLetterReplay(t *testing.T) {
	f := newSUFixture(t)
	p, q := f.spawn("p"), f.spawn("q")
	cu := newFakeCU()
	const u = "UUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUU"
	cu.results[u] = fmt.Sprintf(`{"Output":"","Spawns":[],"Assignments":[],"Messages":[
		{"Target":%q,"Anchor":"00000000000000000000000000000001","Data":"late","Tags":[]}]}`, q)
	cu.fail = errors.New("the CU is down")
	c, _ := f.runCranker(cu, 2)
	mu, _ := New(Config{Scheduler: f.su, Signer: f.mu, Cranker: c})
	srv := httptest.NewServer(mu.AdminHandler())
	defer srv.Close()
	if err := c.Crank(p, u, ""); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.DeadLetterCount() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no dead letter")
		}
		time.Sleep(20 * time.Millisecond)
	}
	status, v := call(t, "GET", srv.URL+"/dead-letters", nil)
	list, _ := v["dead_letters"].([]any)
	if status != 200 || len(list) != 1 {
		t.Fatalf("dead letters: %d %v", status, v)
	}
	d := list[0].(map[string]any)
	if d["message"] != u || d["process"] != p || !strings.Contains(d["error"].(string), "the CU is down") || d["attempts"] != 2.0 {
		t.Fatalf("dead letter %v", d)
	}
	if status, _ := call(t, "POST", srv.URL+"/dead-letters/999/replay", nil); status != 404 {
		t.Fatalf("replay of no dead letter: %d", status)
	}
	if status, _ := call(t, "POST", srv.URL+"/dead-letters/x/replay", nil); status != 400 {
		t.Fatalf("replay of a bad seq: %d", status)
	}
	cu.mu.Lock()
	cu.fail = nil
	cu.mu.Unlock()
	if status, v := call(t, "POST", fmt.Sprintf("%s/dead-letters/%.0f/replay", srv.URL, d["seq"]), nil); status != 200 {
		t.Fatalf("replay: %d %v", status, v)
	}
	f.waitEntries(q, 1)
	if status, v := call(t, "GET", srv.URL+"/crank", nil); status != 200 || v["dead_letters"] != 0.0 {
		t.Fatalf("crank status: %d %v", status, v)
	}

	// Another one, dropped this time: it is gone, with its items.
	cu.mu.Lock()
	cu.fail = errors.New("down again")
	cu.mu.Unlock()
	if err := c.Crank(p, strings.Repeat("V", 43), ""); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); c.DeadLetterCount() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no second dead letter")
		}
	}
	list2, err := c.DeadLetters()
	if err != nil || len(list2) != 1 {
		t.Fatalf("dead letters: %v %v", list2, err)
	}
	drop := fmt.Sprintf("%s/dead-letters/%d", srv.URL, list2[0].Seq)
	if status, v := call(t, "DELETE", drop, nil); status != 200 || v["dropped"] != float64(list2[0].Seq) {
		t.Fatalf("drop: %d %v", status, v)
	}
	if status, _ := call(t, "DELETE", drop, nil); status != 404 {
		t.Fatalf("drop again: %d", status)
	}
	if list3, _ := c.DeadLetters(); len(list3) != 0 || c.DeadLetterCount() != 0 || c.Pending() != 0 {
		t.Fatalf("after the drop: %v, count %d, pending %d", list3, c.DeadLetterCount(), c.Pending())
	}
}
