package runtime_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	aoclient "github.com/aogo-dev/aogo/client"
	"github.com/aogo-dev/aogo/internal/arlocaltest"
	"github.com/aogo-dev/aogo/runtime"
)

// The acceptance test with the real client: test/js/aoconnect.mjs drives a
// node with @permaweb/aoconnect 0.0.98 in legacy mode (spawn, message,
// result, results, dryrun, assign, monitor, unmonitor), as a dApp would.
// Like every test that needs test/js/node_modules, it skips without them,
// and fails under CI (`make test` installs them first).

// TestAOConnect runs aoconnect.mjs's acceptance mode against a node.
func TestAOConnect(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node and aoconnect")
	}
	e := startAOConnect(t)
	out := e.run(t, "acceptance", nil, 5*time.Minute)
	for _, line := range out.lines {
		t.Log(line)
	}
}

// BenchmarkAOConnectRoundTrip: b.N sequential aoconnect message + result
// round trips of one counter process (Action=Note: nothing is pushed
// back), then 2×b.N messages sent by 16 concurrent senders and read back.
// ns/op is the mean round trip; p50_ms, p99_ms the latency percentiles;
// msgs/s the sustained rate (sends until every result is available). The
// parts of a round trip: mu_post_p50_ms (the MU's answer, after the SU's
// fsync), cu_result_p50_ms (the CU's evaluation) and sign_p50_ms
// (aoconnect signing a message with RSA-4096 and verifying its signature).
// Compare with BenchmarkRoundTripGoClient, the same in Go.
func BenchmarkAOConnectRoundTrip(b *testing.B) {
	e := startAOConnect(b)
	k := 16
	env := map[string]string{
		"N": fmt.Sprint(b.N), "WARMUP": "10", "M": fmt.Sprint(max(k, 2*b.N)), "K": fmt.Sprint(k),
	}
	b.ResetTimer()
	out := e.run(b, "bench", env, 10*time.Minute)
	b.StopTimer()
	var s struct {
		P50       float64 `json:"p50_ms"`
		P99       float64 `json:"p99_ms"`
		Mean      float64 `json:"mean_ms"`
		MUPost    float64 `json:"mu_post_p50_ms"`
		CUResult  float64 `json:"cu_result_p50_ms"`
		Sign      float64 `json:"sign_p50_ms"`
		Sustained struct {
			MsgsPerS float64 `json:"msgs_per_s"`
		} `json:"sustained"`
	}
	if err := json.Unmarshal(out.summary, &s); err != nil {
		b.Fatalf("summary %s: %v", out.summary, err)
	}
	b.ReportMetric(s.Mean*1e6, "ns/op")
	b.ReportMetric(s.P50, "p50_ms")
	b.ReportMetric(s.P99, "p99_ms")
	b.ReportMetric(s.MUPost, "mu_post_p50_ms")
	b.ReportMetric(s.CUResult, "cu_result_p50_ms")
	b.ReportMetric(s.Sign, "sign_p50_ms")
	b.ReportMetric(s.Sustained.MsgsPerS, "msgs/s")
}

// BenchmarkRoundTripGoClient is BenchmarkAOConnectRoundTrip's baseline in
// the same run: the same round trips and sustained run with the Go client
// over HTTP, signing with the same RSA-4096 wallet (wallet=rsa) and with
// ed25519 (wallet=ed25519, the node's floor: signing costs microseconds).
func BenchmarkRoundTripGoClient(b *testing.B) {
	for _, wt := range []struct {
		name string
		typ  arweave.SignatureType
	}{{"rsa", arweave.SignatureArweave}, {"ed25519", arweave.SignatureED25519}} {
		b.Run("wallet="+wt.name, func(b *testing.B) {
			e := startAOConnect(b)
			wallet := e.wallet
			if wt.typ != arweave.SignatureArweave {
				var err error
				if wallet, err = arweave.GenerateWallet(wt.typ); err != nil {
					b.Fatal(err)
				}
			}
			benchGoClient(b, aoclient.NewWithUnits(e.units, wallet), e.module)
		})
	}
}

