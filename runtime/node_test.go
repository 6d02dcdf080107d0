package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/runtime"
)

// client does not follow redirects: the SU's URL must answer itself.
var client = &http.Client{
	Timeout:       time.Minute,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func startNode(t *testing.T, cfg runtime.Config) *runtime.Node {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	n, err := runtime.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	return n
}

func closeNode(t *testing.T, n *runtime.Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.Wait(); err != nil {
		t.Fatalf("Wait after Close: %v", err)
	}
}

// do sends a request and returns the status and the body, decoded into v
// when v is not nil.
func do(t *testing.T, method, url, contentType string, body []byte, v any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: status %d, body not JSON: %v: %s", method, url, res.StatusCode, err, b)
		}
	}
	return res.StatusCode
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	var raw json.RawMessage
	if code := do(t, http.MethodGet, url, "", nil, &raw); code != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", url, code, raw)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, raw)
	}
}

// graphql posts a query to the gateway and returns its data.
func graphql(t *testing.T, gatewayURL, query string, vars map[string]any) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	if code := do(t, http.MethodPost, gatewayURL+"/graphql", "application/json", body, &out); code != http.StatusOK || len(out.Errors) > 0 {
		t.Fatalf("graphql: status %d, errors %v", code, out.Errors)
	}
	return out.Data
}

// edges returns the nodes of data.transactions.edges.
func edges(t *testing.T, data map[string]any) []map[string]any {
	t.Helper()
	txs, _ := data["transactions"].(map[string]any)
	list, _ := txs["edges"].([]any)
	var nodes []map[string]any
	for _, e := range list {
		node, _ := e.(map[string]any)["node"].(map[string]any)
		nodes = append(nodes, node)
	}
	return nodes
}

func tagValue(node map[string]any, name string) string {
	tags, _ := node["tags"].([]any)
	for _, tg := range tags {
		m, _ := tg.(map[string]any)
		if m["name"] == name {
			s, _ := m["value"].(string)
			return s
		}
	}
	return ""
}

// The query @permaweb/ao-scheduler-utils makes for a Scheduler-Location
// (scheduler-utils/src/client/gateway.js), verbatim.
const schedulerUtilsGetSchedulerLocation = `
    query GetSchedulerLocation ($owner: String!) {
      transactions (
        owners: [$owner]
        tags: [
          { name: "Data-Protocol", values: ["ao"] },
          { name: "Type", values: ["Scheduler-Location"] }
        ]
        # Only need the most recent Scheduler-Location
        sort: HEIGHT_DESC
        first: 1
      ) {
        edges {
          node {
            tags {
              name
              value
            }
          }
        }
      }
    }
  `

const transactionsByID = `query ($ids: [ID!]) { transactions(ids: $ids) { edges { node { id owner { address } tags { name value } } } } }`

var anchorCounter atomic.Int64

