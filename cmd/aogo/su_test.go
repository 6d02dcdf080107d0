package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/arweave/gateway"
	"github.com/aogo-dev/aogo/scheduler"
	"github.com/aogo-dev/aogo/scheduler/pebblelog"
)

// runSU is run with the su command registered, whether or not the root
// command registers it yet.
func runSU(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCommand()
	registered := false
	for _, c := range cmd.Commands() {
		registered = registered || c.Name() == "su"
	}
	if !registered {
		cmd.AddCommand(newSUCommand(&globalFlags{logLevel: "warn"}))
	}
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(protectIDs(cmd, args))
	err := cmd.Execute()
	return out.String(), err
}

// suNodeDir makes a node data directory (DIR/store, DIR/log) holding one
// process with messages, uploaded to the store, and returns the process
// id and the SU wallet.
func suNodeDir(t *testing.T, dir string, messages int) (string, arweave.Signer) {
	t.Helper()
	ctx := context.Background()
	wallet, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	store, err := embedded.Open(embedded.Config{Dir: filepath.Join(dir, "store"), Signer: wallet})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	log, err := pebblelog.Open(pebblelog.Config{Dir: filepath.Join(dir, "log")})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	su, err := scheduler.New(ctx, scheduler.Config{Log: log, Store: store, Signer: wallet})
	if err != nil {
		t.Fatal(err)
	}
	defer su.Close()
	tags := []arweave.Tag{{Name: "Data-Protocol", Value: "ao"}, {Name: "Variant", Value: "ao.TN.1"}}
	p, err := arweave.SignDataItem(wallet, arweave.ItemOptions{Tags: append(tags,
		arweave.Tag{Name: "Type", Value: "Process"}, arweave.Tag{Name: "Module", Value: strings.Repeat("A", 43)},
		arweave.Tag{Name: "Scheduler", Value: su.Address()})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := su.Schedule(ctx, p); err != nil {
		t.Fatal(err)
	}
	for i := range messages {
		m, err := arweave.SignDataItem(wallet, arweave.ItemOptions{Target: p.ID(), Anchor: strings.Repeat(string(rune('a'+i)), 32),
			Tags: append(tags, arweave.Tag{Name: "Type", Value: "Message"})})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := su.Schedule(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	u, err := scheduler.NewUploader(scheduler.UploaderConfig{Log: log, Store: store, MaxAge: time.Millisecond, PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- u.Run(runCtx) }()
	for s := u.Status(); s.Lag != 0 || s.Uploaded != s.LogSeq; s = u.Status() {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return p.ID(), wallet
}

// TestSUVerify runs `aogo su verify` on a node's data directory and
// through a gateway: a whole log passes (exit 0, text and JSON reports),
// a log with a forged assignment fails (non-zero) and names its problems.
func TestSUVerify(t *testing.T) {
	dir := t.TempDir()
	pid, _ := suNodeDir(t, dir, 5)

	out, err := runSU(t, "su", "verify", "--process", pid, "--data-dir", dir)
	if err != nil || !strings.Contains(out, "problems     none") || !strings.Contains(out, "assignments  5 (nonces 0..4)") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	out, err = runSU(t, "su", "verify", "--process", pid, "--data-dir", dir, "--json")
	if err != nil {
		t.Fatalf("verify --json: %v\n%s", err, out)
	}
	var r scheduler.VerifyReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !r.OK() || !r.ProcessFound || r.Assignments != 5 || r.LastNonce != 4 || r.Messages != 5 || r.Process != pid {
		t.Fatalf("report %+v", r)
	}

	// The same through the embedded gateway over HTTP.
	store, err := embedded.Open(embedded.Config{Dir: filepath.Join(dir, "store")})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gateway.New(store, gateway.Config{}))
	out, err = runSU(t, "su", "verify", "--process", pid, "--gateway", srv.URL)
	if err != nil || !strings.Contains(out, "problems     none") {
		t.Fatalf("verify --gateway: %v\n%s", err, out)
	}

	// A forged assignment: nonce 6 (5 is missing) signed by another wallet.
	forger, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := arweave.SignDataItem(forger, arweave.ItemOptions{Tags: []arweave.Tag{
		{Name: "Process", Value: pid}, {Name: "Epoch", Value: "0"}, {Name: "Nonce", Value: "6"},
		{Name: "Hash-Chain", Value: pid}, {Name: "Block-Height", Value: "000000000000"},
		{Name: "Timestamp", Value: "99999999999999"}, {Name: "Data-Protocol", Value: "ao"},
		{Name: "Type", Value: "Assignment"}, {Name: "Variant", Value: "ao.TN.1"}, {Name: "Message", Value: pid},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.PutItems(context.Background(), forged); err != nil {
		t.Fatal(err)
	}
	out, err = runSU(t, "su", "verify", "--process", pid, "--gateway", srv.URL)
	if err == nil || !strings.Contains(out, "nonce 6: nonce-gap: nonce 5 is missing") || !strings.Contains(out, "nonce 6: owner "+forged.ID()) {
		t.Fatalf("verify of a forged log: %v\n%s", err, out)
	}
	t.Logf("report of a forged log (%v):\n%s", err, out)
	srv.Close()
	store.Close()
	out, err = runSU(t, "su", "verify", "--process", pid, "--data-dir", dir, "--json")
	if err == nil || json.Unmarshal([]byte(out), &r) != nil || r.OK() || len(r.Problems) != 2 {
		t.Fatalf("verify --json of a forged log: %v\n%s", err, out)
	}
}

// TestSUVerifyUsage: the command needs a process and exactly one source,
// and does not create a store where there is none.
func TestSUVerifyUsage(t *testing.T) {
	dir := t.TempDir()
	pid := strings.Repeat("A", 43)
	for _, args := range [][]string{
		{"su", "verify", "--data-dir", dir},
		{"su", "verify", "--process", pid},
		{"su", "verify", "--process", pid, "--data-dir", dir, "--gateway", "http://127.0.0.1:1"},
	} {
		if out, err := runSU(t, args...); err == nil {
			t.Errorf("%v succeeded: %s", args, out)
		}
	}
	if _, err := runSU(t, "su", "verify", "--process", pid, "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "no store at") {
		t.Errorf("verify of a directory without a store: %v", err)
	}
}
