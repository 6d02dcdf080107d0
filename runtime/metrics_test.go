package runtime_test

import (
	"bufio"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/runtime"
)

// scrape reads GET /metrics in the text format: each sample's value by
// its line's name and labels, as written ({a="x",b="y"}, labels sorted).
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", res.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("GET /metrics: %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNodeMetrics spawns a process, sends it a message through the MU and
// reads its result, then checks that GET /metrics counted it all: the
// SU's appends, the CU's evaluations, the HTTP requests of each unit. A
// second node in the same process has metrics of its own.
func TestNodeMetrics(t *testing.T) {
	wasm, err := os.ReadFile(filepath.Join("..", "vm", "testdata", "build", "minimal-fmt2-metered.wasm"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("test modules are not built (%v): run `make test-modules`", err)
		}
		t.Skipf("test modules are not built: run `make test-modules` (%v)", err)
	}
	n := startNode(t, runtime.Config{DataDir: t.TempDir()})
	urls := n.URLs()
	before := scrape(t, urls["gateway"])
	for _, name := range []string{
		`aogo_su_appends_total{kind="process"}`, `aogo_su_appends_total{kind="message"}`, `aogo_su_appends_total{kind="assignment"}`,
		`aogo_cu_evaluations_total`, `aogo_cu_evaluations_failed_total`, `aogo_cu_evaluation_errors_total`,
		`aogo_su_append_failures_total`, `aogo_su_upload_failing`, `aogo_mu_dead_letters`, `aogo_cu_processes_live`,
	} {
		if v, ok := before[name]; !ok || v != 0 {
			t.Errorf("before any traffic: %s = %v (present %v), want 0", name, v, ok)
		}
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "aogo_store_bytes", "aogo_su_log_bytes",
		"aogo_su_log_records", "aogo_su_upload_lag_records", "aogo_su_sequencers_active", "aogo_cu_live_memory_bytes",
		"aogo_cu_results_bytes", "aogo_mu_crank_queue_jobs"} {
		if _, ok := before[name]; !ok {
			t.Errorf("GET /metrics has no %s", name)
		}
	}

	user, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	mod := postModule(t, urls["gateway"], user, wasm)
	proc := sign(t, user, "", aoTags("Process",
		arweave.Tag{Name: "Module", Value: mod.ID()}, arweave.Tag{Name: "Scheduler", Value: n.Info().Units["su"].Address})...)
	schedule(t, urls["su"], proc)
	m := sign(t, user, proc.ID(), aoTags("Message", arweave.Tag{Name: "Action", Value: "Inc"})...)
	if code := do(t, http.MethodPost, urls["mu"]+"/", "application/octet-stream", m.Bytes(), nil); code != http.StatusAccepted {
		t.Fatalf("POST /mu/: %d", code)
	}
	var r struct{ Output string }
	getJSON(t, urls["cu"]+"/result/"+m.ID()+"?process-id="+proc.ID(), &r)
	if r.Output != "2" {
		t.Fatalf("result: %q", r.Output)
	}
	// An unknown route: a 4xx of the gateway.
	do(t, http.MethodGet, urls["gateway"]+"/no/such/route", "", nil, nil)

	after := scrape(t, urls["gateway"])
	// At least: the MU's cranker works in the background.
	for name, want := range map[string]float64{
		`aogo_su_appends_total{kind="process"}`:                          1,
		`aogo_su_appends_total{kind="message"}`:                          1,
		`aogo_cu_evaluations_total`:                                      2, // the process message, then m
		`aogo_cu_processes_live`:                                         1,
		`aogo_cu_live_memory_bytes`:                                      64 << 20,
		`aogo_su_sequencers_active`:                                      1,
		`aogo_http_requests_total{code="2xx",unit="su"}`:                 1,
		`aogo_http_requests_total{code="2xx",unit="mu"}`:                 1,
		`aogo_http_requests_total{code="2xx",unit="cu"}`:                 1,
		`aogo_http_requests_total{code="2xx",unit="gateway"}`:            1,
		`aogo_http_requests_total{code="4xx",unit="gateway"}`:            1,
		`aogo_http_requests_total{code="2xx",unit="node"}`:               1, // the first scrape
		`aogo_http_request_duration_seconds_count{unit="cu"}`:            1,
		`aogo_http_request_duration_seconds_bucket{unit="su",le="+Inf"}`: 1,
	} {
		if got := after[name]; got < want {
			t.Errorf("%s = %v, want at least %v", name, got, want)
		}
	}
	if after["aogo_su_log_records"] < 2 || after["aogo_su_log_bytes"] <= 0 || after["aogo_store_bytes"] <= 0 || after["aogo_cu_results_bytes"] <= 0 {
		t.Errorf("sizes: log records %v, log bytes %v, store bytes %v, results bytes %v",
			after["aogo_su_log_records"], after["aogo_su_log_bytes"], after["aogo_store_bytes"], after["aogo_cu_results_bytes"])
	}

	// Another node in this process: a registry of its own, with the
	// metrics of the units it runs only.
	other := startNode(t, runtime.Config{DataDir: t.TempDir(), Units: []string{runtime.UnitGateway, runtime.UnitSU}})
	got := scrape(t, other.URLs()["gateway"])
	if v, ok := got[`aogo_su_appends_total{kind="process"}`]; !ok || v != 0 {
		t.Errorf("second node: process appends %v (present %v)", v, ok)
	}
	for name := range got {
		if strings.HasPrefix(name, "aogo_cu_") || strings.HasPrefix(name, "aogo_mu_") {
			t.Errorf("second node (gateway, su) has %s", name)
		}
	}
	closeNode(t, other)
	closeNode(t, n)
}
