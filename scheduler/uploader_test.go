package scheduler_test

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/arweave/remote"
	"github.com/aogo-dev/aogo/internal/arlocaltest"
	"github.com/aogo-dev/aogo/scheduler"
	"github.com/aogo-dev/aogo/scheduler/pebblelog"
)

// upNode is an SU without HTTP (a scheduler over a pebblelog in dir/log)
// and the store it indexes processes in, for the uploader tests.
type upNode struct {
	t      *testing.T
	dir    string
	wallet arweave.Signer // the SU's
	user   arweave.Signer
	store  arweave.Store
	log    *pebblelog.Log
	su     *scheduler.Scheduler
	closed bool
	closes []func() error
}

// openUpNode opens an SU over dir; store nil means an embedded store in
// dir/store signing bundles with the SU wallet.
func openUpNode(t *testing.T, dir string, wallet arweave.Signer, store arweave.Store) *upNode {
	t.Helper()
	n := &upNode{t: t, dir: dir, wallet: wallet, user: upWallet(t)}
	if store == nil {
		s, err := embedded.Open(embedded.Config{Dir: filepath.Join(dir, "store"), Signer: wallet})
		if err != nil {
			t.Fatal(err)
		}
		store = s
		n.closes = append(n.closes, s.Close)
	}
	n.store = store
	var err error
	if n.log, err = pebblelog.Open(pebblelog.Config{Dir: filepath.Join(dir, "log")}); err != nil {
		t.Fatal(err)
	}
	if n.su, err = scheduler.New(context.Background(), scheduler.Config{Log: n.log, Store: store, Signer: wallet}); err != nil {
		t.Fatal(err)
	}
	n.closes = append([]func() error{n.su.Close, n.log.Close}, n.closes...)
	t.Cleanup(n.close)
	return n
}

func (n *upNode) close() {
	if n.closed {
		return
	}
	n.closed = true
	for _, c := range n.closes {
		if err := c(); err != nil {
			n.t.Error(err)
		}
	}
}

func upWallet(t *testing.T) arweave.Signer {
	t.Helper()
	w, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

var upItems atomic.Int64

func (n *upNode) sign(target string, tags ...arweave.Tag) *arweave.DataItem {
	n.t.Helper()
	it, err := arweave.SignDataItem(n.user, arweave.ItemOptions{
		Target: target,
		Anchor: fmt.Sprintf("uploader-%023d", upItems.Add(1)),
		Tags:   append([]arweave.Tag{tag("Data-Protocol", "ao"), tag("Variant", "ao.TN.1")}, tags...),
		Data:   []byte(strings.Repeat("payload ", 20)),
	})
	if err != nil {
		n.t.Fatal(err)
	}
	return it
}

// spawn schedules a new process and returns its id.
func (n *upNode) spawn() string {
	n.t.Helper()
	p := n.sign("", tag("Type", "Process"), tag("Module", testModule), tag("Scheduler", n.su.Address()))
	if _, err := n.su.Schedule(context.Background(), p); err != nil {
		n.t.Fatal(err)
	}
	return p.ID()
}

// send schedules a message to pid and returns its id. It may run on any
// goroutine.
func (n *upNode) send(pid string) (string, error) {
	m, err := arweave.SignDataItem(n.user, arweave.ItemOptions{
		Target: pid,
		Anchor: fmt.Sprintf("uploader-%023d", upItems.Add(1)),
		Tags:   []arweave.Tag{tag("Data-Protocol", "ao"), tag("Variant", "ao.TN.1"), tag("Type", "Message"), tag("Action", "Eval")},
		Data:   []byte(strings.Repeat("payload ", 20)),
	})
	if err != nil {
		return "", err
	}
	if _, err := n.su.Schedule(context.Background(), m); err != nil {
		return "", err
	}
	return m.ID(), nil
}

func (n *upNode) mustSend(pid string) string {
	n.t.Helper()
	id, err := n.send(pid)
	if err != nil {
		n.t.Fatal(err)
	}
	return id
}

// sendMany schedules count messages to each process, the processes in
// parallel.
func (n *upNode) sendMany(pids []string, count int) {
	n.t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(pids))
	for _, pid := range pids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range count {
				if _, err := n.send(pid); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		n.t.Fatal(err)
	}
}

