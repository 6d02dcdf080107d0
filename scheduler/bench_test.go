package scheduler_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/scheduler"
	"github.com/aogo-dev/aogo/scheduler/pebblelog"
)

// The append benchmarks measure durable appends: every Schedule call (or
// POST /) returns only once its entry is fsync'd. Load comes from closed-
// loop clients (each sends its next message as soon as its last is
// acknowledged), so the mean latency is about clients / throughput.
// Setup (spawning the processes, signing the messages) is outside the
// timer. The numbers go to docs/benchmarks.md.

// appendClients is the default number of concurrent clients.
const appendClients = 64

// appendCase is one configuration of BenchmarkAppend.
type appendCase struct {
	api     string // "go": Scheduler.Schedule; "http": POST / through Handler
	su      arweave.SignatureType
	msg     arweave.SignatureType
	procs   int
	clients int
}

func (c appendCase) name() string {
	return fmt.Sprintf("%s/su=%s/msg=%s/procs=%d/clients=%d", c.api, keyName(c.su), keyName(c.msg), c.procs, c.clients)
}

func keyName(t arweave.SignatureType) string {
	if t == arweave.SignatureArweave {
		return "rsa"
	}
	return "ed25519"
}

// BenchmarkAppend schedules b.N pre-signed messages, message i to process
// i mod procs, and reports durable appends/s and the p50 and p99 latency
// of one Schedule call or HTTP request.
//
// Of the 24 combinations of api x SU key x message key x processes it
// runs those that say something:
//   - the message key matters only over HTTP (the handler verifies; the
//     Go API takes items its MU already verified), so go/msg=rsa shows
//     only the cost of bigger items;
//   - an RSA SU key makes signing each assignment (several ms) the limit
//     whatever the API or message key, so it runs through the Go API with
//     ed25519 messages only.
//
// The clients=16 and clients=256 cases show the trade between throughput
// and latency of a closed loop (mean latency = clients / throughput).
//
// Run the RSA cases with a small -benchtime (every RSA-signed message and
// every RSA-signed assignment costs milliseconds of CPU): see the Makefile.
func BenchmarkAppend(b *testing.B) {
	ed, rsa := arweave.SignatureED25519, arweave.SignatureArweave
	const cl = appendClients
	var cases []appendCase
	for _, api := range []string{"go", "http"} {
		for _, n := range []int{1, 100, 10_000} {
			cases = append(cases, appendCase{api, ed, ed, n, cl})
		}
	}
	cases = append(cases,
		appendCase{"go", ed, ed, 100, 16},
		appendCase{"go", ed, ed, 100, 256},
		appendCase{"http", ed, ed, 100, 16},
		appendCase{"go", ed, rsa, 100, cl},
		appendCase{"http", ed, rsa, 100, cl},
		appendCase{"go", rsa, ed, 1, cl},
		appendCase{"go", rsa, ed, 100, cl},
	)
	for _, c := range cases {
		// The benchmark function runs more than once (b.N = 1 first):
		// the environment, with its spawned processes, is kept across
		// those runs and closed when the sub-benchmark is done.
		var env *appendEnv
		b.Run(c.name(), func(b *testing.B) {
			if env == nil {
				env = newAppendEnv(b, c)
			}
			env.run(b)
		})
		if env != nil {
			env.close()
		}
	}
}

// appendEnv is a scheduler with c.procs processes and the messages of a
// case.
type appendEnv struct {
	c      appendCase
	dir    string
	log    *pebblelog.Log
	store  *embedded.Store
	su     *scheduler.Scheduler
	srv    *httptest.Server
	client *http.Client
	used   int // messages already scheduled
}

