package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// Monitor asks the MU to deliver process pid's cron messages: it advances
// the process on its cron schedule and pushes what the ticks send (without
// a monitor, a cron's outbox waits for the next message to the process). As
// aoconnect, it posts an item signed by the client (target pid, data " ",
// no tags) to POST {MU}/monitor/{pid}; aogo's MU takes it only from the
// process's owner. Monitoring a process twice is an error (*Error, 4xx).
func (c *Client) Monitor(ctx context.Context, pid string) error {
	return c.monitor(ctx, http.MethodPost, pid)
}

// Unmonitor stops the MU's monitor of process pid (DELETE
// {MU}/monitor/{pid}, with the same signed item as Monitor). A process
// that is not monitored is an error (*Error, 4xx).
func (c *Client) Unmonitor(ctx context.Context, pid string) error {
	return c.monitor(ctx, http.MethodDelete, pid)
}

func (c *Client) monitor(ctx context.Context, method, pid string) error {
	item, err := c.sign(pid, nil, []byte(" "))
	if err != nil {
		return fmt.Errorf("client: sign monitor of %s: %w", pid, err)
	}
	verb := "monitor"
	if method == http.MethodDelete {
		verb = "unmonitor"
	}
	var res json.RawMessage
	if err := c.do(ctx, method, c.units.MU+"/monitor/"+url.PathEscape(pid), "application/octet-stream", item.Bytes(), &res); err != nil {
		return fmt.Errorf("client: %s %s: %w", verb, pid, err)
	}
	return nil
}
