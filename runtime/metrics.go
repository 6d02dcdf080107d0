package runtime

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsRoute serves the node's Prometheus metrics, outside the admin
// guard (Prometheus scrapes from another machine).
const metricsRoute = "/metrics"

// unitNode labels the node's own routes (GET /node, GET /metrics) in the
// HTTP metrics.
const unitNode = "node"

// metrics are a node's Prometheus collectors. They live in a registry of
// the node's own, never prometheus.DefaultRegisterer: two nodes in one
// process (tests) share nothing. Everything a unit already counts is read
// at scrape time (GaugeFunc, CounterFunc), so that no hot path takes a
// lock for metrics; what a scrape reads is cheap (atomics, pebble's
// in-memory metrics), except the crank queue's depth, which counts its
// jobs.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aogo_http_requests_total",
			Help: "HTTP requests answered, by unit (gateway, su, cu, mu, node) and status class (2xx, 4xx, ...).",
		}, []string{"unit", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "aogo_http_request_duration_seconds",
			Help: "Time to answer an HTTP request, by unit.",
			// NB: a CU result request may evaluate a long backlog first.
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"unit"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
		m.requests, m.duration,
	)
	return m
}

// handler serves the registry in Prometheus's exposition formats.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// gauge registers a gauge read from f at each scrape.
func (m *metrics) gauge(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// counter registers a counter read from f at each scrape; f must never
// decrease.
func (m *metrics) counter(name, help string, labels prometheus.Labels, f func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, f))
}

// registerUnits registers the metrics of the units that run; called once
// they have started (the functions read n's fields at scrape time, which
// happens only while the HTTP server runs, before any unit closes).
func (n *Node) registerUnits() {
	m := n.metrics
	m.gauge("aogo_store_bytes", "Bytes the embedded Arweave store (store/) takes on disk.",
		func() float64 { return float64(n.store.DiskUsage()) })
	if n.su != nil {
		const appendsHelp = "Appends to the SU's log, by kind (process, message, assignment)."
		m.counter("aogo_su_appends_total", appendsHelp, prometheus.Labels{"kind": "process"},
			func() float64 { return float64(n.su.Stats().Processes) })
		m.counter("aogo_su_appends_total", appendsHelp, prometheus.Labels{"kind": "message"},
			func() float64 { return float64(n.su.Stats().Messages) })
		m.counter("aogo_su_appends_total", appendsHelp, prometheus.Labels{"kind": "assignment"},
			func() float64 { return float64(n.su.Stats().Assignments) })
		m.counter("aogo_su_append_failures_total", "Appends the SU's log failed (write or fsync errors; refused items are not failures).", nil,
			func() float64 { return float64(n.su.Stats().Failures) })
		m.gauge("aogo_su_sequencers_active", "Sequencer actors active (processes with recent traffic).",
			func() float64 { return float64(n.su.Stats().Sequencers) })
		m.gauge("aogo_su_log_bytes", "Bytes the SU's log (su-log/) takes on disk.",
			func() float64 { return float64(n.suLog.DiskUsage()) })
		m.gauge("aogo_su_log_records", "Sequence number of the newest durable record of the SU's log (processes and assignments).",
			func() float64 { return float64(n.suLog.LastSeq()) })
		m.gauge("aogo_su_upload_lag_records", "Records of the SU's log not yet uploaded to the store (GET /node's upload.lag).",
			func() float64 { return float64(n.uploader.Status().Lag) })
		m.gauge("aogo_su_upload_failing", "1 while the uploader's last attempt failed (GET /node's upload.last_error), else 0.",
			func() float64 { return boolFloat(n.uploader.Status().LastError != "") })
	}
	if n.cu.unit != nil {
		m.counter("aogo_cu_evaluations_total", "Messages and cron ticks the CU evaluated (failed ones included; dry-runs not).", nil,
			func() float64 { return float64(n.cu.unit.Stats().Evaluations) })
		m.counter("aogo_cu_evaluations_failed_total", "Evaluations whose result is an error (handler error, out of gas or memory).", nil,
			func() float64 { return float64(n.cu.unit.Stats().Failed) })
		m.counter("aogo_cu_evaluation_errors_total", "Evaluations the vm could not complete (nothing recorded; the request failed).", nil,
			func() float64 { return float64(n.cu.unit.Stats().Errors) })
		m.gauge("aogo_cu_processes_live", "Process instances the CU holds in memory.",
			func() float64 { return float64(n.cu.unit.Stats().LiveProcesses) })
		m.gauge("aogo_cu_live_memory_bytes", "Sum of the Memory-Limits of the live processes (reserved, not necessarily touched).",
			func() float64 { return float64(n.cu.unit.LiveMemory()) })
		m.gauge("aogo_cu_results_bytes", "Bytes the CU's results (cu/results/) take on disk.",
			func() float64 {
				b, err := n.cu.results.DiskUsage()
				if err != nil {
					return 0
				}
				return float64(b)
			})
	}
	if n.cranker != nil {
		m.gauge("aogo_mu_crank_queue_jobs", "Messages whose outboxes the MU has still to crank.",
			func() float64 { return float64(n.cranker.Pending()) })
		m.gauge("aogo_mu_dead_letters", "Crank jobs that failed for good, kept for an operator (GET /mu/admin/dead-letters).",
			func() float64 { return float64(n.cranker.DeadLetterCount()) })
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// instrument counts the requests h answers and times them, by unit.
func (m *metrics) instrument(unitOf func(path string) string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		unit := unitOf(r.URL.Path)
		code := sw.code
		if code == 0 {
			code = http.StatusOK // nothing written: net/http answers 200
		}
		m.requests.WithLabelValues(unit, strconv.Itoa(code/100)+"xx").Inc()
		m.duration.WithLabelValues(unit).Observe(time.Since(start).Seconds())
	})
}

// unitOf names the unit that serves path (for the HTTP metrics): a
// bounded set of label values, whatever the path.
func (n *Node) unitOf(path string) string {
	for _, u := range [...]struct{ prefix, unit string }{
		{suPathPrefix, UnitSU}, {cuPathPrefix, UnitCU}, {muPathPrefix, UnitMU},
	} {
		if path == u.prefix || strings.HasPrefix(path, u.prefix+"/") {
			return u.unit
		}
	}
	if path == nodeInfoRoute || path == metricsRoute || !n.cfg.runs(UnitGateway) {
		return unitNode
	}
	return UnitGateway
}

// statusWriter records the status of an answer.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 && code >= 200 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ReadFrom keeps the connection's sendfile path for bodies copied from
// files (io.Copy uses the underlying writer's ReadFrom).
func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return io.Copy(w.ResponseWriter, r)
}

// Unwrap lets http.ResponseController reach the connection's writer
// (flushes, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