func newAppendEnv(b *testing.B, c appendCase) *appendEnv {
	dir, err := tempDir()
	if err != nil {
		b.Fatal(err)
	}
	wallet := benchWallet(b, c.su)
	e := &appendEnv{c: c, dir: dir}
	if e.store, err = embedded.Open(embedded.Config{Dir: filepath.Join(dir, "store"), Signer: wallet}); err != nil {
		b.Fatal(err)
	}
	if e.log, err = pebblelog.Open(pebblelog.Config{Dir: filepath.Join(dir, "log")}); err != nil {
		b.Fatal(err)
	}
	if e.su, err = scheduler.New(context.Background(), scheduler.Config{Log: e.log, Store: e.store, Signer: wallet}); err != nil {
		b.Fatal(err)
	}
	if c.api == "http" {
		e.srv = httptest.NewServer(e.su.Handler(scheduler.HandlerConfig{}))
		e.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.clients}}
	}
	// Spawn the processes through the Go API, from many goroutines.
	procs := benchProcesses(b, wallet, c.procs)
	ctx := context.Background()
	parallel(b, appendClients, len(procs), func(i int) error {
		_, err := e.su.Schedule(ctx, procs[i])
		return err
	})
	return e
}

func (e *appendEnv) close() {
	if e.srv != nil {
		e.client.CloseIdleConnections()
		e.srv.Close()
	}
	e.su.Close()
	e.log.Close()
	e.store.Close()
	os.RemoveAll(e.dir)
}

// run schedules b.N new messages from c.clients clients.
func (e *appendEnv) run(b *testing.B) {
	c := e.c
	wallet := benchWallet(b, c.su)
	msgs := benchMessages(b, wallet, c.msg, c.procs, e.used+b.N)[e.used:]
	e.used += b.N
	raw := make([][]byte, len(msgs))
	if c.api == "http" {
		for i, m := range msgs {
			raw[i] = m.Bytes()
		}
	}
	ctx := context.Background()
	send := func(i int) error {
		_, err := e.su.Schedule(ctx, msgs[i])
		return err
	}
	if c.api == "http" {
		send = func(i int) error {
			res, err := e.client.Post(e.srv.URL+"/", "application/octet-stream", bytes.NewReader(raw[i]))
			if err != nil {
				return err
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				return fmt.Errorf("POST /: %d %s", res.StatusCode, body)
			}
			return nil
		}
	}
	before := e.log.LastSeq()
	runtime.GC()
	b.ResetTimer()
	lat := parallel(b, c.clients, b.N, send)
	b.StopTimer()
	if got := e.log.LastSeq() - before; got != uint64(b.N) {
		b.Fatalf("%d records appended, want %d", got, b.N)
	}
	reportAppends(b, lat)
}

// BenchmarkAppendBaseline is the floor BenchmarkAppend is compared with in
// docs/benchmarks.md: bare pebble, one new 1 KiB value per synced write
// (an entry, its message and its index keys are of that order), from one
// writer (one fsync per write: the disk's sync latency) and from 64
// writers (pebble's group commit shares fsyncs, as the scheduler's log
// does).
func BenchmarkAppendBaseline(b *testing.B) {
	for _, writers := range []int{1, appendClients} {
		b.Run(fmt.Sprintf("pebble-sync/writers=%d", writers), func(b *testing.B) {
			dir, err := tempDir()
			if err != nil {
				b.Fatal(err)
			}
			defer os.RemoveAll(dir)
			db, err := pebble.Open(dir, &pebble.Options{Logger: quietLogger{}, MemTableSize: 32 << 20})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			value := bytes.Repeat([]byte{0xa5}, 1024)
			b.ResetTimer()
			lat := parallel(b, writers, b.N, func(i int) error {
				return db.Set(binary.BigEndian.AppendUint64([]byte{'k'}, uint64(i)), value, pebble.Sync)
			})
			b.StopTimer()
			reportAppends(b, lat)
		})
	}
}

// parallel calls f(0) .. f(n-1) from workers goroutines and returns the
// latency of each call.
func parallel(b *testing.B, workers, n int, f func(i int) error) []time.Duration {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Bool
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				start := time.Now()
				if err := f(i); err != nil {
					failed.Store(true)
					b.Error(err)
					return
				}
				lat[i] = time.Since(start)
			}
		}()
	}
	wg.Wait()
	if failed.Load() {
		b.FailNow()
	}
	return lat
}

