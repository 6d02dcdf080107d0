package scheduler_test

import (
	"testing"

	"github.com/aogo-dev/aogo/scheduler"
)

// TestStats: the counters behind the node's metrics count durable
// appends (not refusals) and the sequencers active.
func TestStats(t *testing.T) {
	ts := newTestSU(t)
	pid := ts.spawn()
	ts.send(pid, "one")
	m := ts.messageItem(pid, "two")
	for range 2 { // the second is a duplicate: refused, not counted
		ts.post("", m.Bytes())
	}
	want := scheduler.Stats{Processes: 1, Messages: 2, Sequencers: 1}
	if st := ts.su.Stats(); st != want {
		t.Fatalf("%+v, want %+v", st, want)
	}
	ts.su.Close()
	if st := ts.su.Stats(); st.Sequencers != 0 {
		t.Fatalf("after Close: %+v", st)
	}
}
