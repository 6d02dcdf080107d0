package messenger

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/scheduler"
)

// twoSchedulers is a local SU and a foreign one served over HTTP, whose
// location and processes the local store knows (as a shared gateway
// would tell every node).
func twoSchedulers(t *testing.T) (local, foreign *suFixture, router *Router) {
	local, foreign = newSUFixture(t), newSUFixture(t)
	srv := httptest.NewServer(foreign.su.Handler(scheduler.HandlerConfig{}))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	if _, err := scheduler.PublishLocation(ctx, local.store, foreign.su.Signer(), srv.URL, time.Hour); err != nil {
		t.Fatal(err)
	}
	return local, foreign, NewRouter(local.su, local.store, nil)
}

// share puts process pid of SU from into the store of to.
func share(t *testing.T, to, from *suFixture, pid string) {
	p, err := from.su.Process(context.Background(), pid)
	if err != nil {
		t.Fatal(err)
	}
	if err := to.store.PutItems(context.Background(), p.Item); err != nil {
		t.Fatal(err)
	}
}

func TestRouter(t *testing.T) {
	local, foreign, r := twoSchedulers(t)
	ctx := context.Background()
	mine := local.spawn("mine")
	theirs := foreign.spawn("theirs")
	share(t, local, foreign, theirs)
	msg := func(target string) *arweave.DataItem {
		item, err := arweave.SignDataItem(local.user, arweave.ItemOptions{Target: target, Anchor: fmt.Sprintf("%032d", time.Now().UnixNano()),
			Tags: []arweave.Tag{{Name: "Data-Protocol", Value: "ao"}, {Name: "Type", Value: "Message"}}})
		if err != nil {
			t.Fatal(err)
		}
		return item
	}

	// A message to the local process stays local.
	if res, err := r.Schedule(ctx, msg(mine)); err != nil || res.Entry == nil {
		t.Fatalf("local message: %+v %v", res, err)
	}
	// One to the foreign process reaches the foreign SU; again: duplicate.
	m := msg(theirs)
	res, err := r.Schedule(ctx, m)
	if err != nil || res.ID != m.ID() || res.Entry != nil || res.Timestamp == 0 {
		t.Fatalf("foreign message: %+v %v", res, err)
	}
	if got := foreign.entries(theirs); len(got) != 1 || got[0].Message.ID() != m.ID() {
		t.Fatalf("foreign log: %v", got)
	}
	if _, err := r.Schedule(ctx, m); !errors.Is(err, scheduler.ErrDuplicate) {
		t.Fatalf("foreign duplicate: %v", err)
	}
	// An assignment to the foreign process (of a transaction its gateway
	// knows).
	share(t, foreign, local, mine)
	if res, err := r.Assign(ctx, scheduler.AssignRequest{Process: theirs, Transaction: mine}); err != nil || res.Entry != nil {
		t.Fatalf("foreign assignment: %+v %v", res, err)
	}
	if got := foreign.entries(theirs); len(got) != 2 || got[1].MessageID() != mine {
		t.Fatalf("foreign log after the assignment: %v", got)
	}
	// A Process naming the foreign scheduler is spawned there.
	spawn, _ := arweave.SignDataItem(local.user, arweave.ItemOptions{Tags: []arweave.Tag{
		{Name: "Data-Protocol", Value: "ao"}, {Name: "Type", Value: "Process"},
		{Name: "Module", Value: testModule}, {Name: "Scheduler", Value: foreign.su.Address()}}})
	if res, err := r.Schedule(ctx, spawn); err != nil || res.ID != spawn.ID() {
		t.Fatalf("foreign spawn: %+v %v", res, err)
	}
	if _, err := foreign.su.Process(ctx, spawn.ID()); err != nil {
		t.Fatalf("the foreign SU does not have the spawned process: %v", err)
	}
	// Neither SU knows this one (a wallet, say).
	if _, err := r.Schedule(ctx, msg(strings.Repeat("w", 43))); !errors.Is(err, scheduler.ErrUnknownProcess) {
		t.Fatalf("message to no process: %v", err)
	}
	// A scheduler with no location.
	lost := newSUFixture(t)
	orphan := lost.spawn("orphan")
	share(t, local, lost, orphan)
	if _, err := r.Schedule(ctx, msg(orphan)); !errors.Is(err, scheduler.ErrInvalid) {
		t.Fatalf("message to a process of an unlocatable scheduler: %v", err)
	}
}

// The cranker pushes an outbox message for another scheduler's process to
// that SU, and queues no crank of it here (this node cannot compute it).
func TestCrankToForeignProcess(t *testing.T) {
	local, foreign, r := twoSchedulers(t)
	p := local.spawn("p")
	q := foreign.spawn("q")
	share(t, local, foreign, q)
	cu := newFakeCU()
	const u = "UUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUU"
	cu.results[u] = fmt.Sprintf(`{"Output":"","Spawns":[],"Assignments":[],"Messages":[
		{"Target":%q,"Anchor":"00000000000000000000000000000001","Data":"over there","Tags":[{"name":"Action","value":"Hi"}]}]}`, q)
	c, err := NewCranker(CrankerConfig{Dir: filepath.Join(local.dir, "crank"), Computer: cu, SU: r, Signer: local.mu})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 2 { // again, as after a crash: the duplicate is recognised
		next, err := c.crank(context.Background(), job{Process: p, Message: u})
		if err != nil || len(next) != 0 {
			t.Fatalf("crank: follow-ups %v, %v", next, err)
		}
	}
	got := foreign.entries(q)
	if len(got) != 1 || string(got[0].Message.Data) != "over there" || got[0].Message.Tags.Value("From-Process") != p {
		t.Fatalf("foreign log: %v", got)
	}
}
