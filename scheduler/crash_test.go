package scheduler_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/internal/ao"
	"github.com/aogo-dev/aogo/scheduler"
	"github.com/aogo-dev/aogo/scheduler/pebblelog"
)

// The shape of TestSUCrashKill.
const (
	crashRounds       = 5  // SU incarnations killed with SIGKILL
	crashInitialProcs = 30 // processes spawned before the first round
	crashClients      = 8  // concurrent posting clients
	crashPageLimit    = 173
	// crashStartTimeout bounds a child's start (a loaded machine may take
	// long to exec the test binary and open two pebble databases).
	crashStartTimeout = 2 * time.Minute
	// crashRequestTimeout bounds one HTTP request; an SU that is killed
	// drops its connections at once, so only a hung SU reaches it.
	crashRequestTimeout = time.Minute
)

// TestSUCrashKill is the acceptance test of issue 4. It runs the SU (the
// child TestSUCrashChild: embedded store, pebblelog, scheduler, HTTP API)
// in a child process, has several concurrent clients post signed messages
// to many processes (and spawn a few more) while another polls GET
// /timestamp, SIGKILLs the child at a random moment with requests in
// flight, restarts it and goes on, several times. Some clients retry their
// unanswered items after the restart with the same bytes; one client posts
// each item twice at once. After the last round it restarts the SU once
// more and checks, over HTTP and then in the pebblelog itself:
//
//   - every acknowledged process and message is in the log exactly once,
//     with the timestamp it was acknowledged with; no message is there
//     that was not posted, or twice, or in another process;
//   - each process's nonces are 0..n-1 without gaps, its timestamps
//     strictly increase (from the process's own), its hash chain verifies
//     from the seed, and every assignment is signed by the SU's wallet;
//   - the clock never goes backwards across restarts: the seals seen are
//     non-decreasing, every record a request created is stamped above
//     every seal seen before that request was sent, and so above every
//     seal seen before an earlier kill;
//   - the global append order (what the uploader reads) holds every record
//     once, with each process's entries in nonce order.
//
// Each incarnation's wall clock runs behind the real one by a random 0-4 s,
// so the wall clock jumps backwards across some restarts.
//
// A SIGKILL keeps what the kernel already holds, so this tests the
// acknowledgement protocol and recovery, not fsync (pebblelog's own tests
// cover lost unsynced writes).
func TestSUCrashKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the SU as a child process, killing and restarting it")
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := &crashRun{
		t:       t,
		dir:     t.TempDir(),
		rng:     rand.New(rand.NewPCG(seed, 1)),
		seed:    seed,
		items:   map[string]*crashItem{},
		pending: make([][]*crashItem, crashClients),
	}
	for range 3 {
		w, err := arweave.GenerateWallet(arweave.SignatureED25519)
		if err != nil {
			t.Fatal(err)
		}
		r.users = append(r.users, w)
	}

	for round := range crashRounds {
		c := r.start()
		if round == 0 {
			r.learnAddress(c)
			r.spawnInitial(c)
		}
		r.load(c, round)
		if t.Failed() {
			t.FailNow()
		}
	}

	c := r.start()
	r.seal(c, crashRounds) // the first seal after the last restart
	logged := r.verifyHTTP(c)
	c.kill()
	r.verifyLog(logged)
	r.verifySeals(logged)

	var acked, unacked, unackedKept, retried, dupAcked int
	for _, it := range r.items {
		_, isProc := logged.procTS[it.id]
		switch {
		case it.acked:
			acked++
		case logged.entries[it.id] != nil || isProc:
			unacked++
			unackedKept++
		default:
			unacked++
		}
		if it.retried {
			retried++
		}
		if it.acked && it.ackTS == 0 {
			dupAcked++
		}
	}
	t.Logf("%d rounds, %d processes, %d items posted: %d acknowledged (%d by \"already exists\" only), %d never (%d of them in the log), %d posted again after a restart; %d entries in the log; %d seals seen",
		crashRounds, len(logged.procTS), len(r.items), acked, dupAcked, unacked, unackedKept, retried, len(logged.entries), len(r.seals))
}

