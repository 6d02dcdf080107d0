package messenger

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/runtime/results"
	"github.com/aogo-dev/aogo/scheduler"
)

// SUReader reads processes and entries of an SU (cu.HTTPSource reads them
// over HTTP).
type SUReader interface {
	Process(ctx context.Context, pid string) (*scheduler.Process, error)
	Find(ctx context.Context, pid, id string) (*scheduler.Entry, error)
}

// RemoteSU is an SU of another node, for an MU that runs without one:
// items and assignments are posted to its HTTP API, and processes read
// through Reader. It is a Pusher.
type RemoteSU struct {
	URL    string // the SU's base URL, e.g. http://host:4400/su
	Addr   string // its wallet address (see SUAddress)
	Reader SUReader
	Client *http.Client // nil: one with a one-minute timeout
}

func (s *RemoteSU) client() *http.Client {
	if s.Client == nil {
		return &http.Client{Timeout: time.Minute}
	}
	return s.Client
}

// Schedule posts item to the SU.
func (s *RemoteSU) Schedule(ctx context.Context, item *arweave.DataItem) (*scheduler.Scheduled, error) {
	return postSU(ctx, s.client(), strings.TrimRight(s.URL, "/")+"/", item.Bytes())
}

// Assign posts an assignment to the SU.
func (s *RemoteSU) Assign(ctx context.Context, a scheduler.AssignRequest) (*scheduler.Scheduled, error) {
	return postSU(ctx, s.client(), assignURL(strings.TrimRight(s.URL, "/"), a), nil)
}

// Process reads a process of the SU.
func (s *RemoteSU) Process(ctx context.Context, pid string) (*scheduler.Process, error) {
	return s.Reader.Process(ctx, pid)
}

// Find reads an entry of the SU.
func (s *RemoteSU) Find(ctx context.Context, pid, id string) (*scheduler.Entry, error) {
	return s.Reader.Find(ctx, pid, id)
}

// Address is the SU's wallet address.
func (s *RemoteSU) Address() string { return s.Addr }

// SUAddress asks the SU at url for its wallet address (GET /).
func SUAddress(ctx context.Context, client *http.Client, url string) (string, error) {
	var id struct {
		Address string `json:"address"`
	}
	if err := getJSON(ctx, client, strings.TrimRight(url, "/")+"/", &id); err != nil {
		return "", err
	}
	if id.Address == "" {
		return "", fmt.Errorf("GET %s: no address", url)
	}
	return id.Address, nil
}

// RemoteCU is a CU of another node, for an MU that runs without one: the
// cranker's Computer and the monitors' CronSource over the reference CU's
// HTTP API (GET /result, /results, /cron).
type RemoteCU struct {
	URL    string       // the CU's base URL, e.g. http://host:4400/cu
	Client *http.Client // nil: one with a five-minute timeout (a replay can be long)
}

func (c *RemoteCU) client() *http.Client {
	if c.Client == nil {
		return &http.Client{Timeout: 5 * time.Minute}
	}
	return c.Client
}

// Result reads the result of message (or assignment) id of process pid.
func (c *RemoteCU) Result(ctx context.Context, pid, id string) (*results.Record, error) {
	u := fmt.Sprintf("%s/result/%s?process-id=%s", strings.TrimRight(c.URL, "/"), url.PathEscape(id), url.QueryEscape(pid))
	var raw json.RawMessage
	if err := getJSON(ctx, c.client(), u, &raw); err != nil {
		return nil, err
	}
	return &results.Record{Process: pid, MessageID: id, Result: raw}, nil
}

// Advance has the CU evaluate pid to the SU's seal: GET /cron/{pid} does
// that before it answers. It returns no records (read them with Results).
func (c *RemoteCU) Advance(ctx context.Context, pid string) ([]results.Record, error) {
	u := fmt.Sprintf("%s/cron/%s?limit=1&sort=DESC", strings.TrimRight(c.URL, "/"), url.PathEscape(pid))
	return nil, getJSON(ctx, c.client(), u, &json.RawMessage{})
}

// Results pages pid's results: GET /cron/{pid} for cron ticks, else GET
// /results/{pid}. Only the queries monitors make are supported: From and
// Limit, ascending; or Desc with Limit.
func (c *RemoteCU) Results(ctx context.Context, pid string, q results.Query) ([]results.Record, bool, error) {
	route := "results"
	if q.CronOnly {
		route = "cron"
	}
	v := url.Values{"sort": {"ASC"}}
	if q.Desc {
		v.Set("sort", "DESC")
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.From != nil {
		v.Set("from", results.EncodeCursor(results.Record{Key: *q.From}, q.Desc))
	}
	var page struct {
		PageInfo struct {
			HasNextPage bool `json:"hasNextPage"`
		} `json:"pageInfo"`
		Edges []struct {
			Cursor string          `json:"cursor"`
			Node   json.RawMessage `json:"node"`
		} `json:"edges"`
	}
	u := fmt.Sprintf("%s/%s/%s?%s", strings.TrimRight(c.URL, "/"), route, url.PathEscape(pid), v.Encode())
	if err := getJSON(ctx, c.client(), u, &page); err != nil {
		return nil, false, err
	}
	out := make([]results.Record, 0, len(page.Edges))
	for _, e := range page.Edges {
		cur, err := results.DecodeCursor(e.Cursor)
		if err != nil {
			return nil, false, fmt.Errorf("GET %s: %w", u, err)
		}
		out = append(out, results.Record{Process: pid, Key: cur.Key, Result: e.Node})
	}
	return out, page.PageInfo.HasNextPage, nil
}

// getJSON reads a JSON answer; a 404 is scheduler.ErrUnknownProcess (the
// units answer it for unknown processes), another non-2xx an error with
// the unit's message.
func getJSON(ctx context.Context, client *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		json.Unmarshal(b, &e)
		err := fmt.Errorf("GET %s: %s: %s", u, resp.Status, e.Error)
		if resp.StatusCode == http.StatusNotFound {
			return fmt.Errorf("%w: %w", scheduler.ErrUnknownProcess, err)
		}
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}
