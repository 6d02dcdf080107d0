package repl

import (
	"context"
	"fmt"
	"time"

	"github.com/aogo-dev/aogo/client"
)

// watchPage is how many results one poll asks for at a time.
const watchPage = 100

// watch shows the process's new results, other than this REPL's Evals,
// until ctx ends: every PollInterval it asks the CU for the results after
// its cursor. Results exist once a CU has evaluated their messages: the
// MU has the CU evaluate every message it pushes to the process, and the
// ticks of a monitored cron.
func (r *REPL) watch(ctx context.Context) {
	t := time.NewTicker(r.cfg.PollInterval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := r.poll(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && !failing:
			// Said once, not at every poll; the watcher keeps trying.
			failing = true
			r.errorf("cannot read the process's results (will retry): %v", err)
		case err == nil && failing:
			failing = false
			fmt.Fprintln(r.cfg.Notices, "Reading the process's results again.")
		}
	}
}

// poll shows the results after the cursor and moves the cursor past them.
func (r *REPL) poll(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		page, err := r.c.Results(ctx, r.pid, client.ResultsQuery{From: r.mu.cursor, Sort: "ASC", Limit: watchPage})
		if err != nil {
			return err
		}
		for _, e := range page.Edges {
			r.mu.cursor = e.Cursor
			if c, err := client.ParseCursor(e.Cursor); err == nil && c.IsMessage() && r.mu.own[c.Ordinate] {
				delete(r.mu.own, c.Ordinate) // an Eval of this REPL: Eval showed it
				continue
			}
			out := parseOutput(&e.Node)
			if out.prompt != "" {
				r.setPrompt(out.prompt)
			}
			if out.print && out.data != "" {
				fmt.Fprint(r.cfg.Incoming, lines(out.data))
			}
		}
		if !page.PageInfo.HasNextPage || len(page.Edges) == 0 {
			return nil
		}
	}
}
