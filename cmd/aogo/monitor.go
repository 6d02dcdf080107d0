package main

import (
	"context"
	"fmt"

	"github.com/aogo-dev/aogo/client"
	"github.com/spf13/cobra"
)

func newMonitorCommand() *cobra.Command {
	return monitorCommand("monitor PROCESS", "Ask the node's MU to deliver a process's cron messages",
		`Ask the node's MU to monitor a process: it advances the process on its cron
schedule (Cron-Interval) and delivers what the ticks send, with no message
to the process needed. The request is an item signed with --wallet (as
aoconnect's monitor). Monitoring a process twice is an error; stop with
aogo unmonitor.`,
		"monitoring", (*client.Client).Monitor)
}

func newUnmonitorCommand() *cobra.Command {
	return monitorCommand("unmonitor PROCESS", "Stop the MU's monitor of a process",
		`Stop the node's MU monitoring a process (see aogo monitor). The request is
an item signed with --wallet. A process that is not monitored is an error.`,
		"stopped monitoring", (*client.Client).Unmonitor)
}

func monitorCommand(use, short, long, done string, do func(*client.Client, context.Context, string) error) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(cmd)
			if err != nil {
				return err
			}
			if err := do(c, cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), done, args[0])
			return nil
		},
	}
	f.register(cmd, false)
	return cmd
}

func newResultsCommand() *cobra.Command {
	var (
		f      clientFlags
		q      client.ResultsQuery
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "results PROCESS",
		Short: "Print a page of a process's results (their Outputs, or the page with --json)",
		Long: `Print a page of a process's stored results, oldest first: one line per
result, its Output (failed messages are left out). The CU answers what it
has evaluated so far; aogo result PROCESS MESSAGE evaluates up to a message.
When more results follow, the --from that continues the page goes to
stderr. --json prints the page as the CU answers it (edges of cursor and
node, pageInfo).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.readClient(cmd)
			if err != nil {
				return err
			}
			page, err := c.Results(cmd.Context(), args[0], q)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				b, err := jsonIndent(page)
				if err != nil {
					return err
				}
				fmt.Fprintln(out, string(b))
				return nil
			}
			for _, e := range page.Edges {
				fmt.Fprintln(out, e.Node.OutputText())
			}
			if n := len(page.Edges); n > 0 && page.PageInfo.HasNextPage {
				fmt.Fprintf(cmd.ErrOrStderr(), "more results: --from %s\n", page.Edges[n-1].Cursor)
			}
			return nil
		},
	}
	f.register(cmd, false)
	readOnly(cmd)
	fl := cmd.Flags()
	fl.IntVar(&q.Limit, "limit", 0, "results in the page (0: the CU's default, 25)")
	fl.StringVar(&q.Sort, "sort", "ASC", "ASC (oldest first) or DESC")
	fl.StringVar(&q.From, "from", "", "start after this cursor or timestamp (ms)")
	fl.StringVar(&q.To, "to", "", "end at this cursor or timestamp (ms)")
	fl.BoolVar(&asJSON, "json", false, "print the page as JSON")
	return cmd
}
