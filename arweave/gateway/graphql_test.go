package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/gateway"
)

// The queries below are copied verbatim from the clients that send them
// (protocol.md 3.2, 3.10, 6.3, 6.8): do not tidy them.

// aoconnect's spawn: the module's tags (connect/src/client/gateway.js).
const aoconnectGetTransactions = `
    query GetTransactions ($transactionIds: [ID!]!) {
      transactions(ids: $transactionIds) {
        edges {
          node {
            owner {
              address
            }
            tags {
              name
              value
            }
            block {
              id
              height
              timestamp
            }
          }
        }
      }
    }`

// scheduler-utils: a process's Scheduler tag (older versions add the
// Data-Protocol filter; scheduler-utils/src/client/gateway.js).
const schedulerUtilsGetTransactions = `
    query GetTransactions ($transactionIds: [ID!]!) {
      transactions(ids: $transactionIds, tags: [{name: "Data-Protocol", values: ["ao"]}]) {
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

const schedulerUtilsGetTransactionsNoTags = `
    query GetTransactions ($transactionIds: [ID!]!) {
      transactions(ids: $transactionIds) {
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

// scheduler-utils: the newest Scheduler-Location record of a wallet.
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

// The same with the owner list as one variable, as some versions send it.
const schedulerUtilsGetSchedulerLocationList = `
    query GetSchedulerLocation ($owners: [String!]!) {
      transactions (owners: $owners, tags: [{ name: "Data-Protocol", values: ["ao"] }, { name: "Type", values: ["Scheduler-Location"] }], sort: HEIGHT_DESC, first: 1) { edges { node { tags { name value } } } }
    }
  `

// The reference CU: module, process and assigned transaction metadata
// (servers/cu/src/effects/arweave.js).
const cuGetTransactions = `query GetTransactions ($transactionIds: [ID!]!, $skipTags: Boolean!, $skipSignature: Boolean!, $skipAnchor: Boolean!) { transactions(ids: $transactionIds) { edges { node { id signature @skip(if: $skipSignature) anchor @skip(if: $skipAnchor) owner { address key } tags @skip(if: $skipTags) { name value } recipient } } } }`

const cuGetProcesses = `
    query GetProcesses (
      $processIds: [ID!]!
      $skipTags: Boolean!
      $skipSignature: Boolean!
      $skipAnchor: Boolean!
    ) {
      transactions(ids: $processIds) {
        edges {
          node {
            id
            signature @skip (if: $skipSignature)
            anchor @skip (if: $skipAnchor)
            owner {
              address
              key
            }
            tags @skip (if: $skipTags) {
              name
              value
            }
            recipient
          }
        }
      }
    }`

// The reference CU: block metadata for crons (servers/cu/src/effects/ao-block.js).
const cuGetBlocks = `
      query GetBlocks($min: Int!, $limit: Int!) {
        blocks(
          height: { min: $min },
          first: $limit,
          sort: HEIGHT_ASC
        ) {
          pageInfo {
            hasNextPage
          }
          edges {
            node {
              timestamp
              height
            }
          }
        }
      }
    `

// The reference CU: checkpoints of a process by trusted owners
// (servers/cu/src/effects/ao-process.js), current and older forms.
const cuGetCheckpoints = `
    query GetAoProcessCheckpoints(
      $owners: [String!]!
      $processId: String!
      $limit: Int!
    ) {
      transactions(
        tags: [
          { name: "Process", values: [$processId] }
          { name: "Type", values: ["Checkpoint"] }
          { name: "Data-Protocol", values: ["ao"] }
        ],
        owners: $owners,
        first: $limit,
        sort: HEIGHT_DESC
      ) {
        edges {
          node {
            id
            owner {
              address
            }
            tags {
              name
              value
            }
          }
        }
      }
    }
  `

const cuGetCheckpointsOneOwner = `
    query GetAoProcessCheckpoints(
      $owner: String!
      $processId: String!
      $limit: Int!
    ) {
      transactions(
        tags: [
          { name: "Data-Protocol", values: ["ao"] }
          { name: "Type", values: ["Checkpoint"] }
          { name: "Process", values: [$processId] }
        ],
        owners: [$owner]
        first: $limit,
        sort: HEIGHT_DESC
      ) {
        edges {
          node {
            id
            owner {
              address
            }
            tags {
              name
              value
            }
          }
        }
      }
    }
  `

// aoFixture is a small AO world: a module, a scheduler with two location
// records, a process, a message, checkpoints, and decoys.
type aoFixture struct {
	user, su, cu, other                    arweave.Signer
	module, loc1, loc2, process, message   *arweave.DataItem
	cp1, cp2, foreignCP, otherProcessCP    *arweave.DataItem
	plain                                  *arweave.DataItem // no Data-Protocol tag
	moduleTags                             []arweave.Tag
	messageAnchor, messageTarget, suAddr   string
	cuAddr, height1Block                   string
	blocksAfterFixture, heightOfCheckpoint int
}

func newAOFixture(t *testing.T, e *env) *aoFixture {
	f := &aoFixture{user: newWallet(t), su: newWallet(t), cu: newWallet(t), other: newWallet(t)}
	f.suAddr = arweave.SignerAddress(f.su)
	f.cuAddr = arweave.SignerAddress(f.cu)
	ao := func(typ string, more ...arweave.Tag) []arweave.Tag {
		return append([]arweave.Tag{{Name: "Data-Protocol", Value: "ao"}, {Name: "Variant", Value: "ao.TN.1"}, {Name: "Type", Value: typ}}, more...)
	}

	f.moduleTags = ao("Module",
		arweave.Tag{Name: "Module-Format", Value: "wasm64-unknown-emscripten-draft_2024_02_15"},
		arweave.Tag{Name: "Input-Encoding", Value: "JSON-1"},
		arweave.Tag{Name: "Output-Encoding", Value: "JSON-1"},
		arweave.Tag{Name: "Content-Type", Value: "application/wasm"})
	f.module = sign(t, f.user, arweave.ItemOptions{Tags: f.moduleTags, Data: []byte("\x00asm\x01\x00\x00\x00")})
	e.post(f.module)
	e.mine() // height 1

	location := func(url string) []arweave.Tag {
		return ao("Scheduler-Location", arweave.Tag{Name: "Url", Value: url}, arweave.Tag{Name: "Time-To-Live", Value: "3600000"})
	}
	f.loc1 = sign(t, f.su, arweave.ItemOptions{Tags: location("http://su-old.example")})
	e.post(f.loc1)
	e.mine() // height 2

	f.loc2 = sign(t, f.su, arweave.ItemOptions{Tags: location("http://su.example")})
	e.post(f.loc2)
	f.process = sign(t, f.user, arweave.ItemOptions{
		Tags: ao("Process", arweave.Tag{Name: "Module", Value: f.module.ID()}, arweave.Tag{Name: "Scheduler", Value: f.suAddr}),
		Data: []byte(" "),
	})
	e.post(f.process)
	f.plain = sign(t, f.user, arweave.ItemOptions{Tags: []arweave.Tag{{Name: "Scheduler", Value: f.suAddr}}})
	e.post(f.plain)
	e.mine() // height 3

	checkpoint := func(s arweave.Signer, pid, nonce string) *arweave.DataItem {
		return sign(t, s, arweave.ItemOptions{
			Tags: ao("Checkpoint", arweave.Tag{Name: "Module", Value: f.module.ID()}, arweave.Tag{Name: "Process", Value: pid},
				arweave.Tag{Name: "Nonce", Value: nonce}, arweave.Tag{Name: "Content-Encoding", Value: "gzip"}),
			Data: []byte("memory " + nonce),
		})
	}
	f.cp1 = checkpoint(f.cu, f.process.ID(), "1")
	e.post(f.cp1)
	e.mine() // height 4
	f.heightOfCheckpoint = 4
	f.cp2 = checkpoint(f.cu, f.process.ID(), "2")
	f.foreignCP = checkpoint(f.other, f.process.ID(), "3")
	f.otherProcessCP = checkpoint(f.cu, f.module.ID(), "4")
	for _, it := range []*arweave.DataItem{f.cp2, f.foreignCP, f.otherProcessCP} {
		e.post(it)
	}

	// A decoy location record from another wallet, newer than the SU's.
	e.post(sign(t, f.other, arweave.ItemOptions{Tags: location("http://evil.example")}))

	f.messageAnchor = "00000000000000000000000000000007"
	f.messageTarget = f.process.ID()
	f.message = sign(t, f.user, arweave.ItemOptions{
		Target: f.messageTarget, Anchor: f.messageAnchor,
		Tags: ao("Message", arweave.Tag{Name: "Action", Value: "Eval"}), Data: []byte("1 + 1"),
	})
	e.post(f.message)
	if r := e.get("/mine/3"); r.status != http.StatusOK { // heights 5, 6, 7
		t.Fatalf("/mine/3: %d %s", r.status, r.body)
	}
	f.blocksAfterFixture = 7

	var blk struct {
		IndepHash string `json:"indep_hash"`
	}
	decode(t, e.get("/block/height/1").body, &blk)
	f.height1Block = blk.IndepHash
	return f
}

type gqlTags []struct{ Name, Value string }

func (tags gqlTags) equal(want []arweave.Tag) bool {
	if len(tags) != len(want) {
		return false
	}
	for i := range tags {
		if tags[i].Name != want[i].Name || tags[i].Value != want[i].Value {
			return false
		}
	}
	return true
}

func (tags gqlTags) value(name string) string {
	for _, t := range tags {
		if strings.EqualFold(t.Name, name) {
			return t.Value
		}
	}
	return ""
}

// TestClientQueries runs the exact queries AO clients send.
func TestClientQueries(t *testing.T) {
	e := newEnv(t, gateway.Config{})
	f := newAOFixture(t, e)

	t.Run("aoconnect spawn module lookup", func(t *testing.T) {
		var out struct {
			Transactions struct {
				Edges []struct {
					Node struct {
						Owner struct{ Address string }
						Tags  gqlTags
						Block *struct {
							ID        string
							Height    int
							Timestamp int64
						}
					}
				}
			}
		}
		e.gql(aoconnectGetTransactions, map[string]any{"transactionIds": []string{f.module.ID()}}, &out)
		if len(out.Transactions.Edges) != 1 {
			t.Fatalf("%d edges, want 1", len(out.Transactions.Edges))
		}
		n := out.Transactions.Edges[0].Node
		if n.Owner.Address != arweave.SignerAddress(f.user) || !n.Tags.equal(f.moduleTags) {
			t.Errorf("node = %+v", n)
		}
		if n.Block == nil || n.Block.Height != 1 || n.Block.ID != f.height1Block || n.Block.Timestamp <= 0 {
			t.Errorf("block = %+v, want height 1, id %s", n.Block, f.height1Block)
		}
	})

	t.Run("scheduler-utils process scheduler", func(t *testing.T) {
		for _, q := range []string{schedulerUtilsGetTransactions, schedulerUtilsGetTransactionsNoTags} {
			var out struct {
				Transactions struct {
					Edges []struct{ Node struct{ Tags gqlTags } }
				}
			}
			e.gql(q, map[string]any{"transactionIds": []string{f.process.ID()}}, &out)
			if len(out.Transactions.Edges) != 1 || out.Transactions.Edges[0].Node.Tags.value("Scheduler") != f.suAddr {
				t.Errorf("edges = %+v, want the process with Scheduler %s", out.Transactions.Edges, f.suAddr)
			}
		}
		// An item without Data-Protocol=ao is not a process.
		var out struct {
			Transactions struct{ Edges []json.RawMessage }
		}
		e.gql(schedulerUtilsGetTransactions, map[string]any{"transactionIds": []string{f.plain.ID()}}, &out)
		if len(out.Transactions.Edges) != 0 {
			t.Errorf("non-ao item matched: %s", out.Transactions.Edges)
		}
		// An unknown process: no edges (scheduler-utils: TransactionNotFound).
		e.gql(schedulerUtilsGetTransactions, map[string]any{"transactionIds": []string{strings.Repeat("x", 43)}}, &out)
		if len(out.Transactions.Edges) != 0 {
			t.Errorf("unknown id matched: %s", out.Transactions.Edges)
		}
	})

	t.Run("scheduler-utils Scheduler-Location", func(t *testing.T) {
		for _, c := range []struct {
			query string
			vars  map[string]any
		}{
			{schedulerUtilsGetSchedulerLocation, map[string]any{"owner": f.suAddr}},
			{schedulerUtilsGetSchedulerLocationList, map[string]any{"owners": []string{f.suAddr}}},
		} {
			var out struct {
				Transactions struct {
					Edges []struct{ Node struct{ Tags gqlTags } }
				}
			}
			e.gql(c.query, c.vars, &out)
			if len(out.Transactions.Edges) != 1 {
				t.Fatalf("%d edges, want 1", len(out.Transactions.Edges))
			}
			tags := out.Transactions.Edges[0].Node.Tags
			if tags.value("Url") != "http://su.example" || tags.value("Time-To-Live") != "3600000" {
				t.Errorf("tags = %+v, want the newest record of the SU", tags)
			}
		}
		var out struct {
			Transactions struct{ Edges []json.RawMessage }
		}
		e.gql(schedulerUtilsGetSchedulerLocation, map[string]any{"owner": f.cuAddr}, &out)
		if len(out.Transactions.Edges) != 0 {
			t.Errorf("a wallet without records has %d", len(out.Transactions.Edges))
		}
	})

	t.Run("CU transaction metadata", func(t *testing.T) {
		type node struct {
			ID        string
			Signature *string
			Anchor    *string
			Owner     struct{ Address, Key string }
			Tags      *gqlTags
			Recipient string
		}
		for _, c := range []struct {
			query, idsVar string
		}{{cuGetTransactions, "transactionIds"}, {cuGetProcesses, "processIds"}} {
			for _, it := range []*arweave.DataItem{f.process, f.message} {
				var out struct {
					Transactions struct{ Edges []struct{ Node node } }
				}
				e.gql(c.query, map[string]any{c.idsVar: []string{it.ID()}, "skipTags": false, "skipSignature": false, "skipAnchor": false}, &out)
				if len(out.Transactions.Edges) != 1 {
					t.Fatalf("%d edges", len(out.Transactions.Edges))
				}
				n := out.Transactions.Edges[0].Node
				if n.ID != it.ID() || n.Signature == nil || *n.Signature != arweave.B64(it.Signature) ||
					n.Anchor == nil || *n.Anchor != arweave.B64(it.Anchor) ||
					n.Owner.Address != it.OwnerAddress() || n.Owner.Key != arweave.B64(it.Owner) ||
					n.Tags == nil || !n.Tags.equal(it.Tags) || n.Recipient != it.TargetID() {
					t.Errorf("node = %+v", n)
				}
			}
			// The message has an anchor and a recipient.
			var raw struct {
				Transactions struct {
					Edges []struct{ Node map[string]any }
				}
			}
			e.gql(c.query, map[string]any{c.idsVar: []string{f.message.ID()}, "skipTags": true, "skipSignature": true, "skipAnchor": true}, &raw)
			if len(raw.Transactions.Edges) != 1 {
				t.Fatalf("%d edges", len(raw.Transactions.Edges))
			}
			n := raw.Transactions.Edges[0].Node
			for _, skipped := range []string{"tags", "signature", "anchor"} {
				if _, ok := n[skipped]; ok {
					t.Errorf("skipped field %q is present: %v", skipped, n)
				}
			}
			if n["recipient"] != f.messageTarget || n["id"] != f.message.ID() {
				t.Errorf("node = %v", n)
			}
		}
		// The anchor is b64url of the raw anchor bytes.
		if arweave.B64(f.message.Anchor) != arweave.B64([]byte(f.messageAnchor)) {
			t.Fatal("fixture anchor")
		}
	})

	t.Run("CU blocks", func(t *testing.T) {
		type page struct {
			Blocks struct {
				PageInfo struct{ HasNextPage bool }
				Edges    []struct {
					Node struct{ Timestamp, Height int64 }
				}
			}
		}
		var out page
		e.gql(cuGetBlocks, map[string]any{"min": 2, "limit": 3}, &out)
		b := out.Blocks
		if len(b.Edges) != 3 || !b.PageInfo.HasNextPage {
			t.Fatalf("blocks = %+v, want 3 and a next page", b)
		}
		for i, edge := range b.Edges {
			if edge.Node.Height != int64(2+i) || edge.Node.Timestamp <= 0 {
				t.Errorf("edge %d = %+v", i, edge.Node)
			}
		}
		// The CU's next page starts after the last height.
		e.gql(cuGetBlocks, map[string]any{"min": 5, "limit": 100}, &out)
		b = out.Blocks
		if len(b.Edges) != f.blocksAfterFixture-4 || b.PageInfo.HasNextPage || b.Edges[len(b.Edges)-1].Node.Height != int64(f.blocksAfterFixture) {
			t.Errorf("blocks from 5 = %+v", b)
		}
	})

	t.Run("CU checkpoints", func(t *testing.T) {
		type out struct {
			Transactions struct {
				Edges []struct {
					Node struct {
						ID    string
						Owner struct{ Address string }
						Tags  gqlTags
					}
				}
			}
		}
		for _, c := range []struct {
			query string
			vars  map[string]any
		}{
			{cuGetCheckpoints, map[string]any{"owners": []string{f.cuAddr}, "processId": f.process.ID(), "limit": 50}},
			{cuGetCheckpointsOneOwner, map[string]any{"owner": f.cuAddr, "processId": f.process.ID(), "limit": 50}},
		} {
			var o out
			e.gql(c.query, c.vars, &o)
			edges := o.Transactions.Edges
			if len(edges) != 2 || edges[0].Node.ID != f.cp2.ID() || edges[1].Node.ID != f.cp1.ID() {
				t.Fatalf("checkpoints = %+v, want cp2 then cp1", edges)
			}
			for _, edge := range edges {
				if edge.Node.Owner.Address != f.cuAddr || edge.Node.Tags.value("Process") != f.process.ID() {
					t.Errorf("checkpoint node = %+v", edge.Node)
				}
			}
		}
		// With the block condition some CUs add, and first: 1.
		var o out
		e.gql(strings.Replace(cuGetCheckpoints, "sort: HEIGHT_DESC", "sort: HEIGHT_DESC, block: {min: 1, max: 4}", 1),
			map[string]any{"owners": []string{f.cuAddr, f.suAddr}, "processId": f.process.ID(), "limit": 1}, &o)
		if len(o.Transactions.Edges) != 1 || o.Transactions.Edges[0].Node.ID != f.cp1.ID() {
			t.Errorf("checkpoints in blocks 1-4 = %+v, want cp1", o.Transactions.Edges)
		}
	})
}

// TestGraphQLPaging pages through transactions and blocks with cursors.
func TestGraphQLPaging(t *testing.T) {
	e := newEnv(t, gateway.Config{})
	w := newWallet(t)
	var ids []string
	for i := range 25 {
		it := sign(t, w, arweave.ItemOptions{
			Tags: []arweave.Tag{{Name: "Batch", Value: "p"}, {Name: "N", Value: fmt.Sprint(i)}},
		})
		e.post(it)
		ids = append(ids, it.ID())
		if i == 9 || i == 19 {
			e.mine() // heights 1 and 2; the last five stay pending
		}
	}
	e.post(sign(t, w, arweave.ItemOptions{Tags: []arweave.Tag{{Name: "Batch", Value: "other"}}}))

	const q = `query ($after: String, $sort: SortOrder) {
		transactions(tags: [{name: "Batch", values: ["p"]}], first: 10, after: $after, sort: $sort) {
			pageInfo { hasNextPage }
			edges { cursor node { id block { height } } }
		}
	}`
	type page struct {
		Transactions struct {
			PageInfo struct{ HasNextPage bool }
			Edges    []struct {
				Cursor string
				Node   struct {
					ID    string
					Block *struct{ Height int }
				}
			}
		}
	}
	walk := func(sort string) []string {
		var got []string
		vars := map[string]any{"sort": sort}
		for pages := 0; ; pages++ {
			if pages > 3 {
				t.Fatalf("%s: more than 3 pages", sort)
			}
			var p page
			e.gql(q, vars, &p)
			edges := p.Transactions.Edges
			for _, edge := range edges {
				got = append(got, edge.Node.ID)
			}
			if !p.Transactions.PageInfo.HasNextPage {
				return got
			}
			if len(edges) != 10 {
				t.Fatalf("%s: page of %d with a next page", sort, len(edges))
			}
			vars["after"] = edges[len(edges)-1].Cursor
		}
	}
	asc := walk("HEIGHT_ASC")
	if strings.Join(asc, ",") != strings.Join(ids, ",") {
		t.Errorf("HEIGHT_ASC pages = %v\nwant %v", asc, ids)
	}
	desc := walk("HEIGHT_DESC")
	for i := range ids {
		if i >= len(desc) || desc[i] != ids[len(ids)-1-i] {
			t.Fatalf("HEIGHT_DESC pages = %v, want the reverse of %v", desc, ids)
		}
	}

	// Blocks page the same way.
	e.get("/mine/12") // 14 blocks after genesis
	var heights []int
	vars := map[string]any{}
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("more than 3 block pages")
		}
		var p struct {
			Blocks struct {
				PageInfo struct{ HasNextPage bool }
				Edges    []struct {
					Cursor string
					Node   struct{ Height int }
				}
			}
		}
		e.gql(`query ($after: String) { blocks(first: 5, after: $after) { pageInfo { hasNextPage } edges { cursor node { height } } } }`, vars, &p)
		for _, edge := range p.Blocks.Edges {
			heights = append(heights, edge.Node.Height)
		}
		if !p.Blocks.PageInfo.HasNextPage {
			break
		}
		vars["after"] = p.Blocks.Edges[len(p.Blocks.Edges)-1].Cursor
	}
	if len(heights) != 15 || heights[0] != 14 || heights[14] != 0 {
		t.Errorf("block heights, newest first = %v, want 14 down to 0", heights)
	}
}

