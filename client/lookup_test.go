package client_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/client"
)

// TestFindProcessAndAssignment: the gateway finds a wallet's newest process
// by its tags; a message's assignment gives its nonce, which is the
// ordinate of its result's cursor; GET /node names the MU's address.
func TestFindProcessAndAssignment(t *testing.T) {
	ctx := context.Background()
	c := startNode(t)
	if c.Units().Authority == "" || c.Units().Authority == c.Units().Scheduler {
		t.Fatalf("units %+v: want the MU's address as Authority", c.Units())
	}
	counter, err := c.BuiltinModule("counter")
	if err != nil {
		t.Fatal(err)
	}
	name := func(v string) []arweave.Tag { return []arweave.Tag{{Name: "Name", Value: v}} }
	if _, err := c.FindProcess(ctx, c.Address(), name("x")); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("no process yet: %v", err)
	}
	first, err := c.Spawn(ctx, counter, name("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Spawn(ctx, counter, name("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.FindProcess(ctx, c.Address(), name("x")); err != nil || got != second {
		t.Fatalf("newest x: %s %v, want %s (not %s)", got, err, second, first)
	}
	if _, err := c.FindProcess(ctx, "someone-else", name("x")); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("another owner: %v", err)
	}

	var nonces []int64
	for range 2 {
		mid, err := c.Message(ctx, second, []arweave.Tag{{Name: "Action", Value: "Hello"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, err := c.Assignment(ctx, second, mid)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Result(ctx, second, mid); err != nil {
			t.Fatal(err)
		}
		nonces = append(nonces, a.Nonce)
	}
	if nonces[0] != 0 || nonces[1] != 1 {
		t.Fatalf("nonces %v", nonces)
	}
	page, err := c.Results(ctx, second, client.ResultsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var ordinates []int64
	for _, e := range page.Edges {
		cur, err := client.ParseCursor(e.Cursor)
		if err != nil || !cur.IsMessage() {
			t.Fatalf("cursor %s: %+v %v", e.Cursor, cur, err)
		}
		ordinates = append(ordinates, cur.Ordinate)
	}
	// The process message, then the two messages.
	if len(ordinates) != 3 || ordinates[0] != -1 || ordinates[1] != 0 || ordinates[2] != 1 {
		t.Fatalf("ordinates %v", ordinates)
	}
	if _, err := c.Assignment(ctx, second, first); err == nil {
		t.Fatal("assignment of a message that is not in the process")
	}
	for _, bad := range []string{"", "!!", "e30"} { // e30 is {}
		if _, err := client.ParseCursor(bad); err == nil {
			t.Errorf("ParseCursor(%q) succeeded", bad)
		}
	}
	// A cron tick's cursor.
	cur, err := client.ParseCursor("eyJ0aW1lc3RhbXAiOjEwMDAsIm9yZGluYXRlIjoiMyIsImNyb24iOiIwLTEwLXNlY29uZHMiLCJzb3J0IjoiQVNDIn0=")
	if err != nil || cur.IsMessage() || cur.Cron != "0-10-seconds" || cur.Ordinate != 3 || cur.Timestamp != 1000 {
		t.Fatalf("cron cursor: %+v %v", cur, err)
	}
}
