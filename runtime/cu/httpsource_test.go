package cu_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/runtime/cu"
	"github.com/aogo-dev/aogo/runtime/results"
	"github.com/aogo-dev/aogo/scheduler"
)

// TestHTTPSource: a CU that reads the SU over its HTTP API (as it would a
// foreign SU) evaluates exactly what a CU reading it through Go calls does:
// the same results, byte for byte, and the same state.
func TestHTTPSource(t *testing.T) {
	w := newWorld(t, "rich-fmt2-metered.wasm", "wasm32-unknown-emscripten2")
	srv := httptest.NewServer(w.su.Handler(scheduler.HandlerConfig{}))
	t.Cleanup(srv.Close)
	pid := w.spawn(arweave.Tag{Name: "Cron-Interval", Value: "2-seconds"}, arweave.Tag{Name: "Cron-Tag-Action", Value: "Inc"})
	w.send(pid, "Inc", "")
	w.send(pid, "Echo", "not utf-8: \xff\xfe and <&>")
	w.send(pid, "Error", "")
	w.advance(5 * time.Second)
	w.send(pid, "Time", "")
	w.send(pid, "Inc", "", arweave.Tag{Name: "From-Process", Value: pid})
	w.advance(3 * time.Second)

	local := w.newCU(t.TempDir())
	remote := w.newCU(t.TempDir(), func(c *cu.Config) { c.Source = &cu.HTTPSource{URL: srv.URL} })
	ctx := context.Background()
	var all [2][]results.Record
	for i, u := range []*cu.Unit{local, remote} {
		if _, err := u.Advance(ctx, pid); err != nil {
			t.Fatal(err)
		}
		recs, _, err := u.Results(ctx, pid, results.Query{})
		if err != nil {
			t.Fatal(err)
		}
		all[i] = recs
	}
	if len(all[0]) != 10 { // process message, 5 messages, 4 ticks
		t.Fatalf("%d evaluations", len(all[0]))
	}
	if len(all[1]) != len(all[0]) {
		t.Fatalf("over HTTP: %d evaluations, through Go: %d", len(all[1]), len(all[0]))
	}
	for i := range all[0] {
		a, b := all[0][i], all[1][i]
		if a.Key != b.Key || a.MessageID != b.MessageID || !bytes.Equal(a.Result, b.Result) {
			t.Fatalf("evaluation %d differs:\n%+v %s\n%+v %s", i, a, a.Result, b, b.Result)
		}
	}
	sa, _, err := local.State(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	sb, _, err := remote.State(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	if sa.Hash() != sb.Hash() {
		t.Fatal("state hashes differ")
	}

	// Unknown processes and messages are 404s over HTTP as well.
	base := serve(t, remote)
	if code, _, body := confDo(t, "GET", base+"/result/"+pid+"?process-id="+w.module, nil); code != 404 {
		t.Fatalf("unknown process over HTTP: %d %s", code, body)
	}
}
