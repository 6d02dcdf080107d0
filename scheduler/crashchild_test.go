package scheduler_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/scheduler"
	"github.com/aogo-dev/aogo/scheduler/pebblelog"
)

// suCrashChildEnv switches TestSUCrashChild into the child role of
// TestSUCrashKill: its value is the SU's data directory.
const suCrashChildEnv = "AOGO_SU_CRASH_CHILD_DIR"

// suCrashSkewEnv, if set, is how many milliseconds the child's wall clock
// runs behind the real one: a clock that jumps back across a restart.
const suCrashSkewEnv = "AOGO_SU_CRASH_CHILD_SKEW_MS"

// suCrashURLPrefix starts the line on which the child prints its URL.
const suCrashURLPrefix = "SU-URL "

// The layout of the child's data directory.
const (
	suCrashWallet   = "su-wallet.json"
	suCrashStoreDir = "store"
	suCrashLogDir   = "log"
)

// TestSUCrashChild is the child of TestSUCrashKill: a whole SU (embedded
// store, pebblelog, scheduler, HTTP API) over the directory named by
// suCrashChildEnv, serving on 127.0.0.1 until it is killed. It prints
// "SU-URL http://127.0.0.1:port" on stdout once it serves. Its wall clock
// runs suCrashSkewEnv milliseconds behind. Without suCrashChildEnv it does
// nothing.
func TestSUCrashChild(t *testing.T) {
	dir := os.Getenv(suCrashChildEnv)
	if dir == "" {
		t.Skip("child of TestSUCrashKill")
	}
	fail := func(what string, err error) {
		fmt.Fprintf(os.Stderr, "su crash child: %s: %v\n", what, err)
		os.Exit(2)
	}
	// The parent holds our stdin open; when it goes away (even killed), we
	// go too, so that no SU outlives the test.
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(3)
	}()
	var skew time.Duration
	if v := os.Getenv(suCrashSkewEnv); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil {
			fail("skew", err)
		}
		skew = time.Duration(ms) * time.Millisecond
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// The wallet is kept in the directory so that every restart is the same
	// SU (the processes name its address in their Scheduler tag).
	wallet, err := arweave.LoadOrCreateWallet(filepath.Join(dir, suCrashWallet), arweave.SignatureED25519)
	if err != nil {
		fail("wallet", err)
	}
	store, err := embedded.Open(embedded.Config{Dir: filepath.Join(dir, suCrashStoreDir), Signer: wallet, Logger: logger})
	if err != nil {
		fail("store", err)
	}
	log, err := pebblelog.Open(pebblelog.Config{Dir: filepath.Join(dir, suCrashLogDir), Logger: logger})
	if err != nil {
		fail("log", err)
	}
	su, err := scheduler.New(context.Background(), scheduler.Config{Log: log, Store: store, Signer: wallet, Logger: logger,
		Now: func() time.Time { return time.Now().Add(-skew) },
	})
	if err != nil {
		fail("scheduler", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("listen", err)
	}
	// os.Stdout is unbuffered: the line is out when Printf returns.
	fmt.Printf("%shttp://%s\n", suCrashURLPrefix, ln.Addr())
	srv := &http.Server{Handler: su.Handler(scheduler.HandlerConfig{})}
	fail("serve", srv.Serve(ln))
}
