package runtime_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	aoclient "github.com/aogo-dev/aogo/client"
	"github.com/aogo-dev/aogo/runtime"
)

// TestCrank: a message a process sends (examples/counter's reply to a
// Hello) is pushed by the MU to its target process, signed by the MU with
// From-Process, From-Module and Pushed-For, exactly once, and survives a
// restart of the node.
func TestCrank(t *testing.T) {
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
	a, b := spawn(t, c, module), spawn(t, c, module)
	// A's reply goes to msg.From, which is B: the From-Process of this
	// message (a process trusts From-Process only from its Authority;
	// the counter example trusts anyone).
	hello, err := c.Message(ctx, a, []arweave.Tag{{Name: "Action", Value: "Hello"}, {Name: "From-Process", Value: b}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var info runtime.NodeInfo
	getJSON(t, c.Units().Gateway+"/node", &info)
	muAddr := info.Units["mu"].Address

	pushed := waitPushed(t, c.Units().SU, b, 1)
	tags := arweave.Tags(pushed[0].Tags)
	if pushed[0].Owner != muAddr || tags.Value("Action") != "Hello-Reply" || tags.Value("From-Process") != a ||
		tags.Value("From-Module") != module || tags.Value("Pushed-For") != hello || tags.Value("Type") != "Message" {
		t.Fatalf("pushed message: owner %s (MU %s), tags %v", pushed[0].Owner, muAddr, tags)
	}
	// B evaluated it: the counter counts replies.
	r, err := c.Result(ctx, b, pushed[0].ID)
	if err != nil || r.Failed() || !strings.HasPrefix(r.OutputText(), "reply 1 from "+a) {
		t.Fatalf("B's result of the reply: %+v %v", r, err)
	}

	// After a restart nothing is pushed again.
	closeNode(t, n)
	n = startNode(t, runtime.Config{DataDir: dir})
	c, err = aoclient.New(ctx, "http://"+n.Addr().String(), wallet)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // a cranker would have re-pushed by now
	waitPushed(t, c.Units().SU, b, 1)
	closeNode(t, n)
}

type pushedMessage struct {
	ID    string
	Owner string
	Tags  []arweave.Tag
}

// waitPushed waits until process pid's log holds exactly want messages
// and returns them.
func waitPushed(t *testing.T, suURL, pid string, want int) []pushedMessage {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var page struct {
			Edges []struct {
				Node struct {
					Message *struct {
						ID    string `json:"id"`
						Owner struct {
							Address string `json:"address"`
						} `json:"owner"`
						Tags []arweave.Tag `json:"tags"`
					} `json:"message"`
				} `json:"node"`
			} `json:"edges"`
		}
		getJSON(t, suURL+"/"+pid+"?process-id="+pid, &page)
		var out []pushedMessage
		for _, e := range page.Edges {
			if m := e.Node.Message; m != nil {
				out = append(out, pushedMessage{ID: m.ID, Owner: m.Owner.Address, Tags: m.Tags})
			}
		}
		if len(out) > want {
			t.Fatalf("%d messages in %s's log, want %d", len(out), pid, want)
		}
		if len(out) == want {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages in %s's log after 30 s, want %d", len(out), pid, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
