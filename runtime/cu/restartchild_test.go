package cu_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/runtime/checkpoint"
	"github.com/aogo-dev/aogo/runtime/cu"
)

// restartChildEnv switches TestCURestartChild into the child role of
// TestCURestart: its value is the data directory (openDiskWorld's, with
// the restartIDs file and the CU's directory restartCU).
const restartChildEnv = "AOGO_CU_RESTART_CHILD_DIR"

// restartFirstEnv is the message whose result the child asks for first
// (none if empty).
const restartFirstEnv = "AOGO_CU_RESTART_FIRST"

// restartLinePrefix starts the child's report lines on stdout:
//
//	first <ns since the CU's start> <nonce its schedule was first read after> <damaged checkpoints set aside>
//	done <state hash, hex> <state's nonce> <ns since the CU's start>
const restartLinePrefix = "CU-RESTART "

// TestCURestartChild is the child of TestCURestart: the SU of the data
// directory named by restartChildEnv (opened again, as a node restarting
// would) and a CU over it with a checkpoint every restartEvery
// evaluations, which evaluates the process to its last message unless it
// is killed first. Without restartChildEnv it does nothing.
func TestCURestartChild(t *testing.T) {
	dir := os.Getenv(restartChildEnv)
	if dir == "" {
		t.Skip("child of TestCURestart")
	}
	// The parent holds our stdin open; when it goes away (even killed), we
	// go too, so that no CU outlives the test.
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(3)
	}()
	ctx := context.Background()
	b, err := os.ReadFile(filepath.Join(dir, restartIDs))
	if err != nil {
		t.Fatal(err)
	}
	ids := strings.Fields(string(b))
	pid, last := ids[0], ids[len(ids)-1]
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	w, _ := openDiskWorld(t, dir, restartModule, restartFormat)
	cuDir := filepath.Join(dir, restartCU)
	ck, err := checkpoint.Open(checkpoint.Config{Dir: filepath.Join(cuDir, "checkpoints"), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	src := newWatchedSource(w.su)

	start := time.Now()
	u := w.newCU(cuDir, func(c *cu.Config) {
		c.Source, c.Checkpoints, c.Logger, c.CheckpointEvery = src, ck, logger, restartEvery
	})
	if first := os.Getenv(restartFirstEnv); first != "" {
		if _, err := u.Result(ctx, pid, first); err != nil {
			t.Fatal(err)
		}
		elapsed := time.Since(start)
		des, err := os.ReadDir(filepath.Join(cuDir, "checkpoints", pid))
		if err != nil {
			t.Fatal(err)
		}
		corrupt := 0
		for _, de := range des {
			if strings.HasSuffix(de.Name(), ".corrupt") {
				corrupt++
			}
		}
		fmt.Printf("%sfirst %d %d %d\n", restartLinePrefix, elapsed.Nanoseconds(), src.firstFrom.Load(), corrupt)
	}
	if _, err := u.Result(ctx, pid, last); err != nil {
		t.Fatal(err)
	}
	st, pos, err := u.State(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("%sdone %s %d %d\n", restartLinePrefix, st.HashHex(), pos.Nonce, time.Since(start).Nanoseconds())
}
