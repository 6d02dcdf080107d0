package cu_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/runtime/checkpoint"
	"github.com/aogo-dev/aogo/runtime/cu"
	"github.com/aogo-dev/aogo/runtime/results"
	"github.com/aogo-dev/aogo/scheduler"
	"github.com/aogo-dev/aogo/scheduler/pebblelog"
)

// The shape of TestCURestart.
const (
	restartModule   = "minimal-fmt2.wasm"
	restartFormat   = "wasm32-unknown-emscripten2"
	restartMessages = 10_000
	// restartEvery is the children's Config.CheckpointEvery.
	restartEvery = 500
	// restartTimeout bounds one child (its start on a loaded machine, and
	// a replay of the whole log).
	restartTimeout = 2 * time.Minute
)

// The layout of a world kept on disk (openDiskWorld) and of the restart
// test's data directory.
const (
	diskSUWallet   = "su-wallet.json"
	diskUserWallet = "user-wallet.json"
	diskModuleID   = "module-id"
	diskStore      = "store"
	diskLog        = "su-log"
	// restartIDs holds the process id, then its message ids in nonce
	// order, one a line.
	restartIDs = "ids"
	// restartCU is the children's CU directory (results, checkpoints).
	restartCU = "cu"
)

// openDiskWorld is newWorld over dir: the SU's and the user's wallets, the
// store, the SU log and the published module's id are kept there, so that
// another process (or a later call) opens the same world. The first call
// publishes the module. The world is closed at the end of t, or by the
// returned function (either first).
func openDiskWorld(t testing.TB, dir, moduleName, format string) (*world, func()) {
	t.Helper()
	w := &world{t: t, dir: dir, now: new(atomic.Int64)}
	// The SU's clock never goes below what a previous incarnation issued
	// (its durable ceiling), so a fixed wall clock is fine here.
	w.now.Store(1_700_000_000_000)
	suWallet, err := arweave.LoadOrCreateWallet(filepath.Join(dir, diskSUWallet), arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	if w.user, err = arweave.LoadOrCreateWallet(filepath.Join(dir, diskUserWallet), arweave.SignatureED25519); err != nil {
		t.Fatal(err)
	}
	var closers []func() error
	var once sync.Once
	closeAll := func() {
		once.Do(func() {
			for _, c := range slices.Backward(closers) {
				c()
			}
		})
	}
	t.Cleanup(closeAll)
	if w.store, err = embedded.Open(embedded.Config{Dir: filepath.Join(dir, diskStore), Signer: suWallet}); err != nil {
		t.Fatal(err)
	}
	closers = append(closers, w.store.Close)
	if w.log, err = pebblelog.Open(pebblelog.Config{Dir: filepath.Join(dir, diskLog)}); err != nil {
		t.Fatal(err)
	}
	closers = append(closers, w.log.Close)
	w.su, err = scheduler.New(context.Background(), scheduler.Config{
		Log: w.log, Store: w.store, Signer: suWallet,
		Now: func() time.Time { return time.UnixMilli(w.now.Load()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	closers = append(closers, w.su.Close)

	idFile := filepath.Join(dir, diskModuleID)
	if b, err := os.ReadFile(idFile); err == nil {
		w.module = strings.TrimSpace(string(b))
		return w, closeAll
	} else if !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	tags := []arweave.Tag{
		{Name: "Data-Protocol", Value: "ao"}, {Name: "Variant", Value: "ao.TN.1"}, {Name: "Type", Value: "Module"},
		{Name: "Module-Format", Value: format}, {Name: "Input-Encoding", Value: "JSON-V1"},
		{Name: "Output-Encoding", Value: "JSON-V1"},
		{Name: "Memory-Limit", Value: "256-mb"}, {Name: "Compute-Limit", Value: "9000000000000"},
	}
	mod, err := arweave.SignDataItem(w.user, arweave.ItemOptions{Tags: tags, Data: moduleFile(t, moduleName)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.store.PutItems(context.Background(), mod); err != nil {
		t.Fatal(err)
	}
	w.module = mod.ID()
	if err := os.WriteFile(idFile, []byte(w.module+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return w, closeAll
}

// scheduleIncs schedules n Inc messages to pid, signed and posted by
// several goroutines (the SU orders them), and returns their ids in nonce
// order.
func scheduleIncs(t testing.TB, w *world, pid string, n int) []string {
	t.Helper()
	const workers = 16
	ctx := context.Background()
	tags := []arweave.Tag{
		{Name: "Data-Protocol", Value: "ao"}, {Name: "Variant", Value: "ao.TN.1"},
		{Name: "Type", Value: "Message"}, {Name: "Action", Value: "Inc"},
	}
	type scheduled struct {
		nonce int64
		id    string
	}
	out := make([]scheduled, n)
	var next atomic.Int64
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				item, err := arweave.SignDataItem(w.user, arweave.ItemOptions{
					Target: pid, Anchor: fmt.Sprintf("%032d", anchors.Add(1)), Tags: tags, Data: []byte("1"),
				})
				if err != nil {
					errs <- err
					return
				}
				res, err := w.su.Schedule(ctx, item)
				if err != nil {
					errs <- err
					return
				}
				out[i] = scheduled{res.Entry.Nonce, res.ID}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].nonce < out[j].nonce })
	ids := make([]string, n)
	for i, s := range out {
		if i > 0 && s.nonce != out[i-1].nonce+1 {
			t.Fatalf("nonces %d then %d", out[i-1].nonce, s.nonce)
		}
		ids[i] = s.id
	}
	return ids
}

// watchedSource is the SU as a CU's Source, noting where the CU first
// reads the schedule: the nonce it resumes after (the checkpoint's, or -1
// for a cold start).
type watchedSource struct {
	*scheduler.Scheduler
	firstFrom atomic.Int64 // restartNoRead until the first Entries call
}

const restartNoRead = -1 << 62

func newWatchedSource(su *scheduler.Scheduler) *watchedSource {
	s := &watchedSource{Scheduler: su}
	s.firstFrom.Store(restartNoRead)
	return s
}

func (s *watchedSource) Entries(ctx context.Context, pid string, r scheduler.Range) ([]*scheduler.Entry, bool, error) {
	from := int64(restartNoRead + 1) // a read by time: never ours
	if r.FromNonce != nil {
		from = *r.FromNonce
	}
	s.firstFrom.CompareAndSwap(restartNoRead, from)
	return s.Scheduler.Entries(ctx, pid, r)
}

// TestCURestart is the CU's restart acceptance test: a CU (the child
// TestCURestartChild, which hosts the SU too: the CU reads its schedule
// through Go calls) evaluates a process of 10,000 Inc messages with a
// checkpoint every 500 evaluations and is SIGKILLed at a random moment
// after it has written a checkpoint; a new child resumes from the newest
// checkpoint, and is killed the same way; then the newest checkpoint file
// gets bytes flipped, and a third child must skip it and resume from the
// older one, and run to the end. Each restart reports (t.Logf) the time
// from the CU's start to its first result, the one of the first message
// not already in the result store; the last child's state hash, and every
// result in its store, must equal those of an uninterrupted run. A result
// missing behind a checkpoint (lost: the CU does not evaluate it again) is
// reported as such.
//
// Which checkpoint a child resumed from is read off the schedule: the
// first Entries call of its CU starts after the checkpoint's nonce.
func TestCURestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs CUs as child processes, killing and restarting them")
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	dir := t.TempDir()
	ctx := context.Background()

	// The world: a process of restartMessages Inc messages.
	var pid string
	var ids []string
	start := time.Now()
	if !t.Run("schedule", func(t *testing.T) {
		w, _ := openDiskWorld(t, dir, restartModule, restartFormat)
		pid = w.spawn()
		ids = scheduleIncs(t, w, pid, restartMessages)
		lines := append([]string{pid}, ids...)
		if err := os.WriteFile(filepath.Join(dir, restartIDs), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}) {
		t.FailNow()
	}
	t.Logf("scheduled %d messages in %v", len(ids), time.Since(start).Round(time.Millisecond))

	// The uninterrupted run, by a fresh CU with default checkpoints.
	refDir := filepath.Join(dir, "reference")
	var refHash string
	if !t.Run("uninterrupted", func(t *testing.T) {
		w, _ := openDiskWorld(t, dir, restartModule, restartFormat)
		start := time.Now()
		u := w.newCU(refDir)
		rec, err := u.Result(ctx, pid, ids[len(ids)-1])
		if err != nil {
			t.Fatal(err)
		}
		elapsed := time.Since(start)
		if want := fmt.Sprintf(`"Output":"%d"`, len(ids)+1); !bytes.Contains(rec.Result, []byte(want)) {
			t.Fatalf("last result %s, want %s", rec.Result, want)
		}
		st, pos, err := u.State(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		if pos.Nonce != int64(len(ids)-1) {
			t.Fatalf("state at nonce %d, want %d", pos.Nonce, len(ids)-1)
		}
		refHash = st.HashHex()
		t.Logf("uninterrupted: %d messages in %v (%.0f msgs/s), state %s", len(ids), elapsed.Round(time.Millisecond),
			float64(len(ids))/elapsed.Seconds(), refHash)
	}) {
		t.FailNow()
	}

	ckDir := filepath.Join(dir, restartCU, "checkpoints", pid)

	// Round 1: a CU from nothing, killed after at least one checkpoint.
	c := startRestartChild(t, dir, "")
	killed := c.killAfterCheckpoint(ckDir, -1, int64(restartEvery-1+rng.IntN(5000)), rng)
	ck := listCheckpoints(t, ckDir)
	if len(ck) == 0 {
		t.Fatal("no checkpoint after the first child")
	}
	t.Logf("child 1 killed %v: checkpoints at nonces %v", killed, nonces(ck))

	// Round 2: resumes from the newest checkpoint; killed after a newer one.
	newest := ck[len(ck)-1].nonce
	first := firstToEvaluate(t, dir, pid, ids, newest, newest)
	c = startRestartChild(t, dir, first.id)
	rep := c.first()
	t.Logf("child 2: first result (nonce %d) %v after the CU's start, %v after exec; resumed after nonce %d (newest checkpoint %d)",
		first.nonce, rep.sinceCU, rep.sinceExec, rep.from, newest)
	if rep.from != newest {
		t.Errorf("child 2 resumed after nonce %d, not from the newest checkpoint (nonce %d)", rep.from, newest)
	}
	// At most nonce 8000: the child must not finish before it is killed.
	killed = c.killAfterCheckpoint(ckDir, newest, newest+1+int64(rng.IntN(max(1, min(3000, 8000-int(newest))))), rng)
	ck = listCheckpoints(t, ckDir)
	t.Logf("child 2 killed %v: checkpoints at nonces %v", killed, nonces(ck))

	// Round 3: the newest checkpoint is damaged; the CU must skip it.
	damaged := ck[len(ck)-1]
	flipBytes(t, filepath.Join(ckDir, damaged.name))
	want := int64(-1) // cold, when there is no older checkpoint
	if len(ck) > 1 {
		want = ck[len(ck)-2].nonce
	}
	first = firstToEvaluate(t, dir, pid, ids, damaged.nonce, want)
	c = startRestartChild(t, dir, first.id)
	rep = c.first()
	t.Logf("child 3: checkpoint at nonce %d damaged; first result (nonce %d) %v after the CU's start, %v after exec; resumed after nonce %d; %d file(s) set aside as corrupt",
		damaged.nonce, first.nonce, rep.sinceCU, rep.sinceExec, rep.from, rep.corrupt)
	if rep.from != want {
		t.Errorf("child 3 resumed after nonce %d, want %d (the checkpoint before the damaged one at %d)", rep.from, want, damaged.nonce)
	}
	if rep.corrupt == 0 {
		t.Errorf("child 3 did not set the damaged checkpoint %s aside", damaged.name)
	}
	done := c.done()
	c.wait()
	t.Logf("child 3: evaluated to nonce %d %v after the CU's start; state %s", done.nonce, done.sinceCU, done.hash)
	if done.hash != refHash || done.nonce != int64(len(ids)-1) {
		t.Errorf("after the restarts: state %s at nonce %d; uninterrupted: %s at nonce %d", done.hash, done.nonce, refHash, len(ids)-1)
	}

	// Every result the restarted CUs stored equals the uninterrupted run's.
	got := openResults(t, filepath.Join(dir, restartCU, "results"))
	ref := openResults(t, filepath.Join(refDir, "results"))
	diffs, missing := 0, 0
	for n, id := range append([]string{pid}, ids...) {
		a, err := got.ByMessage(ctx, pid, id)
		if errors.Is(err, results.ErrNotFound) {
			missing++
			continue
		}
		if err != nil {
			t.Fatalf("restarted CU, message %d: %v", n-1, err)
		}
		b, err := ref.ByMessage(ctx, pid, id)
		if err != nil {
			t.Fatalf("uninterrupted CU, message %d: %v", n-1, err)
		}
		if !bytes.Equal(a.Result, b.Result) || a.Error != b.Error || a.Key != b.Key {
			if diffs++; diffs <= 5 {
				t.Errorf("message %d (%s): restarted %+v %s, uninterrupted %+v %s", n-1, id, a.Key, a.Result, b.Key, b.Result)
			}
		}
	}
	if diffs > 0 || missing > 0 {
		t.Errorf("of %d results, %d differ and %d are missing", len(ids)+1, diffs, missing)
	}
}

// TestCUKillAfterPassivation: a process evaluates a few messages, is
// passivated (a checkpoint), and the node is SIGKILLed before anything else
// is written. The CU after the restart must still answer the results of
// those messages. A SIGKILL keeps what the kernel has, so the test copies
// the CU's directory while the CU still runs: that copy is what a killed
// node leaves.
//
// Results are put without a sync (a NoSync batch stays in pebble's
// in-memory WAL block until a later write fills it), so the CU syncs the
// result store before each checkpoint; without that the restarted CU would
// resume after the checkpoint and never evaluate those messages again.
func TestCUKillAfterPassivation(t *testing.T) {
	w := newWorld(t, restartModule, restartFormat)
	pid := w.spawn()
	var ids []string
	for range 3 {
		ids = append(ids, w.send(pid, "Inc", ""))
	}
	ctx := context.Background()
	dir := t.TempDir()
	live, killed := filepath.Join(dir, "live"), filepath.Join(dir, "killed")
	res := openResults(t, filepath.Join(live, "results"))
	ck, err := checkpoint.Open(checkpoint.Config{Dir: filepath.Join(live, "checkpoints")})
	if err != nil {
		t.Fatal(err)
	}
	u := w.newCU(filepath.Join(dir, "unused"), func(c *cu.Config) {
		c.Results, c.Checkpoints, c.Idle = res, ck, 50*time.Millisecond
	})
	if _, err := u.Result(ctx, pid, ids[len(ids)-1]); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(listCheckpoints(t, filepath.Join(live, "checkpoints", pid))) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint at passivation")
		}
		time.Sleep(10 * time.Millisecond)
	}
	copyDir(t, live, killed)

	u2 := w.newCU(killed)
	for i, id := range append([]string{pid}, ids...) {
		if _, err := u2.Result(ctx, pid, id); err != nil {
			t.Errorf("after the kill, message %d: %v", i-1, err)
		}
	}
}

// restartChild is one incarnation of the CU (TestCURestartChild).
type restartChild struct {
	t       *testing.T
	cmd     *exec.Cmd
	started time.Time
	stdin   io.WriteCloser
	stderr  *outputBuffer // and stdout, but for report lines
	lines   chan string   // the child's report lines
	eof     chan struct{}
	once    sync.Once
}

// startRestartChild starts a CU over dir; first is the message whose
// result it asks for first ("" for none).
func startRestartChild(t *testing.T, dir, first string) *restartChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCURestartChild$", "-test.count=1", "-test.v=false", "-test.timeout=0")
	cmd.Env = append(os.Environ(), restartChildEnv+"="+dir, restartFirstEnv+"="+first)
	c := &restartChild{t: t, cmd: cmd, stderr: &outputBuffer{}, lines: make(chan string, 16), eof: make(chan struct{})}
	cmd.Stderr = c.stderr
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.started = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.kill()
		if t.Failed() && c.stderr.Len() > 0 {
			t.Logf("stderr of CU child %d:\n%s", cmd.Process.Pid, c.stderr.Tail(8<<10))
		}
	})
	go func() {
		defer close(c.eof)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			if l, ok := strings.CutPrefix(sc.Text(), restartLinePrefix); ok {
				c.lines <- l
			} else { // the test framework's output (a failure)
				fmt.Fprintln(c.stderr, sc.Text())
			}
		}
		io.Copy(c.stderr, stdout) // after an overlong line
	}()
	return c
}

// kill SIGKILLs the child (if it still runs) and reaps it; it reports
// whether the child was still running.
func (c *restartChild) kill() bool {
	running := false
	c.once.Do(func() {
		running = c.cmd.Process.Kill() == nil
		<-c.eof // Wait must not run before the stdout pipe is drained
		c.cmd.Wait()
		c.stdin.Close()
	})
	return running
}

// wait waits for the child to exit by itself, successfully.
func (c *restartChild) wait() {
	c.t.Helper()
	c.once.Do(func() {
		defer c.stdin.Close() // after Wait: a closed stdin makes the child exit
		<-c.eof
		if err := c.cmd.Wait(); err != nil {
			c.t.Fatalf("CU child: %v\n%s", err, c.stderr.Tail(8<<10))
		}
	})
}

// line waits for the child's next report line whose first word is kind.
func (c *restartChild) line(kind string) []string {
	c.t.Helper()
	timeout := time.After(restartTimeout)
	for {
		select {
		case l := <-c.lines:
			if f := strings.Fields(l); len(f) > 0 && f[0] == kind {
				return f[1:]
			}
		case <-c.eof:
			c.t.Fatalf("the CU child exited before reporting %q:\n%s", kind, c.stderr.Tail(8<<10))
		case <-timeout:
			c.t.Fatalf("the CU child did not report %q within %v:\n%s", kind, restartTimeout, c.stderr.Tail(8<<10))
		}
	}
}

// firstReport is the child's "first" line.
type firstReport struct {
	sinceCU, sinceExec time.Duration
	from               int64 // the nonce its CU resumed after
	corrupt            int   // checkpoint files set aside as damaged
}

func (c *restartChild) first() firstReport {
	f := c.line("first")
	r := firstReport{sinceExec: time.Since(c.started)}
	if len(f) != 3 {
		c.t.Fatalf("bad first line %q", f)
	}
	r.sinceCU = time.Duration(mustInt(c.t, f[0]))
	r.from = mustInt(c.t, f[1])
	r.corrupt = int(mustInt(c.t, f[2]))
	return r
}

// doneReport is the child's "done" line.
type doneReport struct {
	hash    string
	nonce   int64
	sinceCU time.Duration
}

func (c *restartChild) done() doneReport {
	f := c.line("done")
	if len(f) != 3 {
		c.t.Fatalf("bad done line %q", f)
	}
	return doneReport{hash: f[0], nonce: mustInt(c.t, f[1]), sinceCU: time.Duration(mustInt(c.t, f[2]))}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// killAfterCheckpoint SIGKILLs the child at a random moment once it has
// written a checkpoint after nonce after, at or past nonce target: a random
// part of the time between its last two checkpoints later. A child that
// finishes first (its "done" line) is killed then. It reports whether the
// child was killed while evaluating.
func (c *restartChild) killAfterCheckpoint(dir string, after, target int64, rng *rand.Rand) bool {
	c.t.Helper()
	deadline := time.Now().Add(restartTimeout)
	var seen []time.Time // when each newer checkpoint appeared
	last := after
	for time.Now().Before(deadline) {
		select {
		case l := <-c.lines:
			if strings.HasPrefix(l, "done") {
				c.kill()
				return false
			}
		case <-c.eof:
			c.t.Fatalf("the CU child exited:\n%s", c.stderr.Tail(8<<10))
		case <-time.After(2 * time.Millisecond):
		}
		ck := listCheckpoints(c.t, dir)
		if len(ck) == 0 || ck[len(ck)-1].nonce <= last {
			continue
		}
		last = ck[len(ck)-1].nonce
		seen = append(seen, time.Now())
		if last < target {
			continue
		}
		gap := 20 * time.Millisecond
		if n := len(seen); n > 1 {
			gap = seen[n-1].Sub(seen[n-2])
		}
		time.Sleep(time.Duration(rng.Int64N(int64(gap) + 1)))
		return c.kill()
	}
	c.t.Fatalf("no checkpoint past nonce %d within %v:\n%s", target, restartTimeout, c.stderr.Tail(8<<10))
	return false
}

// ckFile is a checkpoint file of a process.
type ckFile struct {
	name  string
	nonce int64
}

// listCheckpoints lists the process's checkpoint files (not the damaged
// ones set aside), oldest first.
func listCheckpoints(t testing.TB, dir string) []ckFile {
	des, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []ckFile
	for _, de := range des {
		base, ok := strings.CutSuffix(de.Name(), ".ckpt")
		if !ok || len(base) < 22 {
			continue
		}
		n, err := strconv.ParseInt(base[21:], 10, 64)
		if err != nil {
			t.Fatalf("checkpoint file %s: %v", de.Name(), err)
		}
		out = append(out, ckFile{de.Name(), n})
	}
	return out // ReadDir sorts by name: by ordinal
}

func nonces(ck []ckFile) []int64 {
	var out []int64
	for _, c := range ck {
		out = append(out, c.nonce)
	}
	return out
}

// flipBytes damages a checkpoint file in the middle of its state.
func flipBytes(t testing.TB, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(b) / 2; i < len(b)/2+16 && i < len(b); i++ {
		b[i] ^= 0xff
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// unstored is a message without a stored result.
type unstored struct {
	nonce int64
	id    string
}

// firstToEvaluate opens the (dead) CU's result store and returns the first
// message whose result a CU resuming after nonce resume must evaluate: the
// first one without a stored result (results are stored in evaluation
// order), or the one after resume.
//
// A result missing at or before nonce written, the newest checkpoint, is a
// result lost: the CU stores the results before it writes a checkpoint,
// and a CU resuming from that checkpoint does not evaluate them again.
func firstToEvaluate(t testing.TB, dir, pid string, ids []string, written, resume int64) unstored {
	t.Helper()
	rs, err := results.Open(results.Config{Dir: filepath.Join(dir, restartCU, "results")})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	n := int64(sort.Search(len(ids), func(i int) bool {
		_, err := rs.ByMessage(context.Background(), pid, ids[i])
		return err != nil
	}))
	if n <= written {
		t.Errorf("the results of messages %d to %d are lost: the checkpoint at nonce %d was written after them, but they were never stored", n, written, written)
	}
	n = max(n, resume+1)
	if n >= int64(len(ids)) {
		t.Fatal("every result is stored already")
	}
	return unstored{n, ids[n]}
}

func openResults(t testing.TB, dir string) *results.Store {
	t.Helper()
	rs, err := results.Open(results.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	return rs
}

// outputBuffer collects a child's stderr.
type outputBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *outputBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *outputBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Len()
}

// Tail returns the last n bytes written.
func (b *outputBuffer) Tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.b.String()
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}