// crashItem is one data item the test posted (a Process or a Message).
type crashItem struct {
	process bool
	id      string
	pid     string // the target process (its own id for a Process)
	body    []byte

	attempts   int
	firstRound int
	firstBound int64 // the highest seal seen before the first attempt was sent
	retried    bool  // posted again after a restart

	history []string // what each attempt got, for failure messages

	acked    bool  // answered 200, or "already exists" to a repeated post
	ackTS    int64 // the timestamp answered with 200 (0 if only "already exists")
	ackRound int
	ackBound int64 // the highest seal seen before the attempt answered 200
}

// crashSeal is one answer of GET /timestamp.
type crashSeal struct {
	round int
	t     int64
}

// crashRun is the state of TestSUCrashKill.
type crashRun struct {
	t       *testing.T
	dir     string
	rng     *rand.Rand // the main goroutine's
	seed    uint64
	users   []arweave.Signer
	address string // the SU's
	anchors atomic.Int64

	stop    atomic.Bool  // the clients and the poller of the round stop
	maxSeal atomic.Int64 // the highest seal seen so far

	mu      sync.Mutex
	items   map[string]*crashItem
	pids    []string // acknowledged processes: targets of new messages
	seals   []crashSeal
	pending [][]*crashItem // per client: unanswered items to post again
}

// crashChild is one incarnation of the SU.
type crashChild struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	hc     *http.Client
	tr     *http.Transport
	stdin  io.WriteCloser
	stderr *crashBuffer
	eof    chan struct{} // closed when the child's stdout is drained
	once   sync.Once
}

// start starts the SU over r.dir and waits until it serves.
func (r *crashRun) start() *crashChild {
	t := r.t
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSUCrashChild$", "-test.count=1", "-test.v=false", "-test.timeout=0")
	// Each incarnation's wall clock is behind the real one by a random
	// amount, up to a few times the scheduler's clock reserve (1 s): the
	// machine's clock jumps back and forth across restarts, and the SU's
	// must not.
	skew := r.rng.IntN(4000)
	cmd.Env = append(os.Environ(), suCrashChildEnv+"="+r.dir, fmt.Sprintf("%s=%d", suCrashSkewEnv, skew))
	c := &crashChild{t: t, cmd: cmd, stderr: &crashBuffer{}, eof: make(chan struct{})}
	cmd.Stderr = c.stderr
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.kill()
		if t.Failed() && c.stderr.Len() > 0 {
			t.Logf("stderr of SU child %d:\n%s", cmd.Process.Pid, c.stderr.Tail(8<<10))
		}
	})
	urls := make(chan string, 1)
	go func() {
		defer close(c.eof)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), suCrashURLPrefix); ok {
				select {
				case urls <- u:
				default:
				}
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case c.url = <-urls:
	case <-c.eof:
		t.Fatalf("the SU child exited before serving:\n%s", c.stderr.Tail(8<<10))
	case <-time.After(crashStartTimeout):
		t.Fatalf("the SU child did not serve within %v:\n%s", crashStartTimeout, c.stderr.Tail(8<<10))
	}
	c.tr = &http.Transport{MaxIdleConnsPerHost: 2 * crashClients, DisableCompression: true}
	c.hc = &http.Client{Transport: c.tr, Timeout: crashRequestTimeout}
	return c
}

// kill SIGKILLs the child and reaps it. It may be called more than once.
func (c *crashChild) kill() {
	c.once.Do(func() {
		if err := c.cmd.Process.Kill(); err != nil {
			c.t.Errorf("kill the SU child: %v", err)
		}
		<-c.eof // Wait must not run before the stdout pipe is drained
		c.cmd.Wait()
		c.stdin.Close()
		c.tr.CloseIdleConnections()
	})
}

// crashBuffer collects a child's stderr.
type crashBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *crashBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *crashBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Len()
}

// Tail returns the last n bytes written.
func (b *crashBuffer) Tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.b.String()
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

// crashAnswer is the JSON answer of POST / (or an error).
type crashAnswer struct {
	ID        string `json:"id"`
	Timestamp int64  `json:"timestamp"`
	Error     string `json:"error"`
}

// post sends body to POST /. An error means that no complete answer
// arrived: the item is unacknowledged.
func (c *crashChild) post(body []byte) (int, crashAnswer, error) {
	var ans crashAnswer
	res, err := c.hc.Post(c.url+"/", "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		return 0, ans, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, ans, err
	}
	if err := json.Unmarshal(b, &ans); err != nil {
		c.t.Errorf("POST /: status %d, body not JSON: %q", res.StatusCode, b)
	}
	return res.StatusCode, ans, nil
}

