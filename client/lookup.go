package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aogo-dev/aogo/arweave"
)

// ErrNotFound is the answer of a look-up that found nothing (FindProcess).
// It may be wrapped; test with errors.Is.
var ErrNotFound = errors.New("client: not found")

// findProcessQuery is the gateway query aos runs to find a user's process
// by name: the newest Type=Process item of an owner with the given tags.
const findProcessQuery = `query ($owners: [String!]!, $tags: [TagFilter!]!) {
  transactions(owners: $owners, tags: $tags, first: 1, sort: HEIGHT_DESC) {
    edges { node { id } }
  }
}`

// FindProcess returns the id of the newest process owned by owner (an
// address) that has every tag of tags, by the gateway's GraphQL
// (transactions(owners, tags, first: 1, sort: HEIGHT_DESC)), as aos finds
// a process by its Name. Data-Protocol=ao and Type=Process are implied. It
// returns ErrNotFound when there is none.
//
// The gateway knows a process as soon as the SU has scheduled it (the SU
// puts each Process item into its store at once); "newest" is by block
// height, and pending items count as newer than every block.
func (c *Client) FindProcess(ctx context.Context, owner string, tags []arweave.Tag) (string, error) {
	type filter struct {
		Name   string   `json:"name"`
		Values []string `json:"values"`
	}
	filters := []filter{{"Data-Protocol", []string{"ao"}}, {"Type", []string{"Process"}}}
	for _, t := range tags {
		filters = append(filters, filter{t.Name, []string{t.Value}})
	}
	body, err := json.Marshal(map[string]any{
		"query":     findProcessQuery,
		"variables": map[string]any{"owners": []string{owner}, "tags": filters},
	})
	if err != nil {
		return "", err
	}
	var res struct {
		Data struct {
			Transactions struct {
				Edges []struct {
					Node struct {
						ID string `json:"id"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"transactions"`
		} `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := c.do(ctx, http.MethodPost, c.units.Gateway+"/graphql", "application/json", body, &res); err != nil {
		return "", fmt.Errorf("client: find process: %w", err)
	}
	if len(res.Errors) > 0 {
		return "", fmt.Errorf("client: find process: gateway: %s", res.Errors[0].Message)
	}
	if e := res.Data.Transactions.Edges; len(e) > 0 && e[0].Node.ID != "" {
		return e[0].Node.ID, nil
	}
	return "", fmt.Errorf("client: no process of %s with tags %v: %w", owner, tags, ErrNotFound)
}

// Assignment is the place the SU gave a message in a process's schedule.
type Assignment struct {
	ID        string // the assignment's id
	Nonce     int64  // the message's position in the process's log
	Timestamp int64  // ms
}

// Assignment returns the SU's assignment of message id of process pid
// (GET {SU}/{id}?process-id=pid): where in the schedule the message is. The
// nonce names the message's result among a process's results (see
// ParseCursor).
func (c *Client) Assignment(ctx context.Context, pid, id string) (*Assignment, error) {
	var res struct {
		Assignment struct {
			ID   string `json:"id"`
			Tags []struct {
				Name  string `json:"name"`
				Value string `json:"value"`
			} `json:"tags"`
		} `json:"assignment"`
	}
	q := url.Values{"process-id": {pid}}
	if err := c.do(ctx, http.MethodGet, c.units.SU+"/"+url.PathEscape(id)+"?"+q.Encode(), "", nil, &res); err != nil {
		return nil, fmt.Errorf("client: assignment of %s: %w", id, err)
	}
	out := &Assignment{ID: res.Assignment.ID, Nonce: -1, Timestamp: -1}
	for _, t := range res.Assignment.Tags {
		var err error
		switch t.Name {
		case "Nonce":
			out.Nonce, err = strconv.ParseInt(t.Value, 10, 64)
		case "Timestamp":
			out.Timestamp, err = strconv.ParseInt(t.Value, 10, 64)
		}
		if err != nil {
			return nil, fmt.Errorf("client: assignment of %s: tag %s: %w", id, t.Name, err)
		}
	}
	if out.Nonce < 0 || out.Timestamp < 0 {
		return nil, fmt.Errorf("client: assignment of %s: no Nonce or Timestamp tag", id)
	}
	return out, nil
}

// Cursor is what a result's cursor (ResultEdge.Cursor) names, in the
// reference CU's format that aogo's CU follows: base64 of the JSON object
// {"timestamp", "ordinate", "cron", "sort"}.
type Cursor struct {
	Timestamp int64 // ms
	// Ordinate is the nonce of the evaluated message (-1 for the process
	// message), or for a cron tick the nonce of the last message before
	// it.
	Ordinate int64
	// Cron is the tick's cron id ("<index>-<interval>"), "" for a message.
	Cron string
}

// IsMessage reports whether the cursor names the result of a scheduled
// message (not of a cron tick).
func (c Cursor) IsMessage() bool { return c.Cron == "" }

// ParseCursor reads a result's cursor. A message's result has the
// message's nonce (Assignment.Nonce) as its Ordinate.
func ParseCursor(s string) (Cursor, error) {
	clean := strings.NewReplacer("-", "+", "_", "/").Replace(strings.TrimRight(s, "="))
	raw, err := base64.RawStdEncoding.DecodeString(clean)
	if err != nil {
		return Cursor{}, fmt.Errorf("client: cursor %q: not base64", s)
	}
	var c struct {
		Timestamp json.Number `json:"timestamp"`
		Ordinate  json.Number `json:"ordinate"`
		Cron      *string     `json:"cron"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return Cursor{}, fmt.Errorf("client: cursor %q: %w", s, err)
	}
	var out Cursor
	if out.Timestamp, err = c.Timestamp.Int64(); err != nil {
		return Cursor{}, fmt.Errorf("client: cursor %q: timestamp: %w", s, err)
	}
	if out.Ordinate, err = c.Ordinate.Int64(); err != nil {
		return Cursor{}, fmt.Errorf("client: cursor %q: ordinate: %w", s, err)
	}
	if c.Cron != nil {
		out.Cron = *c.Cron
	}
	return out, nil
}
