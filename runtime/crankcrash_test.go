package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/runtime"
)

// crashChildEnv switches TestCrankCrashChild into the child role of
// TestCrankCrash: its value is the node's data directory.
const crashChildEnv = "AOGO_CRANK_CRASH_CHILD_DIR"

// TestCrankCrashChild is the child of TestCrankCrash: a node on the data
// directory named by crashChildEnv, running until it is killed or its
// parent goes away. Without crashChildEnv it does nothing.
func TestCrankCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("child of TestCrankCrash")
	}
	n, err := runtime.Start(context.Background(), runtime.Config{DataDir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	// The parent holds our stdin open; when it goes away (even killed), we
	// go too, so that no node outlives the test.
	io.Copy(io.Discard, os.Stdin)
	n.Close(context.Background())
}

// startChildNode starts a node in a child process and returns it with the
// node's URL (from urls.json, written when the node is ready).
func startChildNode(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	os.Remove(filepath.Join(dir, runtime.URLsFile))
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrankCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(time.Minute)
	for {
		if b, err := os.ReadFile(filepath.Join(dir, runtime.URLsFile)); err == nil {
			var urls struct{ Gateway string }
			if err := json.Unmarshal(b, &urls); err == nil && urls.Gateway != "" {
				return cmd, urls.Gateway
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the child node did not write urls.json within a minute")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// latestNonce is the nonce of pid's newest message (-1 for none).
func latestNonce(ctx context.Context, suURL, pid string) (int, error) {
	var entry struct {
		Assignment struct {
			Tags []arweave.Tag `json:"tags"`
		} `json:"assignment"`
	}
	resp, err := client.Get(suURL + "/" + pid + "/latest")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == 404 {
		return -1, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(&entry); err != nil {
		return 0, fmt.Errorf("GET %s/latest: %d: %w", pid, resp.StatusCode, err)
	}
	n, err := strconv.Atoi(arweave.Tags(entry.Assignment.Tags).Value("Nonce"))
	if err != nil {
		return 0, fmt.Errorf("GET %s/latest: nonce: %w", pid, err)
	}
	return n, nil
}

// TestCrankCrash: a node is killed (SIGKILL) while its MU pushes the 1,000
// outbox messages of one message; after a restart every one of them
// reaches its target exactly once.
func TestCrankCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node in a child process")
	}
	const total = 1000
	ctx := context.Background()
	dir := t.TempDir()
	// An RSA MU wallet: RSA-PSS signatures are randomised, so an item
	// signed again after the crash would be a new message (an ed25519
	// signature would hide that bug).
	if _, err := arweave.LoadOrCreateWallet(filepath.Join(dir, runtime.WalletsDir, runtime.MUWalletFile), arweave.SignatureArweave); err != nil {
		t.Fatal(err)
	}
	child, url := startChildNode(t, dir)
	wallet, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	c, module := counterClient(t, url, wallet)
	a, b := spawn(t, c, module), spawn(t, c, module)
	if _, err := c.Message(ctx, a, []arweave.Tag{{Name: "Action", Value: "Send"}, {Name: "To", Value: b},
		{Name: "Count", Value: strconv.Itoa(total)}}, nil); err != nil {
		t.Fatal(err)
	}
	// Kill the node once some, not all, have been pushed.
	suURL := c.Units().SU
	var before int
	for deadline := time.Now().Add(time.Minute); ; {
		if before, err = latestNonce(ctx, suURL, b); err != nil {
			t.Fatal(err)
		}
		if before >= 20 || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	t.Logf("killed the node when B had %d of %d messages", before+1, total)
	if before+1 >= total {
		t.Logf("every push had landed before the kill: the restart only checks that nothing is pushed twice")
	}

	_, url = startChildNode(t, dir)
	c, _ = counterClient(t, url, wallet)
	suURL = c.Units().SU
	for deadline := time.Now().Add(2 * time.Minute); ; {
		n, err := latestNonce(ctx, suURL, b)
		if err != nil {
			t.Fatal(err)
		}
		if n+1 >= total {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B has %d of %d messages two minutes after the restart", n+1, total)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // a duplicate push would land by now

	// B's log: exactly the 1,000 notes, each once, in A's order.
	seen := 0
	from := ""
	for {
		var page struct {
			PageInfo struct {
				HasNextPage bool `json:"has_next_page"`
			} `json:"page_info"`
			Edges []struct {
				Cursor string `json:"cursor"`
				Node   struct {
					Message struct {
						Tags []arweave.Tag `json:"tags"`
					} `json:"message"`
				} `json:"node"`
			} `json:"edges"`
		}
		q := suURL + "/" + b + "?process-id=" + b + "&limit=500"
		if from != "" {
			q += "&from=" + from
		}
		getJSON(t, q, &page)
		for _, e := range page.Edges {
			tags := arweave.Tags(e.Node.Message.Tags)
			seen++
			if tags.Value("Action") != "Note" || tags.Value("Index") != strconv.Itoa(seen) || tags.Value("From-Process") != a {
				t.Fatalf("message %d of B: %v", seen, tags)
			}
			from = e.Cursor
		}
		if !page.PageInfo.HasNextPage || len(page.Edges) == 0 {
			break
		}
	}
	if seen != total {
		t.Fatalf("B's log holds %d messages, want %d", seen, total)
	}
	// And B evaluated each once.
	dry, err := c.DryRun(ctx, b, []arweave.Tag{{Name: "Action", Value: "Stats"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	var stats struct{ Notes int }
	if err := json.Unmarshal([]byte(dry.OutputText()), &stats); err != nil || stats.Notes != total {
		t.Fatalf("B's Stats: %s (%v)", dry.OutputText(), err)
	}
	if n, err := latestNonce(ctx, suURL, b); err != nil || n+1 != total {
		t.Fatalf("B has %d messages at the end (%v)", n+1, errors.Join(err))
	}
}