func sign(t *testing.T, w arweave.Signer, target string, tags ...arweave.Tag) *arweave.DataItem {
	t.Helper()
	item, err := arweave.SignDataItem(w, arweave.ItemOptions{
		Target: target,
		Anchor: fmt.Sprintf("%032d", anchorCounter.Add(1)),
		Tags:   tags,
		Data:   []byte("data"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return item
}

func aoTags(typ string, extra ...arweave.Tag) []arweave.Tag {
	return append([]arweave.Tag{{Name: "Data-Protocol", Value: "ao"}, {Name: "Variant", Value: "ao.TN.1"}, {Name: "Type", Value: typ}}, extra...)
}

// schedule posts an item to the SU and checks that it answers with its id.
func schedule(t *testing.T, suURL string, item *arweave.DataItem) {
	t.Helper()
	var res map[string]any
	if code := do(t, http.MethodPost, suURL+"/", "application/octet-stream", item.Bytes(), &res); code != http.StatusOK || res["id"] != item.ID() {
		t.Fatalf("POST %s/: status %d, %v", suURL, code, res)
	}
}

// nonceOf returns the Nonce of a message's assignment.
func nonceOf(t *testing.T, suURL, pid, mid string) string {
	t.Helper()
	var entry struct {
		Message struct {
			ID string `json:"id"`
		} `json:"message"`
		Assignment struct {
			Tags []arweave.Tag `json:"tags"`
		} `json:"assignment"`
	}
	getJSON(t, suURL+"/"+mid+"?process-id="+pid, &entry)
	if entry.Message.ID != mid {
		t.Fatalf("GET %s: message %q", mid, entry.Message.ID)
	}
	return arweave.Tags(entry.Assignment.Tags).Value("Nonce")
}

// readURLs returns the units' URLs of urls.json (its "modules" left out:
// see readModules).
func readURLs(t *testing.T, dir string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "urls.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatalf("urls.json: %v: %s", err, b)
	}
	delete(all, "modules")
	urls := map[string]string{}
	for k, v := range all {
		var u string
		if err := json.Unmarshal(v, &u); err != nil {
			t.Fatalf("urls.json: %s: %v: %s", k, err, b)
		}
		urls[k] = u
	}
	return urls
}

// checkLocation asserts that the gateway gives suURL as the SU's location
// to scheduler-utils.
func checkLocation(t *testing.T, gatewayURL, suAddress, suURL string) {
	t.Helper()
	nodes := edges(t, graphql(t, gatewayURL, schedulerUtilsGetSchedulerLocation, map[string]any{"owner": suAddress}))
	if len(nodes) != 1 {
		t.Fatalf("scheduler-utils found %d Scheduler-Location records", len(nodes))
	}
	if got := tagValue(nodes[0], "Url"); got != suURL {
		t.Fatalf("Scheduler-Location Url %q, want %q", got, suURL)
	}
	if tagValue(nodes[0], "Time-To-Live") == "" {
		t.Fatal("Scheduler-Location without Time-To-Live")
	}
}

// TestNode starts a node with every unit, uses the gateway and the SU
// through its one address, restarts it on the same data directory and
// checks that nothing was lost.
func TestNode(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, runtime.Config{DataDir: dir})

	// urls.json, URLs() and GET /node agree.
	urls := readURLs(t, dir)
	base := "http://" + n.Addr().String()
	want := map[string]string{"gateway": base, "su": base + "/su", "cu": base + "/cu", "mu": base + "/mu"}
	if fmt.Sprint(urls) != fmt.Sprint(want) || fmt.Sprint(n.URLs()) != fmt.Sprint(want) {
		t.Fatalf("urls.json %v, URLs() %v, want %v", urls, n.URLs(), want)
	}
	var info runtime.NodeInfo
	getJSON(t, base+"/node", &info)
	if len(info.Units) != 4 || info.Units["mu"].URL != urls["mu"] || info.Units["mu"].Address == "" ||
		info.Units["gateway"].URL != urls["gateway"] || info.Units["su"].URL != urls["su"] ||
		info.Units["cu"].URL != urls["cu"] || info.Units["cu"].Address == "" {
		t.Fatalf("GET /node: %+v, urls.json %v", info, urls)
	}
	suAddr := info.Units["su"].Address
	wallet, err := arweave.LoadWallet(filepath.Join(dir, "wallets", "su.json"))
	if err != nil {
		t.Fatal(err)
	}
	if suAddr == "" || suAddr != arweave.SignerAddress(wallet) || wallet.Type() != arweave.SignatureED25519 {
		t.Fatalf("GET /node: SU address %q; the wallet file is %s, type %s", suAddr, arweave.SignerAddress(wallet), wallet.Type())
	}
	gw, su := urls["gateway"], urls["su"]

	// The gateway answers at the root, the SU under /su (/su itself
	// included: no redirect).
	var netInfo struct {
		Network string `json:"network"`
	}
	getJSON(t, gw+"/info", &netInfo)
	if netInfo.Network != embedded.Network {
		t.Fatalf("GET /info: network %q", netInfo.Network)
	}
	for _, u := range []string{su + "/", su, su + "?process-id=x"} {
		var id struct {
			Address string `json:"address"`
		}
		getJSON(t, u, &id)
		if id.Address != suAddr {
			t.Fatalf("GET %s: address %q, want %q", u, id.Address, suAddr)
		}
	}

	// A process posted to the SU is in the gateway's GraphQL at once.
	user, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	proc := sign(t, user, "", aoTags("Process",
		arweave.Tag{Name: "Module", Value: strings.Repeat("M", 43)},
		arweave.Tag{Name: "Scheduler", Value: suAddr})...)
	pid := proc.ID()
	schedule(t, su, proc)
	nodes := edges(t, graphql(t, gw, transactionsByID, map[string]any{"ids": []string{pid}}))
	if len(nodes) != 1 || nodes[0]["id"] != pid || tagValue(nodes[0], "Scheduler") != suAddr {
		t.Fatalf("GraphQL transactions(ids: [process]): %v", nodes)
	}
	var p struct {
		ProcessID string `json:"process_id"`
	}
	getJSON(t, su+"/processes/"+pid, &p)
	if p.ProcessID != pid {
		t.Fatalf("GET /su/processes/%s: %q", pid, p.ProcessID)
	}
	msg := sign(t, user, pid, aoTags("Message", arweave.Tag{Name: "Action", Value: "Ping"})...)
	schedule(t, su, msg)
	if nonce := nonceOf(t, su, pid, msg.ID()); nonce != "0" {
		t.Fatalf("first message: nonce %q", nonce)
	}

	// scheduler-utils finds the SU's URL.
	checkLocation(t, gw, suAddr, su)

	// Restart on the same directory (the port may change).
	closeNode(t, n)
	n = startNode(t, runtime.Config{DataDir: dir})
	urls = readURLs(t, dir)
	if fmt.Sprint(urls) != fmt.Sprint(n.URLs()) {
		t.Fatalf("after restart: urls.json %v, URLs() %v", urls, n.URLs())
	}
	gw, su = urls["gateway"], urls["su"]
	getJSON(t, gw+"/node", &info)
	if info.Units["su"].Address != suAddr {
		t.Fatalf("after restart: SU address %q, was %q", info.Units["su"].Address, suAddr)
	}
	getJSON(t, su+"/processes/"+pid, &p)
	if p.ProcessID != pid {
		t.Fatalf("after restart: GET /su/processes/%s: %q", pid, p.ProcessID)
	}
	if nonce := nonceOf(t, su, pid, msg.ID()); nonce != "0" {
		t.Fatalf("after restart: first message: nonce %q", nonce)
	}
	msg2 := sign(t, user, pid, aoTags("Message", arweave.Tag{Name: "Action", Value: "Ping"})...)
	schedule(t, su, msg2)
	if nonce := nonceOf(t, su, pid, msg2.ID()); nonce != "1" {
		t.Fatalf("after restart: next message: nonce %q", nonce)
	}
	checkLocation(t, gw, suAddr, su)

	// The uploader copies the log to the store: GET /node reports no lag,
	// and the assignments are in the gateway's GraphQL.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		getJSON(t, gw+"/node", &info)
		up := info.Units["su"].Upload
		if up != nil && up.Lag == 0 && up.Uploaded == up.LogSeq && up.LogSeq >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("upload status %+v", up)
		}
	}
	assignments := edges(t, graphql(t, gw, `query($p: [String!]!) { transactions(tags: [{name: "Type", values: ["Assignment"]}, {name: "Process", values: $p}]) { edges { node { id tags { name value } } } } }`,
		map[string]any{"p": []string{pid}}))
	if len(assignments) != 2 {
		t.Fatalf("%d assignments of the process in the store, want 2", len(assignments))
	}
	closeNode(t, n)
}

