package messenger

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
)

// addressOnly is a Pusher that only knows its address: planning needs no
// more.
type addressOnly struct{ Pusher }

func (addressOnly) Address() string { return "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS" }

// FuzzOutbox feeds the cranker results as a module could write them (an
// outbox is the output of untrusted code): planning the deliveries must
// never panic, and every item it signs must parse and verify.
func FuzzOutbox(f *testing.F) {
	for _, seed := range []string{
		`{"Messages":[],"Spawns":[],"Assignments":[]}`,
		`{"Messages":[{"Target":"QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ","Anchor":"00000000000000000000000000000001","Data":"hi","Tags":[{"name":"Action","value":"Hi"}]}]}`,
		`{"Messages":[{"Target":"","Anchor":"","Data":{"x":1},"Tags":[{"name":"","value":""}]}]}`,
		`{"Spawns":[{"Anchor":"00000000000000000000000000000001","Data":null,"Tags":[{"name":"Variant","value":"ao.N.1"},{"name":"From-Module","value":"x"}]}]}`,
		`{"Assignments":[{"Processes":["a","b"],"Message":"m","BaseLayer":true,"Exclude":["x"]}]}`,
		`{"Messages":[{"Target":"short","Anchor":"not 32 bytes","Tags":[{"name":"N","value":7}]}]}`,
	} {
		f.Add([]byte(seed))
	}
	signer, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		f.Fatal(err)
	}
	c, err := NewCranker(CrankerConfig{Dir: filepath.Join(f.TempDir(), "crank"), Computer: newFakeCU(), SU: addressOnly{}, Signer: signer})
	if err != nil {
		f.Fatal(err)
	}
	defer c.Close()
	n := 0
	f.Fuzz(func(t *testing.T, result []byte) {
		var out outbox
		if json.Unmarshal(result, &out) != nil {
			return
		}
		n++ // a message id of its own: items are stored per message
		plan, err := c.plan(job{Process: "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP", Message: fmt.Sprintf("U%042d", n)},
			out, "MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM", "")
		if err != nil {
			return // e.g. a target or anchor no data item can hold
		}
		for _, d := range plan {
			if d.item == nil {
				continue
			}
			item, err := arweave.ParseDataItem(d.item.Bytes())
			if err != nil {
				t.Fatalf("a signed item does not parse: %v", err)
			}
			if err := item.Verify(); err != nil {
				t.Fatalf("a signed item does not verify: %v", err)
			}
		}
	})
}
