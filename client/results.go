package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// ResultsQuery selects a page of a process's stored results (GET
// /results/{pid} of the CU). The zero value is the CU's first page, oldest
// first.
type ResultsQuery struct {
	// From (exclusive) and To (inclusive) bound the page in its direction:
	// each a timestamp in milliseconds or a cursor of an earlier page, so
	// the last edge's cursor as From continues a page. Empty: unbounded.
	From, To string
	// Sort is "ASC" (oldest first, the default) or "DESC".
	Sort string
	// Limit is the page's size; 0 is the CU's default (25 on aogo, at most
	// 1000).
	Limit int
}

// ResultsPage is one page of results.
type ResultsPage struct {
	Edges []ResultEdge `json:"edges"`
	// PageInfo.HasNextPage tells whether more results follow: ask again
	// with From set to the last edge's cursor.
	PageInfo struct {
		HasNextPage bool `json:"hasNextPage"`
	} `json:"pageInfo"`
}

// ResultEdge is one result of a page and its cursor.
type ResultEdge struct {
	Cursor string `json:"cursor"`
	Node   Result `json:"node"`
}

// Results returns a page of process pid's stored results, as aoconnect's
// results does: the CU answers what it has evaluated so far (it does not
// evaluate further), failed messages left out.
func (c *Client) Results(ctx context.Context, pid string, q ResultsQuery) (*ResultsPage, error) {
	v := url.Values{}
	if q.From != "" {
		v.Set("from", q.From)
	}
	if q.To != "" {
		v.Set("to", q.To)
	}
	if q.Sort != "" {
		v.Set("sort", q.Sort)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	u := c.units.CU + "/results/" + url.PathEscape(pid)
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	var page ResultsPage
	if err := c.do(ctx, http.MethodGet, u, "", nil, &page); err != nil {
		return nil, fmt.Errorf("client: results of %s: %w", pid, err)
	}
	return &page, nil
}