// TestNodeUnits runs one unit at a time.
func TestNodeUnits(t *testing.T) {
	t.Run("gateway", func(t *testing.T) {
		dir := t.TempDir()
		n := startNode(t, runtime.Config{DataDir: dir, Units: []string{"gateway"}})
		base := "http://" + n.Addr().String()
		if urls := readURLs(t, dir); fmt.Sprint(urls) != fmt.Sprint(map[string]string{"gateway": base}) {
			t.Fatalf("urls.json %v", urls)
		}
		var info runtime.NodeInfo
		getJSON(t, base+"/node", &info)
		if _, ok := info.Units["su"]; ok || len(info.Units) != 1 {
			t.Fatalf("GET /node: %+v", info)
		}
		if code := do(t, http.MethodGet, base+"/su/", "", nil, nil); code != http.StatusNotFound {
			t.Fatalf("GET /su/ without the SU: status %d", code)
		}
		var netInfo map[string]any
		getJSON(t, base+"/info", &netInfo)
	})
	t.Run("su", func(t *testing.T) {
		dir := t.TempDir()
		n := startNode(t, runtime.Config{DataDir: dir, Units: []string{"su"}, AdvertiseURL: "https://su.example/"})
		base := "http://" + n.Addr().String()
		want := map[string]string{"su": "https://su.example/su"}
		if urls := readURLs(t, dir); fmt.Sprint(urls) != fmt.Sprint(want) {
			t.Fatalf("urls.json %v, want %v", urls, want)
		}
		var info runtime.NodeInfo
		getJSON(t, base+"/node", &info)
		if len(info.Units) != 1 || info.Units["su"].URL != want["su"] || info.Units["su"].Address == "" {
			t.Fatalf("GET /node: %+v", info)
		}
		if code := do(t, http.MethodGet, base+"/info", "", nil, nil); code != http.StatusNotFound {
			t.Fatalf("GET /info without the gateway: status %d", code)
		}
		var id map[string]any
		getJSON(t, base+"/su/", &id)
	})
	t.Run("cu without su", func(t *testing.T) {
		if _, err := runtime.Start(context.Background(), runtime.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Units: []string{"gateway", "cu"}}); err == nil {
			t.Fatal("a CU without the node's SU started")
		}
	})
}

func TestStartRejects(t *testing.T) {
	dir := t.TempDir()
	for name, cfg := range map[string]runtime.Config{
		"no data dir":    {},
		"remote gateway": {DataDir: dir, GatewayURL: "https://arweave.net"},
		"unknown unit":   {DataDir: dir, Units: []string{"cu"}},
		"unit twice":     {DataDir: dir, Units: []string{"su", "su"}},
		"bad advertise":  {DataDir: dir, AdvertiseURL: "localhost:4400"},
		"ethereum key":   {DataDir: dir, WalletType: arweave.SignatureEthereum},
		"su url with su": {DataDir: dir, SUURL: "http://127.0.0.1:1/su"},
		"cu url with cu": {DataDir: dir, CUURL: "http://127.0.0.1:1/cu"},
		"mu without su":  {DataDir: dir, Units: []string{"gateway", "mu"}},
		"unreachable su": {DataDir: dir, Units: []string{"gateway", "mu"}, SUURL: "http://127.0.0.1:1/su"},
	} {
		cfg.Listen = "127.0.0.1:0"
		if n, err := runtime.Start(context.Background(), cfg); err == nil {
			n.Close(context.Background())
			t.Errorf("%s: started", name)
		}
	}
}