func TestGraphQLFilters(t *testing.T) {
	e := newEnv(t, gateway.Config{})
	alice, bob := newWallet(t), newWallet(t)
	target := strings.Repeat("T", 43)
	a := sign(t, alice, arweave.ItemOptions{Target: target, Tags: []arweave.Tag{{Name: "Type", Value: "Message"}, {Name: "Content-Type", Value: "text/plain"}}, Data: []byte("a")})
	b := sign(t, bob, arweave.ItemOptions{Tags: []arweave.Tag{{Name: "Type", Value: "Process"}}})
	e.post(a)
	e.mine()
	e.post(b)
	for _, c := range []struct {
		filter string
		want   int
	}{
		{``, 2},
		{`, owners: ["` + arweave.SignerAddress(alice) + `"]`, 1},
		{`, recipients: ["` + target + `"]`, 1},
		{`, tags: [{name: "Type", values: ["Message", "Process"]}]`, 2},
		{`, tags: [{name: "Type", values: ["Message"], op: NEQ}]`, 1},
		{`, block: {min: 1, max: 1}`, 1},
		{`, block: {min: 2}`, 0},
		{`, ids: ["` + a.ID() + `", "` + b.ID() + `"], owners: ["` + arweave.SignerAddress(bob) + `"]`, 1},
	} {
		if n := e.count(c.filter); n != c.want {
			t.Errorf("transactions(%s): %d, want %d", c.filter, n, c.want)
		}
	}

	var out struct {
		Transaction *struct {
			Fee, Quantity struct{ Winston, Ar string }
			Data          struct {
				Size string
				Type *string
			}
			Block *struct{ Height int }
		}
		Missing *struct{ ID string }
		Block   *struct {
			ID       string
			Height   int
			Previous string
		}
	}
	e.gql(`query ($id: ID!) {
		transaction(id: $id) { fee { winston ar } quantity { winston ar } data { size type } block { height } }
		missing: transaction(id: "`+strings.Repeat("m", 43)+`") { id }
		block { id height previous }
	}`, map[string]any{"id": a.ID()}, &out)
	tx := out.Transaction
	if tx == nil || tx.Fee.Winston != "0" || tx.Quantity.Ar == "" || tx.Data.Size != "1" || tx.Data.Type == nil || *tx.Data.Type != "text/plain" || tx.Block == nil || tx.Block.Height != 1 {
		t.Errorf("transaction = %+v", tx)
	}
	if out.Missing != nil {
		t.Errorf("unknown id = %+v, want null", out.Missing)
	}
	if out.Block == nil || out.Block.Height != 1 || out.Block.Previous == "" {
		t.Errorf("current block = %+v", out.Block)
	}
}

