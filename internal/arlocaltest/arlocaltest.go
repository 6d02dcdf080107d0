// Package arlocaltest runs arlocal, an Arweave gateway emulator, for tests.
//
// arlocal is installed by `make js-deps` into test/js/node_modules. Start
// launches node directly (not through npx) in its own process group and a
// fresh working directory (on /dev/shm when it exists: indexing is about ten
// times faster on tmpfs), on a random free port, and waits until GET /info
// answers. The process group is stopped (SIGTERM, SIGKILL after 3 s) and the
// working directory removed by t.Cleanup, also when the test fails.
//
// When test/js/node_modules is missing, Start skips the test with a hint to
// run `make js-deps`; when the environment variable CI is non-empty it fails
// the test instead, so CI cannot silently skip.
package arlocaltest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Timeouts of the harness.
const (
	readyTimeout = 30 * time.Second
	pollInterval = 100 * time.Millisecond
	stopGrace    = 3 * time.Second
	// startAttempts bounds the starts on a port another process took.
	startAttempts = 3
)

// Arlocal is a running arlocal instance.
type Arlocal struct {
	// URL is the base URL of the gateway, without a trailing slash.
	URL string

	t      testing.TB
	cmd    *exec.Cmd
	dir    string
	done   chan struct{} // closed when the process has exited
	output *lockedBuffer
}

// RepoRoot returns the root of the aogo repository: the nearest directory
// above the working directory that holds go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("arlocaltest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// JSDir returns test/js in the repository (the npm project with arlocal and
// arbundles). If its node_modules is missing it skips t, or fails it when
// the environment variable CI is non-empty.
func JSDir(t testing.TB) string {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "test", "js")
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		msg := "test/js/node_modules is missing: run make js-deps"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if _, err := exec.LookPath("node"); err != nil {
		msg := "node is not installed: run make js-deps"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

// Start starts arlocal and waits until it answers. It is stopped when the
// test and its subtests have finished.
func Start(t testing.TB) *Arlocal {
	t.Helper()
	js := JSDir(t)
	bin := filepath.Join(js, "node_modules", "arlocal", "bin", "index.js")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("arlocal is not installed (%v): run make js-deps", err)
	}
	// The port is free when freePort returns but another process may take
	// it before node binds it: then node exits, and Start tries another.
	var last error
	for attempt := 0; attempt < startAttempts; attempt++ {
		a, err := start(t, bin)
		if err == nil {
			return a
		}
		last = err
		if !errors.Is(err, errExited) {
			break
		}
	}
	t.Fatalf("arlocaltest: %v", last)
	return nil
}

// errExited reports that node exited before arlocal answered.
var errExited = errors.New("arlocal exited before it was ready")

func start(t testing.TB, bin string) (*Arlocal, error) {
	dir, err := workDir(t)
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	a := &Arlocal{
		URL:    "http://127.0.0.1:" + strconv.Itoa(port),
		t:      t,
		dir:    dir,
		done:   make(chan struct{}),
		output: &lockedBuffer{limit: 64 << 10},
	}
	a.cmd = exec.Command("node", bin, strconv.Itoa(port), "--hidelogs", "--dbpath", "db")
	a.cmd.Dir = dir
	a.cmd.Stdout = a.output
	a.cmd.Stderr = a.output
	a.cmd.SysProcAttr = sysProcAttr()
	if err := a.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start node: %w", err)
	}
	go func() {
		a.cmd.Wait()
		close(a.done)
	}()
	if err := a.waitReady(); err != nil {
		out := a.output.String()
		a.stop()
		return nil, fmt.Errorf("%w\narlocal output:\n%s", err, out)
	}
	t.Cleanup(a.stop)
	return a, nil
}

// workDir makes a fresh directory on /dev/shm when it is usable, else under
// the test's temporary directory.
func workDir(t testing.TB) (string, error) {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "aogo-arlocal-"); err == nil {
			return dir, nil
		}
	}
	return os.MkdirTemp(t.TempDir(), "arlocal-")
}

// freePort asks the kernel for a free TCP port. arlocal listens on all
// interfaces and has no host flag, so the port is checked on all of them.
func freePort() (int, error) {
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		return 0, fmt.Errorf("arlocaltest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (a *Arlocal) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.URL+"/info", nil)
		resp, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET /info: %s", resp.Status)
		}
		last = err
		select {
		case <-a.done:
			return fmt.Errorf("%w (%v)", errExited, a.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("arlocal not ready after %v: %v", readyTimeout, last)
		case <-tick.C:
		}
	}
}

// stop ends the process group: SIGTERM, then SIGKILL after stopGrace.
// It then removes the working directory.
func (a *Arlocal) stop() {
	pgid := a.cmd.Process.Pid // Setpgid: the group id is the leader's pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(stopGrace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-a.done
	}
	// Children of node (none are expected) may outlive the leader.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	if a.t.Failed() {
		if out := a.output.String(); out != "" {
			a.t.Logf("arlocal output:\n%s", out)
		}
	}
	if err := os.RemoveAll(a.dir); err != nil {
		a.t.Logf("arlocaltest: remove %s: %v", a.dir, err)
	}
}

// Reset clears all of arlocal's state (GET /reset). It fails the test that
// started arlocal; subtests use ResetContext.
func (a *Arlocal) Reset() {
	a.t.Helper()
	if err := a.ResetContext(context.Background()); err != nil {
		a.t.Fatal(err)
	}
}

// ResetContext clears all of arlocal's state (GET /reset).
func (a *Arlocal) ResetContext(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL+"/reset", nil)
	if err != nil {
		return fmt.Errorf("arlocaltest: reset: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("arlocaltest: reset: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("arlocaltest: reset: %s: %s", resp.Status, body)
	}
	return nil
}

// lockedBuffer keeps the first limit bytes of the process output.
type lockedBuffer struct {
	mu    sync.Mutex
	buf   []byte
	limit int
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.limit - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