func reportAppends(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "appends/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// Keys and signed items are made once per test binary and shared by the
// cases: every environment of an SU key spawns the same Process items, so
// it has the same process ids, and the messages signed for one case serve
// the next (each environment is a new log, so none is a duplicate there).
var benchCache struct {
	sync.Mutex
	wallets   map[arweave.SignatureType]arweave.Signer // SU wallets
	users     map[arweave.SignatureType]arweave.Signer // client wallets
	processes map[string][]*arweave.DataItem           // by SU address
	messages  map[string][]*arweave.DataItem           // by SU address, message key, procs
}

func benchWallet(b *testing.B, t arweave.SignatureType) arweave.Signer {
	return cachedWallet(b, &benchCache.wallets, t)
}

func benchUser(b *testing.B, t arweave.SignatureType) arweave.Signer {
	return cachedWallet(b, &benchCache.users, t)
}

func cachedWallet(b *testing.B, m *map[arweave.SignatureType]arweave.Signer, t arweave.SignatureType) arweave.Signer {
	benchCache.Lock()
	defer benchCache.Unlock()
	if *m == nil {
		*m = map[arweave.SignatureType]arweave.Signer{}
	}
	if w := (*m)[t]; w != nil {
		return w
	}
	w, err := arweave.GenerateWallet(t)
	if err != nil {
		b.Fatal(err)
	}
	(*m)[t] = w
	return w
}

// benchProcesses returns n Process items (signed by an ed25519 user) for
// the SU wallet su.
func benchProcesses(b *testing.B, su arweave.Signer, n int) []*arweave.DataItem {
	user := benchUser(b, arweave.SignatureED25519)
	addr := arweave.SignerAddress(su)
	benchCache.Lock()
	defer benchCache.Unlock()
	if benchCache.processes == nil {
		benchCache.processes = map[string][]*arweave.DataItem{}
	}
	have := benchCache.processes[addr]
	have = signItems(b, have, n, func(i int) (*arweave.DataItem, error) {
		return arweave.SignDataItem(user, arweave.ItemOptions{
			Tags: []arweave.Tag{
				tag("Data-Protocol", "ao"), tag("Variant", "ao.TN.1"), tag("Type", "Process"),
				tag("Module", testModule), tag("Scheduler", addr),
			},
			Data: fmt.Appendf(nil, "process %d", i),
		})
	})
	benchCache.processes[addr] = have
	return have[:n]
}

// benchMessages returns n unique Message items signed by a user of key
// type t, message i to process i mod procs of benchProcesses(su).
func benchMessages(b *testing.B, su arweave.Signer, t arweave.SignatureType, procs, n int) []*arweave.DataItem {
	pids := benchProcesses(b, su, procs)
	user := benchUser(b, t)
	k := fmt.Sprintf("%s/%d/%d", arweave.SignerAddress(su), t, procs)
	benchCache.Lock()
	defer benchCache.Unlock()
	if benchCache.messages == nil {
		benchCache.messages = map[string][]*arweave.DataItem{}
	}
	have := signItems(b, benchCache.messages[k], n, func(i int) (*arweave.DataItem, error) {
		return arweave.SignDataItem(user, arweave.ItemOptions{
			Target: pids[i%procs].ID(),
			Tags: []arweave.Tag{
				tag("Data-Protocol", "ao"), tag("Variant", "ao.TN.1"), tag("Type", "Message"),
				tag("Action", "Eval"),
			},
			Data: fmt.Appendf(nil, "message %d", i),
		})
	})
	benchCache.messages[k] = have
	return have[:n]
}

// signItems extends have to n items with sign(len(have)) .. sign(n-1),
// signing on every core.
func signItems(b *testing.B, have []*arweave.DataItem, n int, sign func(i int) (*arweave.DataItem, error)) []*arweave.DataItem {
	if len(have) >= n {
		return have
	}
	from := len(have)
	have = append(have, make([]*arweave.DataItem, n-from)...)
	parallel(b, runtime.GOMAXPROCS(0), n-from, func(i int) (err error) {
		have[from+i], err = sign(from + i)
		return err
	})
	return have
}

// tempDir is a directory for one environment, removed when the
// environment closes (b.TempDir would keep every case's databases until
// the whole benchmark ends).
func tempDir() (string, error) { return os.MkdirTemp("", "aogo-su-bench-") }

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}
