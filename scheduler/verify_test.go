package scheduler_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/internal/ao"
	"github.com/aogo-dev/aogo/scheduler"
)

// forgery builds process logs by hand, the way an SU would sign them, so
// that tests can store logs with chosen defects.
type forgery struct {
	t     *testing.T
	store *embedded.Store
	su    arweave.Signer // the SU the process names
	user  arweave.Signer
	pid   string
	n     int // items signed, for unique anchors
}

func newForgery(t *testing.T) *forgery {
	t.Helper()
	f := &forgery{t: t, su: vtWallet(t), user: vtWallet(t)}
	var err error
	f.store, err = embedded.Open(embedded.Config{Dir: t.TempDir(), Signer: vtWallet(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.store.Close() })
	p := f.sign(f.user, arweave.ItemOptions{Tags: []arweave.Tag{
		tag("Data-Protocol", "ao"), tag("Variant", "ao.TN.1"), tag("Type", "Process"),
		tag("Module", testModule), tag("Scheduler", arweave.SignerAddress(f.su)),
	}})
	f.put(p)
	f.pid = p.ID()
	return f
}

func vtWallet(t *testing.T) arweave.Signer {
	t.Helper()
	w, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (f *forgery) sign(s arweave.Signer, o arweave.ItemOptions) *arweave.DataItem {
	f.t.Helper()
	f.n++
	o.Anchor = fmt.Sprintf("forged-%025d", f.n)
	it, err := arweave.SignDataItem(s, o)
	if err != nil {
		f.t.Fatal(err)
	}
	return it
}

func (f *forgery) put(items ...*arweave.DataItem) {
	f.t.Helper()
	if err := f.store.PutItems(context.Background(), items...); err != nil {
		f.t.Fatal(err)
	}
}

// bundle stores items in one bundle, as the uploader does.
func (f *forgery) bundle(items ...*arweave.DataItem) {
	f.t.Helper()
	if _, err := f.store.PutBundle(context.Background(), items); err != nil {
		f.t.Fatal(err)
	}
}

// message signs a message to target.
func (f *forgery) message(target string) *arweave.DataItem {
	return f.sign(f.user, arweave.ItemOptions{Target: target, Data: []byte("hello"), Tags: []arweave.Tag{
		tag("Data-Protocol", "ao"), tag("Variant", "ao.TN.1"), tag("Type", "Message"), tag("Action", "Eval"),
	}})
}

// forged are the fields of an assignment (protocol.md 4.5).
type forged struct {
	signer    arweave.Signer
	epoch     string
	nonce     int64
	chain     string
	height    int64
	timestamp int64
	message   string
}

// assignment signs an assignment with the SU's tags in the SU's order.
func (f *forgery) assignment(a forged) *arweave.DataItem {
	if a.signer == nil {
		a.signer = f.su
	}
	if a.epoch == "" {
		a.epoch = "0"
	}
	tags := []arweave.Tag{
		tag("Process", f.pid), tag("Epoch", a.epoch), tag("Nonce", strconv.FormatInt(a.nonce, 10)),
		tag("Hash-Chain", a.chain), tag("Block-Height", scheduler.FormatBlockHeight(a.height)),
		tag("Timestamp", strconv.FormatInt(a.timestamp, 10)),
		tag("Data-Protocol", "ao"), tag("Type", "Assignment"), tag("Variant", "ao.TN.1"),
	}
	if a.message != "" {
		tags = append(tags, tag("Message", a.message))
	}
	return f.sign(a.signer, arweave.ItemOptions{Tags: tags})
}

// next is the Hash-Chain after an assignment (the seed after nil).
func (f *forgery) next(prev *arweave.DataItem) string {
	f.t.Helper()
	var c string
	var err error
	if prev == nil {
		c, err = ao.HashChainSeed(f.pid)
	} else {
		c, err = ao.NextHashChain(prev.ID(), prev.Tags.Value("Hash-Chain"))
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// resign returns a copy of item whose Timestamp tag is changed but whose
// signature (and so id) is the original's: a tampered item.
func resign(t *testing.T, item *arweave.DataItem, timestamp string) *arweave.DataItem {
	t.Helper()
	tags := slices.Clone(item.Tags)
	for i := range tags {
		if tags[i].Name == "Timestamp" {
			tags[i].Value = timestamp
		}
	}
	bad, err := arweave.NewDataItem(item.SignatureType, item.Signature, item.Owner, item.Target, item.Anchor, tags, item.Data)
	if err != nil {
		t.Fatal(err)
	}
	if bad.ID() != item.ID() || bad.Verify() == nil {
		t.Fatal("the tampered item should keep its id and fail to verify")
	}
	return bad
}

// TestVerifyProcessCleanLog: a well-formed log (entries stored as the
// uploader stores them, plus an assignment of a foreign message) has no
// problem, so the problems TestVerifyProcessReportsEveryProblem expects
// come from its defects alone.
func TestVerifyProcessCleanLog(t *testing.T) {
	f := newForgery(t)
	other := f.message(vtRandomID(t)) // a message to another process
	f.put(other)
	var prev *arweave.DataItem
	for n := range int64(5) {
		a := forged{nonce: n, chain: f.next(prev), height: 100 + n/2, timestamp: 1_000 + 10*n}
		var m *arweave.DataItem
		if n == 3 {
			a.message = other.ID()
		} else {
			m = f.message(f.pid)
			a.message = m.ID()
		}
		asg := f.assignment(a)
		if m != nil {
			f.bundle(asg, m)
		} else {
			f.bundle(asg)
		}
		prev = asg
	}
	r, err := scheduler.VerifyProcess(context.Background(), f.store, f.pid)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || !r.ProcessFound || r.Assignments != 5 || r.LastNonce != 4 || r.Messages != 5 || r.TargetsChecked != 4 ||
		r.Scheduler != arweave.SignerAddress(f.su) {
		t.Fatalf("report %+v", r)
	}
}

// TestVerifyProcessReportsEveryProblem stores a log with one defect per
// assignment and checks that VerifyProcess reports each of them, and
// nothing else: the walk does not stop at the first problem.
func TestVerifyProcessReportsEveryProblem(t *testing.T) {
	f := newForgery(t)
	ts := func(n int64) int64 { return 1_000 + 10*n }
	want := map[string]bool{}
	expect := func(kind scheduler.ProblemKind, nonce int64) { want[fmt.Sprintf("%s@%d", kind, nonce)] = true }

	var prev *arweave.DataItem
	add := func(a forged, store func(asg, m *arweave.DataItem)) *arweave.DataItem {
		m := f.message(f.pid)
		if a.message == "" {
			a.message = m.ID()
		}
		asg := f.assignment(a)
		if store == nil {
			f.bundle(asg, m)
		} else {
			store(asg, m)
		}
		prev = asg
		return asg
	}
	normal := func(n int64) forged { return forged{nonce: n, chain: f.next(prev), height: 100, timestamp: ts(n)} }

	add(normal(0), nil)
	add(normal(1), nil)

	// 2: a broken hash chain (validly signed). 3 follows 2 as stored.
	a := normal(2)
	a.chain = vtRandomID(t)
	add(a, nil)
	expect(scheduler.ProblemHashChain, 2)

	// 3: a bad signature: the Timestamp was changed after signing.
	add(normal(3), func(asg, m *arweave.DataItem) { f.bundle(resign(t, asg, strconv.FormatInt(ts(3)+1, 10)), m) })
	expect(scheduler.ProblemSignature, 3)

	// 4: signed by another wallet.
	a = normal(4)
	a.signer = vtWallet(t)
	add(a, nil)
	expect(scheduler.ProblemOwner, 4)

	// 5: missing. 6 names it as its predecessor, but its link cannot be
	// checked: only the gap is reported.
	add(normal(5), func(asg, m *arweave.DataItem) {})
	add(normal(6), nil)
	expect(scheduler.ProblemNonceGap, 6)

	// 7: the same Timestamp as 6.
	a = normal(7)
	a.timestamp = ts(6)
	add(a, nil)
	expect(scheduler.ProblemTimestamp, 7)

	// 8: a Block-Height below 7's.
	a = normal(8)
	a.height = 99
	add(a, nil)
	expect(scheduler.ProblemBlockHeight, 8)

	// 9: stored with its assignment, but a message to another process.
	wrong := f.message(vtRandomID(t))
	a = normal(9)
	a.message = wrong.ID()
	add(a, func(asg, _ *arweave.DataItem) { f.bundle(asg, wrong) })
	expect(scheduler.ProblemMessageTarget, 9)

	// 10: its message is not in the store.
	add(normal(10), func(asg, _ *arweave.DataItem) { f.bundle(asg) })
	expect(scheduler.ProblemMessageMissing, 10)

	// 11: Epoch 1.
	a = normal(11)
	a.epoch = "1"
	add(a, nil)
	expect(scheduler.ProblemEpoch, 11)

	// 12: two assignments with nonce 12, each linked to 11; 13 follows
	// one of them and is fine.
	p11 := prev
	add(normal(12), nil)
	prev = p11
	a = normal(12)
	a.timestamp = ts(12) + 1
	add(a, nil)
	expect(scheduler.ProblemNonceDuplicate, 12)

	// 13: an assignment of a message to another process, which was
	// scheduled there just before, so that it sits in the same bundle
	// (before the assignment, as the uploader orders records): only its
	// existence is checked.
	foreign := f.message(vtRandomID(t))
	a = normal(13)
	a.message = foreign.ID()
	add(a, func(asg, _ *arweave.DataItem) { f.bundle(foreign, asg) })

	r, err := scheduler.VerifyProcess(context.Background(), f.store, f.pid)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, p := range r.Problems {
		got[fmt.Sprintf("%s@%d", p.Kind, p.Nonce)] = true
		t.Log(p)
	}
	for k := range want {
		if !got[k] {
			t.Errorf("problem %s not reported", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("unexpected problem %s", k)
		}
	}
	if len(r.Problems) != len(want) {
		t.Errorf("%d problems reported, want %d", len(r.Problems), len(want))
	}
	if r.OK() || r.Assignments != 14 || r.LastNonce != 13 {
		t.Errorf("report: OK %v, %d assignments, last nonce %d", r.OK(), r.Assignments, r.LastNonce)
	}
}

// TestVerifyProcessMissingProcess: a log whose process item is not in the
// store is reported, with the SU taken from the first assignment.
func TestVerifyProcessMissingProcess(t *testing.T) {
	f := newForgery(t)
	f.pid = vtRandomID(t) // a process the store does not hold
	m := f.message(f.pid)
	f.bundle(f.assignment(forged{nonce: 0, chain: f.next(nil), height: 1, timestamp: 5, message: m.ID()}), m)
	r, err := scheduler.VerifyProcess(context.Background(), f.store, f.pid)
	if err != nil {
		t.Fatal(err)
	}
	if r.ProcessFound || len(r.Problems) != 1 || r.Problems[0].Kind != scheduler.ProblemProcessMissing ||
		r.Scheduler != arweave.SignerAddress(f.su) || r.Assignments != 1 {
		t.Fatalf("report %+v", r)
	}
}

func vtRandomID(t *testing.T) string {
	t.Helper()
	w := vtWallet(t) // 32 random bytes
	return arweave.B64(bytes.Clone(w.Owner()))
}