func benchGoClient(b *testing.B, c *aoclient.Client, module string) {
	ctx := context.Background()
	pid, err := c.Spawn(ctx, module, []arweave.Tag{{Name: "Name", Value: "bench"}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	note := []arweave.Tag{{Name: "Action", Value: "Note"}}
	roundTrip := func() time.Duration {
		start := time.Now()
		id, err := c.Message(ctx, pid, note, nil)
		if err != nil {
			b.Fatal(err)
		}
		r, err := c.Result(ctx, pid, id)
		if err != nil {
			b.Fatal(err)
		}
		if r.Failed() || !strings.HasPrefix(r.OutputText(), "note ") {
			b.Fatalf("result of %s: %+v", id, r)
		}
		return time.Since(start)
	}
	for range 10 {
		roundTrip()
	}
	times := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := range b.N {
		times[i] = roundTrip()
	}
	b.StopTimer()
	slices.Sort(times)
	pct := func(q float64) float64 {
		i := min(len(times)-1, max(0, int(q*float64(len(times))+0.999999)-1))
		return float64(times[i].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.5), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")

	// Sustained: 2×b.N messages by 16 senders, then every result.
	k, m := 16, max(16, 2*b.N)
	ids := make([]string, m)
	start := time.Now()
	parallel(k, m, func(i int) {
		id, err := c.Message(ctx, pid, note, nil)
		if err != nil {
			b.Error(err)
		}
		ids[i] = id
	})
	parallel(k, m, func(i int) {
		if r, err := c.Result(ctx, pid, ids[i]); err != nil || r.Failed() {
			b.Errorf("result of %s: %+v %v", ids[i], r, err)
		}
	})
	b.ReportMetric(float64(m)/time.Since(start).Seconds(), "msgs/s")
}

// parallel calls f(0..n-1) from k goroutines.
func parallel(k, n int, f func(int)) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

// aoconnectEnv is a node with examples/counter published, and the wallet
// aoconnect signs with.
type aoconnectEnv struct {
	js         string // test/js
	units      aoclient.Units
	module     string
	wallet     arweave.Signer
	walletPath string
}

// The RSA-4096 wallet (seconds to generate) and the counter module are
// made once per test binary.
var (
	aoconnectOnce   sync.Once
	aoconnectWallet arweave.Signer
	aoconnectErr    error
)

func startAOConnect(tb testing.TB) *aoconnectEnv {
	tb.Helper()
	js := arlocaltest.JSDir(tb) // skips (or fails under CI) without node or node_modules
	if _, err := os.Stat(filepath.Join(js, "node_modules", "@permaweb", "aoconnect", "package.json")); err != nil {
		msg := "test/js/node_modules has no @permaweb/aoconnect: run make js-deps"
		if os.Getenv("CI") != "" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	aoconnectOnce.Do(func() {
		aoconnectWallet, aoconnectErr = arweave.GenerateWallet(arweave.SignatureArweave)
	})
	if aoconnectErr != nil {
		tb.Fatal(aoconnectErr)
	}

	n, err := runtime.Start(context.Background(), runtime.Config{Listen: "127.0.0.1:0", DataDir: tb.TempDir()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := n.Close(ctx); err != nil {
			tb.Error(err)
		}
	})
	ctx := context.Background()
	c, err := aoclient.New(ctx, "http://"+n.Addr().String(), aoconnectWallet)
	if err != nil {
		tb.Fatal(err)
	}
	u := c.Units()
	if u.Gateway == "" || u.MU == "" || u.CU == "" || u.SU == "" || u.Scheduler == "" {
		tb.Fatalf("the node lacks a unit: %+v", u)
	}
	// The node published its built-in counter at start.
	module, err := c.BuiltinModule("counter")
	if err != nil {
		tb.Fatal(err)
	}
	walletPath := filepath.Join(tb.TempDir(), "wallet.json")
	if err := arweave.SaveWallet(walletPath, aoconnectWallet); err != nil {
		tb.Fatal(err)
	}
	return &aoconnectEnv{js: js, units: u, module: module, wallet: aoconnectWallet, walletPath: walletPath}
}

type aoconnectOutput struct {
	lines   []string // every line but the summary
	summary []byte   // the last line: the JSON summary
}

// run runs aoconnect.mjs in mode with the node's URLs and extra env, and
// fails tb (with everything the script printed) unless it succeeds.
func (e *aoconnectEnv) run(tb testing.TB, mode string, extra map[string]string, timeout time.Duration) aoconnectOutput {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(e.js, "aoconnect.mjs"), mode)
	cmd.Dir = e.js
	cmd.Env = append(os.Environ(),
		"MU_URL="+e.units.MU, "CU_URL="+e.units.CU, "GATEWAY_URL="+e.units.Gateway,
		"WALLET="+e.walletPath, "MODULE="+e.module, "SCHEDULER="+e.units.Scheduler,
		"DEBUG=") // aoconnect's and ao-core-libs' debug logs off
	for k, v := range extra {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var out aoconnectOutput
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out.lines = append(out.lines, sc.Text())
	}
	if err != nil || len(out.lines) == 0 {
		tb.Fatalf("node aoconnect.mjs %s: %v\n%s\nstderr:\n%s", mode, err, strings.Join(out.lines, "\n"), stderr.Bytes())
	}
	out.summary = []byte(out.lines[len(out.lines)-1])
	out.lines = out.lines[:len(out.lines)-1]
	var s struct {
		OK bool `json:"ok"`
	}
	if err := json.Unmarshal(out.summary, &s); err != nil || !s.OK {
		tb.Fatalf("node aoconnect.mjs %s: summary %s (%v)\n%s\nstderr:\n%s", mode, out.summary, err, strings.Join(out.lines, "\n"), stderr.Bytes())
	}
	return out
}