// get fetches path and decodes a 200 answer into v; an error means no
// complete answer.
func (c *crashChild) get(path string, v any) (int, error) {
	res, err := c.hc.Get(c.url + path)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	if res.StatusCode == http.StatusOK && v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			return 0, fmt.Errorf("GET %s: %v: %q", path, err, b)
		}
	}
	return res.StatusCode, nil
}

// mustGet is get on a live SU, failing the test on any error.
func (c *crashChild) mustGet(path string, v any) int {
	c.t.Helper()
	code, err := c.get(path, v)
	if err != nil {
		c.t.Fatal(err)
	}
	return code
}

func (r *crashRun) learnAddress(c *crashChild) {
	var root struct {
		Address string `json:"address"`
	}
	if code := c.mustGet("/", &root); code != 200 || root.Address == "" {
		r.t.Fatalf("GET /: %d %+v", code, root)
	}
	r.address = root.Address
	w, err := arweave.LoadWallet(filepath.Join(r.dir, suCrashWallet))
	if err != nil {
		r.t.Fatal(err)
	}
	if a := arweave.SignerAddress(w); a != r.address {
		r.t.Fatalf("the SU answers address %s; its saved wallet is %s", r.address, a)
	}
}

// spawnInitial schedules the first processes, concurrently; the SU is not
// killed meanwhile, so each must be acknowledged.
func (r *crashRun) spawnInitial(c *crashChild) {
	items := make([]*crashItem, crashInitialProcs)
	for i := range items {
		items[i] = r.newProcess(r.rng)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := i; j < len(items); j += 4 {
				if !r.attempt(c, items[j], 0) {
					r.t.Errorf("spawn %s: no answer", items[j].id)
				}
			}
		}()
	}
	wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pids) != crashInitialProcs {
		r.t.Fatalf("%d of %d processes spawned", len(r.pids), crashInitialProcs)
	}
}

// load runs the clients and the seal poller against c, kills c at a random
// moment while they post, and waits for them.
func (r *crashRun) load(c *crashChild, round int) {
	r.stop.Store(false)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(r.seed, uint64(1000+round)))
		for !r.stop.Load() {
			r.seal(c, round)
			time.Sleep(time.Duration(rng.IntN(8)) * time.Millisecond)
		}
	}()
	for k := range crashClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.client(c, k, round)
		}()
	}
	time.Sleep(time.Duration(150+r.rng.IntN(1200)) * time.Millisecond)
	c.kill() // with requests in flight
	r.stop.Store(true)
	wg.Wait()
}

// seal reads GET /timestamp once; it records the seal only when it was
// answered.
func (r *crashRun) seal(c *crashChild, round int) {
	var ts struct {
		Timestamp string `json:"timestamp"`
	}
	code, err := c.get("/timestamp", &ts)
	if err != nil {
		if round == crashRounds { // no kill in the final round
			r.t.Errorf("GET /timestamp: %v", err)
		}
		time.Sleep(time.Millisecond) // killed: until the round stops
		return
	}
	n, perr := strconv.ParseInt(ts.Timestamp, 10, 64)
	if code != 200 || perr != nil {
		r.t.Errorf("GET /timestamp: %d %q", code, ts.Timestamp)
		return
	}
	r.mu.Lock()
	r.seals = append(r.seals, crashSeal{round, n})
	r.mu.Unlock()
	for {
		old := r.maxSeal.Load()
		if n <= old || r.maxSeal.CompareAndSwap(old, n) {
			return
		}
	}
}

// client posts items to c until it is killed. Odd clients keep their
// unanswered items and post them again (same bytes) after the restart;
// client 0 posts each message twice at once; client 1 also spawns
// processes now and then.
func (r *crashRun) client(c *crashChild, k, round int) {
	rng := rand.New(rand.NewPCG(r.seed, uint64(k+1)<<32|uint64(round)))
	retrier := k%2 == 1
	r.mu.Lock()
	pending := r.pending[k]
	r.pending[k] = nil
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.pending[k] = pending
		r.mu.Unlock()
	}()
	for len(pending) > 0 && !r.stop.Load() {
		it := pending[0]
		r.mu.Lock()
		it.retried = true
		r.mu.Unlock()
		if !r.attempt(c, it, round) {
			return // killed: it stays pending
		}
		pending = pending[1:]
	}
	for i := 0; !r.stop.Load(); i++ {
		var it *crashItem
		if k == 1 && i%20 == 19 {
			it = r.newProcess(rng)
		} else {
			it = r.newMessage(rng)
		}
		var answered bool
		if k == 0 {
			var a, b bool
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); a = r.attempt(c, it, round) }()
			b = r.attempt(c, it, round)
			wg.Wait()
			answered = a && b
		} else {
			answered = r.attempt(c, it, round)
		}
		if !answered {
			if retrier {
				pending = append(pending, it)
			}
			return // killed
		}
	}
}