// startUploader runs an uploader until the returned stop is called (or
// the test ends); stop checks that Run returned nil.
func startUploader(t *testing.T, cfg scheduler.UploaderConfig) (*scheduler.Uploader, func()) {
	t.Helper()
	u, err := scheduler.NewUploader(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return u, stop
}

// waitCaughtUp waits until the uploader has uploaded every record of the
// log.
func waitCaughtUp(t *testing.T, u *scheduler.Uploader) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		s := u.Status()
		if s.Lag == 0 && s.Uploaded == s.LogSeq {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("uploader did not catch up: %+v", s)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// bundleCensus reads every bundle wrapper in the store and returns, for
// each item id, the indexes of the wrappers holding it, with the wrappers'
// items in order.
func bundleCensus(t *testing.T, store arweave.Store) (where map[string][]int, bundles [][]*arweave.DataItem) {
	t.Helper()
	ctx := context.Background()
	where = make(map[string][]int)
	q := arweave.TxQuery{Tags: []arweave.TagFilter{{Name: "Bundle-Format", Values: []string{"binary"}}}, First: 100, Sort: arweave.HeightAsc}
	for {
		page, err := store.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Edges {
			w, err := store.Item(ctx, e.Node.ID)
			if err != nil {
				t.Fatal(err)
			}
			items, err := arweave.DecodeBundle(w.Data)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range items {
				where[it.ID()] = append(where[it.ID()], len(bundles))
			}
			bundles = append(bundles, items)
		}
		if !page.HasNextPage {
			return where, bundles
		}
		q.After = page.Edges[len(page.Edges)-1].Cursor
	}
}

// checkExactlyOnce checks, from the store alone, that every record of the
// log is in the store and that every entry's items were bundled exactly
// once, the assignment right before its message, in bundles of at most
// maxBundle bytes (unless one record is larger). Process items must be
// held and never bundled: the scheduler indexed them when it scheduled
// them, and the uploader skips items the store holds. It returns the
// records.
func checkExactlyOnce(t *testing.T, log scheduler.Log, store arweave.Store, maxBundle int64) []scheduler.Record {
	t.Helper()
	ctx := context.Background()
	where, bundles := bundleCensus(t, store)
	recs, err := log.Since(ctx, 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 || recs[len(recs)-1].Seq() != log.LastSeq() {
		t.Fatalf("%d records read, last seq %d", len(recs), log.LastSeq())
	}
	bundled := 0
	for _, r := range recs {
		if r.Process != nil {
			id := r.Process.ID()
			if _, err := store.Transaction(ctx, id); err != nil {
				t.Errorf("process %s: %v", id, err)
			}
			if len(where[id]) != 0 {
				t.Errorf("process %s, indexed when scheduled, was bundled again in %v", id, where[id])
			}
			continue
		}
		e := r.Entry
		a := e.Assignment.ID()
		if len(where[a]) != 1 {
			t.Errorf("assignment %d of %s bundled %d times", e.Nonce, e.Process, len(where[a]))
			continue
		}
		bundled++
		if e.Message == nil {
			continue
		}
		bundled++
		m := e.Message.ID()
		if len(where[m]) != 1 || where[m][0] != where[a][0] {
			t.Errorf("message %s of nonce %d of %s bundled in %v, its assignment in %v", m, e.Nonce, e.Process, where[m], where[a])
			continue
		}
		b := bundles[where[a][0]]
		for i, it := range b {
			if it.ID() == a && (i+1 == len(b) || b[i+1].ID() != m) {
				t.Errorf("message %s does not follow its assignment", m)
			}
		}
	}
	total := 0
	for i, b := range bundles {
		total += len(b)
		size := int64(len(arweave.EncodeBundle(b)))
		if size > maxBundle && len(b) > 2 {
			t.Errorf("bundle %d holds %d items in %d bytes, over %d", i, len(b), size, maxBundle)
		}
	}
	if total != bundled {
		t.Errorf("%d items bundled, want %d", total, bundled)
	}
	return recs
}

// verifyAll runs VerifyProcess on each process and checks that its log
// is whole: want[pid] entries, with no problem.
func verifyAll(t *testing.T, store arweave.Store, want map[string]int) {
	t.Helper()
	for pid, n := range want {
		r, err := scheduler.VerifyProcess(context.Background(), store, pid)
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK() || r.Assignments != n || r.LastNonce != int64(n-1) || r.Messages != n {
			t.Errorf("process %s: %d assignments (want %d), last nonce %d, %d messages, problems %v",
				pid, r.Assignments, n, r.LastNonce, r.Messages, r.Problems)
		}
	}
}

// entriesPerProcess counts the entries of each process in recs.
func entriesPerProcess(recs []scheduler.Record) map[string]int {
	m := make(map[string]int)
	for _, r := range recs {
		if r.Process != nil {
			m[r.Process.ID()] += 0
		} else {
			m[r.Entry.Process]++
		}
	}
	return m
}

// TestUploaderUploadsLog: every record of the log reaches the store
// exactly once, in bundles of at most MaxBundleBytes (the assignment of an
// entry right before its message), processes indexed at scheduling are not
// bundled again, records scheduled while the uploader runs follow, a new
// uploader resumes from the durable cursor without uploading anything
// twice, and VerifyProcess finds every process's log whole from the store
// alone.
func TestUploaderUploadsLog(t *testing.T) {
	ctx := context.Background()
	n := openUpNode(t, t.TempDir(), upWallet(t), nil)
	pids := []string{n.spawn(), n.spawn(), n.spawn()}
	n.sendMany(pids, 16)
	// An assignment of an existing transaction (a message to a process of
	// another SU): an entry without a message item.
	foreign := n.sign(vtRandomID(t), tag("Type", "Message"))
	if err := n.store.PutItems(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	if _, err := n.su.Assign(ctx, scheduler.AssignRequest{Process: pids[1], Transaction: foreign.ID()}); err != nil {
		t.Fatal(err)
	}
	const maxBundle = 8 << 10
	cfg := scheduler.UploaderConfig{Log: n.log, Store: anchoredStore{n.store, n.wallet}, MaxBundleBytes: maxBundle, MaxAge: 10 * time.Millisecond, PollInterval: 5 * time.Millisecond}
	u, stop := startUploader(t, cfg)
	waitCaughtUp(t, u)

	// Records scheduled while it runs.
	for _, pid := range pids {
		n.mustSend(pid)
		u.Notify()
	}
	waitCaughtUp(t, u)
	if s := u.Status(); s.LastError != "" {
		t.Errorf("status %+v", s)
	}
	stop()
	_, before := bundleCensus(t, n.store)

	// A new uploader continues from the cursor.
	u, stop = startUploader(t, cfg)
	waitCaughtUp(t, u)
	n.mustSend(pids[2])
	waitCaughtUp(t, u)
	stop()
	_, after := bundleCensus(t, n.store)
	if len(after) != len(before)+1 || len(before) < 3 {
		t.Errorf("%d bundles, then %d after one more message; want several, then one more", len(before), len(after))
	}

	recs := checkExactlyOnce(t, n.log, n.store, maxBundle)
	want := entriesPerProcess(recs)
	if want[pids[1]] != 18 {
		t.Fatalf("entries %v", want)
	}
	verifyAll(t, n.store, want)
	// The assigned message was checked for existence only; the others
	// for their target too.
	r, err := scheduler.VerifyProcess(ctx, n.store, pids[1])
	if err != nil {
		t.Fatal(err)
	}
	if r.TargetsChecked != 17 {
		t.Errorf("%d targets checked in %s, want 17", r.TargetsChecked, pids[1])
	}
}

// Child roles of TestUploaderKill.
const (
	// upChildEnv switches TestUploaderChild on; its value is the data
	// directory (dir/log, dir/store, dir/wallet.json).
	upChildEnv = "AOGO_UPLOADER_CHILD_DIR"
	// upExitAfterPutEnv makes the child SIGKILL itself right after its
	// n-th successful PutBundle, before the uploader writes its cursor.
	upExitAfterPutEnv = "AOGO_UPLOADER_EXIT_AFTER_PUT"
	// upChildBundle is how much the child puts in a bundle: a few
	// records, so that there are many bundles to be killed between.
	upChildBundle = 4 << 10
)

// TestUploaderKill SIGKILLs an uploader running in a child process at
// random points, and once deterministically right after a PutBundle and
// before the cursor write, restarting it each time, and shows that the
// store ends up holding every entry exactly once (no bundle is put twice)
// and that VerifyProcess finds every log whole. Each process has more than
// 100 entries, so VerifyProcess pages through its query.
func TestUploaderKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	dir := t.TempDir()
	wallet := upWallet(t)
	if err := arweave.SaveWallet(filepath.Join(dir, "wallet.json"), wallet); err != nil {
		t.Fatal(err)
	}
	n := openUpNode(t, dir, wallet, nil)
	pids := []string{n.spawn(), n.spawn()}
	n.sendMany(pids, 130)
	n.close()

	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	done := false
	for round := 0; round < 8 && !done; round++ {
		switch round {
		case 2:
			// Deterministic: killed between PutBundle and the cursor.
			done = runUploaderChild(t, dir, 2, -1)
			if done {
				t.Fatal("the child finished instead of killing itself")
			}
			cursor, last := readProgress(t, dir)
			if last <= cursor {
				t.Fatalf("after the kill the intent ends at %d and the cursor is %d: the kill was not between PutBundle and the cursor write", last, cursor)
			}
		default:
			done = runUploaderChild(t, dir, 0, 1+rng.IntN(6))
		}
	}
	if !done && !runUploaderChild(t, dir, 0, -1) {
		t.Fatal("the last child did not finish")
	}

	store, err := embedded.Open(embedded.Config{Dir: filepath.Join(dir, "store")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	log, err := pebblelog.Open(pebblelog.Config{Dir: filepath.Join(dir, "log")})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	if cursor, _ := readProgressFrom(t, log); cursor != log.LastSeq() {
		t.Fatalf("cursor %d, last seq %d", cursor, log.LastSeq())
	}
	recs := checkExactlyOnce(t, log, store, upChildBundle)
	want := entriesPerProcess(recs)
	if want[pids[0]] != 130 || want[pids[1]] != 130 {
		t.Fatalf("entries %v", want)
	}
	verifyAll(t, store, want)
}

// runUploaderChild runs TestUploaderChild over dir. With exitAfterPut > 0
// the child kills itself after that many bundles; with killAfter > 0 the
// parent SIGKILLs it after seeing that many bundles (and a random pause of
// up to a millisecond). It reports whether the child caught up and exited
// by itself.
func runUploaderChild(t *testing.T, dir string, exitAfterPut, killAfter int) bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestUploaderChild$", "-test.count=1", "-test.v=false")
	cmd.Env = append(os.Environ(), upChildEnv+"="+dir, upExitAfterPutEnv+"="+strconv.Itoa(exitAfterPut))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe() // the child exits when we do
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	puts, finished := 0, false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		switch line := sc.Text(); {
		case strings.HasPrefix(line, "PUT "):
			puts++
			if puts == killAfter {
				time.Sleep(time.Duration(rand.IntN(1000)) * time.Microsecond)
				cmd.Process.Signal(syscall.SIGKILL)
			}
		case line == "CAUGHT-UP":
			finished = true
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case finished && err == nil:
		t.Logf("child finished after %d bundles", puts)
		return true
	case errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL:
		t.Logf("child killed after %d bundles", puts)
		return false
	}
	t.Fatalf("child: %v (finished %v, %d bundles)", err, finished, puts)
	return false
}

// readProgress reads the uploader's cursor and the end of its last intent
// from the log in dir.
func readProgress(t *testing.T, dir string) (cursor, intentLast uint64) {
	t.Helper()
	log, err := pebblelog.Open(pebblelog.Config{Dir: filepath.Join(dir, "log")})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	return readProgressFrom(t, log)
}

// readProgressFrom decodes the uploader's values (a durable format: an
// 8-byte big-endian cursor, a 16-byte intent).
func readProgressFrom(t *testing.T, log scheduler.Log) (cursor, intentLast uint64) {
	t.Helper()
	ctx := context.Background()
	c, err := log.Value(ctx, "upload-cursor")
	if err != nil {
		t.Fatal(err)
	}
	i, err := log.Value(ctx, "upload-intent")
	if err != nil {
		t.Fatal(err)
	}
	if len(c) != 8 || len(i) != 16 {
		t.Fatalf("cursor %x, intent %x", c, i)
	}
	return binary.BigEndian.Uint64(c), binary.BigEndian.Uint64(i[8:])
}

// anchoredStore wraps every bundle in an item with a random anchor, as
// the reference SU does (protocol.md 1.5) and as a gateway makes a new
// transaction of every post: putting the same items twice makes two
// wrappers. NB: the embedded store's own wrappers have no anchor, so with
// an ed25519 wallet the same items make the same wrapper again, which
// would hide a repeated upload from these tests.
type anchoredStore struct {
	arweave.Store
	signer arweave.Signer
}

func (s anchoredStore) PutBundle(ctx context.Context, items []*arweave.DataItem) (string, error) {
	anchor := make([]byte, 32)
	crand.Read(anchor)
	w, err := arweave.SignDataItem(s.signer, arweave.ItemOptions{Anchor: string(anchor), Tags: arweave.BundleTags, Data: arweave.EncodeBundle(items)})
	if err != nil {
		return "", err
	}
	if err := s.Store.PutItems(ctx, w); err != nil {
		return "", err
	}
	return w.ID(), nil
}

// killingStore prints "PUT <id>" after every successful PutBundle and, on
// the exitAfter-th, SIGKILLs its own process before returning.
type killingStore struct {
	arweave.Store
	puts      int
	exitAfter int
}

func (s *killingStore) PutBundle(ctx context.Context, items []*arweave.DataItem) (string, error) {
	id, err := s.Store.PutBundle(ctx, items)
	if err != nil {
		return id, err
	}
	s.puts++
	if s.puts == s.exitAfter {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	}
	// os.Stdout is unbuffered: the line is out when Printf returns.
	fmt.Printf("PUT %s\n", id)
	return id, nil
}

// TestUploaderChild is the child of TestUploaderKill: an uploader over
// the directory named by upChildEnv until it has caught up (then it
// prints CAUGHT-UP and exits 0) or is killed. Without the environment
// variable it does nothing.
func TestUploaderChild(t *testing.T) {
	dir := os.Getenv(upChildEnv)
	if dir == "" {
		t.Skip("child of TestUploaderKill")
	}
	fail := func(what string, err error) {
		fmt.Fprintf(os.Stderr, "uploader child: %s: %v\n", what, err)
		os.Exit(2)
	}
	go func() {
		// The parent holds our stdin: when it goes, so do we.
		buf := make([]byte, 1)
		os.Stdin.Read(buf)
		os.Exit(3)
	}()
	exitAfter, _ := strconv.Atoi(os.Getenv(upExitAfterPutEnv))
	wallet, err := arweave.LoadWallet(filepath.Join(dir, "wallet.json"))
	if err != nil {
		fail("wallet", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store, err := embedded.Open(embedded.Config{Dir: filepath.Join(dir, "store"), Signer: wallet, Logger: logger})
	if err != nil {
		fail("store", err)
	}
	log, err := pebblelog.Open(pebblelog.Config{Dir: filepath.Join(dir, "log"), Logger: logger})
	if err != nil {
		fail("log", err)
	}
	u, err := scheduler.NewUploader(scheduler.UploaderConfig{
		Log: log, Store: &killingStore{Store: anchoredStore{store, wallet}, exitAfter: exitAfter},
		MaxBundleBytes: upChildBundle, MaxAge: time.Millisecond, PollInterval: time.Millisecond, Logger: logger,
	})
	if err != nil {
		fail("uploader", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		if err := u.Run(ctx); err != nil {
			fail("run", err)
		}
	}()
	for ctx.Err() == nil {
		if s := u.Status(); s.Lag == 0 && s.Uploaded == s.LogSeq {
			fmt.Println("CAUGHT-UP")
			cancel()
			log.Close()
			store.Close()
			os.Exit(0)
		}
		time.Sleep(time.Millisecond)
	}
	fail("run", errors.New("did not catch up within a minute"))
}

// TestUploaderArlocal uploads a log to arlocal through arweave/remote (a
// bundle per Arweave transaction) and reads it back from there: every
// item by id, byte for byte, and every process's log whole by
// VerifyProcess. The scheduler indexes processes in an embedded store, so
// the uploader delivers them to arlocal too.
func TestUploaderArlocal(t *testing.T) {
	a := arlocaltest.Start(t)
	ctx := t.Context()
	w, err := arweave.GenerateWallet(arweave.SignatureArweave)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := remote.New(remote.Config{GatewayURL: a.URL, Wallet: w.(*arweave.RSASigner)})
	if err != nil {
		t.Fatal(err)
	}
	if err := gw.Mint(ctx, arweave.NativeAddress(w.Owner()), 1_000_000_000_000_000); err != nil {
		t.Fatal(err)
	}
	n := openUpNode(t, t.TempDir(), upWallet(t), nil)
	pids := []string{n.spawn(), n.spawn()}
	n.sendMany(pids, 12)
	u, stop := startUploader(t, scheduler.UploaderConfig{
		Log: n.log, Store: gw, MaxBundleBytes: 6 << 10, MaxAge: 10 * time.Millisecond, PollInterval: 5 * time.Millisecond,
	})
	waitCaughtUp(t, u)
	stop()
	if _, err := gw.Mine(ctx); err != nil {
		t.Fatal(err)
	}

	recs, err := n.log.Since(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var items []*arweave.DataItem
	for _, r := range recs {
		if r.Process != nil {
			items = append(items, r.Process.Item)
		} else {
			items = append(items, r.Entry.Assignment, r.Entry.Message)
		}
	}
	if len(items) != 2+2*24 {
		t.Fatalf("%d items in the log", len(items))
	}
	for _, want := range items {
		got, err := gw.Item(ctx, want.ID())
		if err != nil {
			t.Fatalf("item %s: %v", want.ID(), err)
		}
		if string(got.Bytes()) != string(want.Bytes()) {
			t.Fatalf("item %s differs on arlocal", want.ID())
		}
	}
	verifyAll(t, gw, map[string]int{pids[0]: 12, pids[1]: 12})
}
