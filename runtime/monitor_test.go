package runtime_test

import (
	"context"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	aoclient "github.com/aogo-dev/aogo/client"
	"github.com/aogo-dev/aogo/runtime"
)

// notices is a counter's count of Tick-Notice messages.
func notices(t *testing.T, c *aoclient.Client, pid string) int {
	t.Helper()
	return stats(t, c, pid).Notices
}

// waitNotices waits until B has at least n tick notices.
func waitNotices(t *testing.T, c *aoclient.Client, pid string, n int) int {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		got := notices(t, c, pid)
		if got >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d tick notices after 30 s, want %d", got, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestMonitor: a monitored process with a 1-second cron that nobody
// messages wakes on schedule and its ticks' messages reach their target;
// the monitor survives a restart of the node; after unmonitor no more
// notices arrive.
func TestMonitor(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node with a Go module")
	}
	ctx := context.Background()
	dir := t.TempDir()
	n := startNode(t, runtime.Config{DataDir: dir})
	wallet, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	c, module := counterClient(t, "http://"+n.Addr().String(), wallet)
	b := spawn(t, c, module)
	ticker := spawn(t, c, module, cronTags(b)...)
	if err := c.Monitor(ctx, ticker); err != nil {
		t.Fatal(err)
	}
	waitNotices(t, c, b, 2)

	closeNode(t, n)
	n = startNode(t, runtime.Config{DataDir: dir})
	if c, err = aoclient.New(ctx, "http://"+n.Addr().String(), wallet); err != nil {
		t.Fatal(err)
	}
	after := notices(t, c, b)
	waitNotices(t, c, b, after+2)

	if err := c.Unmonitor(ctx, ticker); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // a tick's push in flight lands by now
	stopped := notices(t, c, b)
	time.Sleep(2500 * time.Millisecond)
	if got := notices(t, c, b); got != stopped {
		t.Fatalf("%d tick notices 2.5 s after unmonitor, %d at it", got, stopped)
	}
	if err := c.Unmonitor(ctx, ticker); err == nil {
		t.Fatal("unmonitor of a process that is not monitored succeeded")
	}
}