func (r *crashRun) sign(rng *rand.Rand, target string, tags []arweave.Tag) *crashItem {
	data := make([]byte, 1+rng.IntN(300))
	for i := range data {
		data[i] = byte(' ' + rng.IntN(95))
	}
	// A unique anchor: ed25519 signatures are deterministic.
	anchor := fmt.Sprintf("crash%027d", r.anchors.Add(1))
	item, err := arweave.SignDataItem(r.users[rng.IntN(len(r.users))], arweave.ItemOptions{Target: target, Anchor: anchor, Tags: tags, Data: data})
	if err != nil {
		r.t.Error(err)
		return nil
	}
	it := &crashItem{id: item.ID(), pid: target, body: item.Bytes()}
	r.mu.Lock()
	r.items[it.id] = it
	r.mu.Unlock()
	return it
}

func (r *crashRun) newProcess(rng *rand.Rand) *crashItem {
	it := r.sign(rng, "", []arweave.Tag{
		{Name: "Data-Protocol", Value: "ao"}, {Name: "Variant", Value: "ao.TN.1"}, {Name: "Type", Value: "Process"},
		{Name: "Module", Value: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, {Name: "Scheduler", Value: r.address},
	})
	r.mu.Lock()
	it.process, it.pid = true, it.id
	r.mu.Unlock()
	return it
}

func (r *crashRun) newMessage(rng *rand.Rand) *crashItem {
	r.mu.Lock()
	pid := r.pids[rng.IntN(len(r.pids))]
	r.mu.Unlock()
	return r.sign(rng, pid, []arweave.Tag{
		{Name: "Data-Protocol", Value: "ao"}, {Name: "Variant", Value: "ao.TN.1"}, {Name: "Type", Value: "Message"},
	})
}

// attempt posts it once and records the answer; it reports whether an
// answer arrived.
func (r *crashRun) attempt(c *crashChild, it *crashItem, round int) bool {
	t := r.t
	bound := r.maxSeal.Load() // read before the request is sent
	r.mu.Lock()
	if it.attempts == 0 {
		it.firstRound, it.firstBound = round, bound
	}
	it.attempts++
	r.mu.Unlock()

	code, ans, err := c.post(it.body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		it.history = append(it.history, fmt.Sprintf("round %d: no answer", round))
		return false
	}
	it.history = append(it.history, fmt.Sprintf("round %d: %d %d %q", round, code, ans.Timestamp, ans.Error))
	switch {
	case code == 200:
		if ans.ID != it.id {
			t.Errorf("POST %s: answered id %s", it.id, ans.ID)
		}
		if it.ackTS != 0 {
			t.Errorf("POST %s: acknowledged with 200 twice (timestamps %d and %d)", it.id, it.ackTS, ans.Timestamp)
		}
		if ans.Timestamp <= bound {
			t.Errorf("POST %s in round %d: timestamp %d is not above the seal %d seen before it was sent", it.id, round, ans.Timestamp, bound)
		}
		if !it.acked || it.ackTS == 0 {
			it.ackRound = round
		}
		it.acked, it.ackTS, it.ackBound = true, ans.Timestamp, bound
		if it.process {
			r.pids = append(r.pids, it.id)
		}
	case code == 400 && strings.Contains(ans.Error, "already exists") && it.attempts > 1:
		// A repeated post: the item is in the log (this answer acknowledges
		// it too).
		if !it.acked {
			it.acked, it.ackRound = true, round
			if it.process {
				r.pids = append(r.pids, it.id)
			}
		}
	default:
		t.Errorf("POST %s (attempt %d, round %d): %d %q", it.id, it.attempts, round, code, ans.Error)
	}
	return true
}

// crashLogged is what the final SU holds, as read over HTTP.
type crashLogged struct {
	procTS  map[string]int64         // processes in the log: their timestamps
	entries map[string]*crashEntry   // by message id
	byPID   map[string][]*crashEntry // in nonce order
	items   map[string]*crashItem    // a snapshot of r.items
	seals   []crashSeal              // a snapshot of r.seals
}

type crashEntry struct {
	pid          string
	nonce        int64
	timestamp    int64
	messageID    string
	assignmentID string
	hashChain    string
}

// verifyHTTP reads every process's log over HTTP and checks it.
func (r *crashRun) verifyHTTP(c *crashChild) *crashLogged {
	t := r.t
	r.mu.Lock()
	lg := &crashLogged{
		procTS: map[string]int64{}, entries: map[string]*crashEntry{}, byPID: map[string][]*crashEntry{},
		items: r.items, seals: append([]crashSeal(nil), r.seals...),
	}
	r.mu.Unlock()

	for _, it := range lg.items {
		if !it.process {
			continue
		}
		var p scheduler.ProcessJSON
		switch code := c.mustGet("/processes/"+it.id, &p); {
		case code == 200:
			lg.procTS[it.id] = p.Timestamp
			if it.acked && it.ackTS != 0 && p.Timestamp != it.ackTS {
				t.Errorf("process %s: timestamp %d, acknowledged %d", it.id, p.Timestamp, it.ackTS)
			}
		case code == 404:
			if it.acked {
				t.Errorf("acknowledged process %s (round %d) is lost; posts: %q", it.id, it.ackRound, it.history)
			}
		default:
			t.Errorf("GET /processes/%s: %d", it.id, code)
		}
	}

	for pid, pts := range lg.procTS {
		r.readProcess(c, lg, pid, pts)
	}

	// Exactly once: the log holds no message twice (readProcess) and no
	// message that was not posted, each in the process it targets; every
	// acknowledged message is there with its timestamp.
	for id, e := range lg.entries {
		it := lg.items[id]
		switch {
		case it == nil || it.process:
			t.Errorf("process %s nonce %d holds message %s, which was never posted", e.pid, e.nonce, id)
		case it.pid != e.pid:
			t.Errorf("message %s for %s is in %s", id, it.pid, e.pid)
		}
	}
	for id, it := range lg.items {
		if it.process || !it.acked {
			continue
		}
		e := lg.entries[id]
		switch {
		case e == nil && it.ackTS == 0:
			t.Errorf("message %s, acknowledged in round %d by \"already exists\" only, is lost: the duplicate was answered before the first post's entry was durable; posts: %q", id, it.ackRound, it.history)
		case e == nil:
			t.Errorf("acknowledged message %s (round %d) is lost; posts: %q", id, it.ackRound, it.history)
		case it.ackTS != 0 && e.timestamp != it.ackTS:
			t.Errorf("message %s: timestamp %d in the log, acknowledged %d", id, e.timestamp, it.ackTS)
		}
	}

	// One entry at a time: GET /{id}?process-id= agrees with the pages
	// (every retried or twice-posted message, and a sample of the rest).
	var ids []string
	for id, it := range lg.items {
		if e := lg.entries[id]; e != nil && (it.retried || it.attempts > 1 || r.rng.IntN(8) == 0) {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		e := lg.entries[id]
		var one scheduler.EntryJSON
		if code := c.mustGet("/"+id+"?process-id="+url.QueryEscape(e.pid), &one); code != 200 {
			t.Errorf("GET /%s?process-id=%s: %d", id, e.pid, code)
			continue
		}
		if one.Assignment.ID != e.assignmentID || one.Message == nil || one.Message.ID != id {
			t.Errorf("GET /%s?process-id=%s: assignment %s, want %s", id, e.pid, one.Assignment.ID, e.assignmentID)
		}
	}
	return lg
}

// readProcess pages through the log of pid by nonce and checks nonces,
// timestamps, the hash chain and the assignment tags.
func (r *crashRun) readProcess(c *crashChild, lg *crashLogged, pid string, processTS int64) {
	t := r.t
	chain, err := ao.HashChainSeed(pid)
	if err != nil {
		t.Fatal(err)
	}
	var (
		next   int64
		lastTS = processTS
		prevID string
	)
	for from := int64(-1); ; {
		var page scheduler.PageJSON
		path := fmt.Sprintf("/%s?process-id=%s&from-nonce=%d&limit=%d", pid, pid, from, crashPageLimit)
		if code := c.mustGet(path, &page); code != 200 {
			t.Fatalf("GET %s: %d", path, code)
		}
		for _, edge := range page.Edges {
			a := edge.Node.Assignment
			tags := map[string]string{}
			for _, tg := range a.Tags {
				tags[tg.Name] = tg.Value
			}
			n, _ := strconv.ParseInt(tags["Nonce"], 10, 64)
			ts, _ := strconv.ParseInt(tags["Timestamp"], 10, 64)
			where := fmt.Sprintf("process %s nonce %d", pid, next)
			if prevID != "" {
				if chain, err = ao.NextHashChain(prevID, chain); err != nil {
					t.Fatalf("%s: %v", where, err)
				}
			}
			switch {
			case tags["Nonce"] != strconv.FormatInt(next, 10) || edge.Cursor != tags["Nonce"]:
				t.Fatalf("%s: found nonce %q (cursor %q): a gap or a repeat", where, tags["Nonce"], edge.Cursor)
			case tags["Process"] != pid || tags["Epoch"] != "0" || tags["Type"] != "Assignment":
				t.Errorf("%s: assignment tags %v", where, tags)
			case ts <= lastTS:
				t.Errorf("%s: timestamp %d is not above the previous %d", where, ts, lastTS)
			case tags["Hash-Chain"] != chain:
				t.Errorf("%s: Hash-Chain %s, want %s", where, tags["Hash-Chain"], chain)
			case a.Owner.Address != r.address:
				t.Errorf("%s: assignment signed by %s, not the SU %s", where, a.Owner.Address, r.address)
			case edge.Node.Message == nil || edge.Node.Message.ID != tags["Message"] || edge.Node.Message.Target != pid:
				t.Errorf("%s: message %+v does not match the assignment's Message %s", where, edge.Node.Message, tags["Message"])
			}
			id := tags["Message"]
			if old := lg.entries[id]; old != nil {
				t.Errorf("message %s is in the log twice: %s nonce %d and %s nonce %d", id, old.pid, old.nonce, pid, n)
			}
			e := &crashEntry{pid: pid, nonce: n, timestamp: ts, messageID: id, assignmentID: a.ID, hashChain: tags["Hash-Chain"]}
			lg.entries[id] = e
			lg.byPID[pid] = append(lg.byPID[pid], e)
			next, lastTS, prevID, chain = next+1, ts, a.ID, tags["Hash-Chain"]
		}
		if !page.PageInfo.HasNextPage {
			return
		}
		if len(page.Edges) == 0 {
			t.Fatalf("GET %s: an empty page with a next page", path)
		}
		from = next - 1
	}
}

// verifyLog opens the dead SU's pebblelog and checks what HTTP cannot
// show: the assignments' and messages' signatures, and the global append
// order.
func (r *crashRun) verifyLog(lg *crashLogged) {
	t := r.t
	ctx := context.Background()
	l, err := pebblelog.Open(pebblelog.Config{Dir: filepath.Join(r.dir, suCrashLogDir)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	w, err := arweave.LoadWallet(filepath.Join(r.dir, suCrashWallet))
	if err != nil {
		t.Fatal(err)
	}
	suOwner := w.Owner()

	all := int64(-1)
	for pid := range lg.procTS {
		want := lg.byPID[pid]
		got, more, err := l.Entries(ctx, pid, scheduler.Range{FromNonce: &all, Limit: len(want) + 1})
		if err != nil {
			t.Fatal(err)
		}
		if more || len(got) != len(want) {
			t.Errorf("process %s: %d entries in the log (more: %v), %d over HTTP", pid, len(got), more, len(want))
			continue
		}
		for i, e := range got {
			where := fmt.Sprintf("process %s nonce %d", pid, e.Nonce)
			if e.Nonce != int64(i) || e.Assignment.ID() != want[i].assignmentID || e.HashChain != want[i].hashChain || e.Timestamp != want[i].timestamp {
				t.Errorf("%s: the log holds assignment %s, HTTP showed %s", where, e.Assignment.ID(), want[i].assignmentID)
			}
			if err := e.Assignment.Verify(); err != nil {
				t.Errorf("%s: assignment: %v", where, err)
			}
			if !bytes.Equal(e.Assignment.Owner, suOwner) {
				t.Errorf("%s: assignment not signed by the SU's wallet", where)
			}
			if e.Message == nil {
				t.Errorf("%s: no message", where)
			} else if err := e.Message.Verify(); err != nil {
				t.Errorf("%s: message: %v", where, err)
			} else if it := lg.items[e.Message.ID()]; it != nil && !bytes.Equal(e.Message.Bytes(), it.body) {
				t.Errorf("%s: message %s is not the bytes posted", where, it.id)
			}
		}
	}

	// The global order holds every record once: each process before its
	// entries, which follow in nonce order.
	var (
		seq       uint64
		procs     int
		entries   int
		nextNonce = map[string]int64{}
	)
	for {
		recs, err := l.Since(ctx, seq, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		for _, rec := range recs {
			if rec.Seq() <= seq {
				t.Fatalf("global order: seq %d after %d", rec.Seq(), seq)
			}
			seq = rec.Seq()
			switch {
			case rec.Process != nil:
				procs++
				if _, ok := lg.procTS[rec.Process.ID()]; !ok {
					t.Errorf("global order: process %s is not in the log over HTTP", rec.Process.ID())
				}
				if _, ok := nextNonce[rec.Process.ID()]; ok {
					t.Errorf("global order: process %s twice", rec.Process.ID())
				}
				nextNonce[rec.Process.ID()] = 0
			default:
				entries++
				e := rec.Entry
				n, ok := nextNonce[e.Process]
				if !ok || e.Nonce != n {
					t.Errorf("global order: process %s nonce %d at seq %d, expected nonce %d (process seen: %v)", e.Process, e.Nonce, seq, n, ok)
				}
				nextNonce[e.Process] = e.Nonce + 1
			}
		}
	}
	if procs != len(lg.procTS) || entries != len(lg.entries) || seq != l.LastSeq() {
		t.Errorf("global order: %d processes and %d entries up to seq %d (LastSeq %d); HTTP shows %d and %d",
			procs, entries, seq, l.LastSeq(), len(lg.procTS), len(lg.entries))
	}
}

// verifySeals checks that the clock never went backwards: seals never
// decrease, and every record is stamped above every seal seen before the
// request that created it was sent, and so above every seal seen before
// the kill that preceded it.
func (r *crashRun) verifySeals(lg *crashLogged) {
	t := r.t
	if len(lg.seals) == 0 || lg.seals[len(lg.seals)-1].round != crashRounds {
		t.Fatalf("no seal after the last restart")
	}
	// maxBefore[k]: the highest seal seen in rounds before k (before the
	// kill that ended round k-1).
	maxBefore := make([]int64, crashRounds+2)
	perRound := make([]int, crashRounds+1)
	prev := lg.seals[0]
	for _, s := range lg.seals {
		if s.t < prev.t {
			t.Errorf("the seal went backwards: %d (round %d) after %d (round %d)", s.t, s.round, prev.t, prev.round)
		}
		prev = s
		perRound[s.round]++
		maxBefore[s.round+1] = max(maxBefore[s.round+1], s.t)
	}
	for k := 1; k < len(maxBefore); k++ {
		maxBefore[k] = max(maxBefore[k], maxBefore[k-1])
	}
	t.Logf("seals seen per round: %v", perRound)

	check := func(what, id string, ts int64, it *crashItem) {
		// The attempt that created the record: the one answered 200 if any,
		// else (unanswered, or answered "already exists") at the latest the
		// first.
		round, bound := it.firstRound, it.firstBound
		if it.ackTS != 0 {
			round, bound = it.ackRound, it.ackBound
		}
		if ts <= bound {
			t.Errorf("%s %s is stamped %d, not above the seal %d seen before it was posted", what, id, ts, bound)
		}
		if ts <= maxBefore[round] {
			t.Errorf("%s %s (posted in round %d) is stamped %d, not above the seal %d seen before an earlier kill", what, id, round, ts, maxBefore[round])
		}
	}
	for id, e := range lg.entries {
		if it := lg.items[id]; it != nil {
			check("message", id, e.timestamp, it)
		}
	}
	for pid, ts := range lg.procTS {
		check("process", pid, ts, lg.items[pid])
	}
}
