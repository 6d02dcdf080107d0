package messenger

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/runtime/results"
	"github.com/aogo-dev/aogo/scheduler"
	"github.com/aogo-dev/aogo/scheduler/pebblelog"
)

// fixedResult is a CU that answers the same result for every message.
type fixedResult string

func (f fixedResult) Result(_ context.Context, pid, id string) (*results.Record, error) {
	return &results.Record{Process: pid, MessageID: id, Result: []byte(f)}, nil
}

// TestCrankPushOnce: check 7 of protocol.md 9 (the pushed item's tags,
// target, anchor and data), and a job cranked again (as after a crash
// between the push and the job's removal) pushes the same bytes, which
// the SU takes once.
func TestCrankPushOnce(t *testing.T) {
	dir := t.TempDir()
	suWallet, _ := arweave.GenerateWallet(arweave.SignatureED25519)
	muWallet, _ := arweave.GenerateWallet(arweave.SignatureArweave)
	user, _ := arweave.GenerateWallet(arweave.SignatureED25519)
	store, err := embedded.Open(embedded.Config{Dir: filepath.Join(dir, "store"), Signer: suWallet})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	log, err := pebblelog.Open(pebblelog.Config{Dir: filepath.Join(dir, "log")})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	ctx := context.Background()
	su, err := scheduler.New(ctx, scheduler.Config{Log: log, Store: store, Signer: suWallet})
	if err != nil {
		t.Fatal(err)
	}
	defer su.Close()
	spawn := func(name string) string {
		item, err := arweave.SignDataItem(user, arweave.ItemOptions{Tags: []arweave.Tag{
			{Name: "Data-Protocol", Value: "ao"}, {Name: "Type", Value: "Process"}, {Name: "Name", Value: name},
			{Name: "Module", Value: "MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM"}, {Name: "Scheduler", Value: su.Address()}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := su.Schedule(ctx, item); err != nil {
			t.Fatal(err)
		}
		return item.ID()
	}
	p, q := spawn("p"), spawn("q")
	result := fmt.Sprintf(`{"Output":"","Messages":[{"Target":%q,"Anchor":"00000000000000000000000000000007","Data":"ping",
		"Tags":[{"name":"Action","value":"Ping"},{"name":"Type","value":"forged"},{"name":"Variant","value":"ao.TN.1"}]},
		{"Target":%q,"Data":"no anchor: skipped","Tags":[]}],"Spawns":[],"Assignments":[]}`, q, q)
	c, err := NewCranker(CrankerConfig{Dir: filepath.Join(dir, "crank"), Computer: fixedResult(result), SU: su, Signer: muWallet})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const u = "UUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUU"
	j := job{Process: p, Message: u}
	for range 2 { // the second time as after a crash before the job was removed
		if _, err := c.crank(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	entries, _, err := su.Entries(ctx, q, scheduler.Range{FromNonce: new(int64(-1))})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("%d messages pushed to q, want 1", len(entries))
	}
	m := entries[0].Message
	want := []arweave.Tag{{Name: "Action", Value: "Ping"}, {Name: "Variant", Value: "ao.TN.1"},
		{Name: "Data-Protocol", Value: "ao"}, {Name: "Type", Value: "Message"}, {Name: "From-Process", Value: p},
		{Name: "From-Module", Value: "MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM"}, {Name: "Pushed-For", Value: u}}
	if fmt.Sprint(m.Tags) != fmt.Sprint(want) || m.TargetID() != q || string(m.Anchor) != "00000000000000000000000000000007" ||
		string(m.Data) != "ping" || m.OwnerAddress() != arweave.SignerAddress(muWallet) {
		t.Fatalf("pushed %v to %s anchor %q data %q owner %s", m.Tags, m.TargetID(), m.Anchor, m.Data, m.OwnerAddress())
	}
}