// TestGraphQLBadCursor: a cursor the store never made is the client's
// mistake, so it is a GraphQL error with 200, not a store failure (500).
// Stores report it as arweave.ErrBadCursor.
func TestGraphQLBadCursor(t *testing.T) {
	e := newEnv(t, gateway.Config{})
	for _, q := range []string{
		`{ transactions(after: "not a cursor") { edges { cursor } } }`,
		`{ blocks(after: "not a cursor") { edges { cursor } } }`,
	} {
		r := e.gqlRaw(q, nil)
		var res struct{ Errors []struct{ Message string } }
		decode(t, r.body, &res)
		if r.status != http.StatusOK || len(res.Errors) == 0 || !strings.Contains(res.Errors[0].Message, "cursor") {
			t.Errorf("%s: %d %s; want 200 with an error about the cursor "+
				"(the store's bad-cursor error must wrap arweave.ErrBadCursor)", q, r.status, r.body)
		}
	}
}

// TestGraphQLRequests checks the HTTP side: bad requests are 4xx JSON
// errors, bad queries are GraphQL errors with 200.
func TestGraphQLRequests(t *testing.T) {
	e := newEnv(t, gateway.Config{})
	post := func(body string) response { return e.do(http.MethodPost, "/graphql", "application/json", []byte(body)) }

	requireError(t, post(""), http.StatusBadRequest, "empty body")
	requireError(t, post("query { transactions { edges { cursor } } }"), http.StatusBadRequest, "not a JSON object")
	requireError(t, post(`[{"query": "{ block { id } }"}]`), http.StatusBadRequest, "batched")
	requireError(t, post(`{"query": `), http.StatusBadRequest, "not a GraphQL request")
	requireError(t, post(`{}`), http.StatusBadRequest, "missing")
	requireError(t, post(`{"query": "{ block { id } }", "variables": 5}`), http.StatusBadRequest, "variables")
	requireError(t, post(`{"query": "`+strings.Repeat(" ", gateway.MaxGraphQLBytes)+`"}`), http.StatusRequestEntityTooLarge, "larger than")
	requireError(t, e.get("/graphql"), http.StatusBadRequest, "missing")

	graphQLError := func(r response, contains string) {
		t.Helper()
		if r.status != http.StatusOK {
			t.Fatalf("status %d (%s), want 200", r.status, r.body)
		}
		var res struct{ Errors []struct{ Message string } }
		decode(t, r.body, &res)
		if len(res.Errors) == 0 || !strings.Contains(res.Errors[0].Message, contains) {
			t.Errorf("errors = %+v, want one about %q", res.Errors, contains)
		}
	}
	graphQLError(post(`{"query": "{ transactions { edges { cursor "}`), "syntax error")
	graphQLError(post(`{"query": "{ transactions { nope } }"}`), "nope")
	graphQLError(e.gqlRaw(`query ($ids: [ID!]) { transactions(ids: $ids) { edges { cursor } } }`, map[string]any{"ids": 5}), "ID")
	graphQLError(e.gqlRaw(`{ blocks(first: 99999999999) { edges { cursor } } }`, nil), "99999999999")
	graphQLError(e.gqlRaw(`{ transactions(sort: SIDEWAYS) { edges { cursor } } }`, nil), "SIDEWAYS")

	// GET, and variables sent as a JSON string.
	r := e.get("/graphql?" + url.Values{
		"query":     {`query ($n: Int) { blocks(first: $n) { edges { node { height } } } }`},
		"variables": {`{"n": 1}`},
	}.Encode())
	var got struct {
		Data struct {
			Blocks struct {
				Edges []struct{ Node struct{ Height int } }
			}
		}
	}
	decode(t, r.body, &got)
	if r.status != http.StatusOK || len(got.Data.Blocks.Edges) != 1 {
		t.Errorf("GET /graphql: %d %s", r.status, r.body)
	}
	r = post(`{"query": "query ($n: Int) { blocks(first: $n) { edges { cursor } } }", "variables": "{\"n\": 1}"}`)
	decode(t, r.body, &got)
	if r.status != http.StatusOK || len(got.Data.Blocks.Edges) != 1 {
		t.Errorf("string variables: %d %s", r.status, r.body)
	}
}
