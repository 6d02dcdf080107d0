package vm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/vm"
	"github.com/aogo-dev/aogo/vm/weavedrive"
)

// TestWeaveDriveThroughModules reads Arweave data from inside format 4 and
// wasm64 modules, through the real drive over the embedded store: seek to
// the end for the size, back to the start, reads through both the WeaveDrive
// import and fd_read, a missing id, and a message the store has not reached
// yet (which the node cannot answer now: ErrUnavailable, nothing committed).
func TestWeaveDriveThroughModules(t *testing.T) {
	ctx := context.Background()
	var clock int64
	store, err := embedded.Open(embedded.Config{Dir: t.TempDir(), Signer: mustWallet(t),
		Now: func() time.Time { clock++; return time.Unix(1_700_000_000+clock, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	scheduler, user := mustWallet(t), mustWallet(t)
	put := func(s arweave.Signer, data string, kv ...string) *arweave.DataItem {
		var tags []arweave.Tag
		for k := 0; k+1 < len(kv); k += 2 {
			tags = append(tags, arweave.Tag{Name: kv[k], Value: kv[k+1]})
		}
		it, err := arweave.SignDataItem(s, arweave.ItemOptions{Data: []byte(data), Tags: tags})
		if err != nil {
			t.Fatal(err)
		}
		if err := store.PutItems(ctx, it); err != nil {
			t.Fatal(err)
		}
		return it
	}
	payload := "HELLO-FROM-WEAVEDRIVE, all of it"
	file := put(user, payload)
	put(scheduler, "", "Data-Protocol", "ao", "Type", "Attestation", "Message", file.ID())
	unattested := put(user, "secret")
	block, err := store.Mine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	env, _ := json.Marshal(map[string]any{
		"Process": map[string]any{"Id": "EiEwRzYAUD4R4NGjYxjOzVLkpA_r00cPuNUvX7knPks", "Owner": "o",
			"Tags": []arweave.Tag{{Name: "Extension", Value: "WeaveDrive"}, {Name: "Scheduler", Value: arweave.SignerAddress(scheduler)}}},
		"Module": map[string]any{"Id": "m", "Owner": "o", "Tags": []arweave.Tag{{Name: "Extension", Value: "WeaveDrive"}}},
	})
	rt := newRuntime(t, vm.Config{Drive: weavedrive.New(store, weavedrive.Config{})})
	read := func(inst *vm.Instance, path string, height int64) (map[string]any, error) {
		m := message{ID: "read", Owner: "o", From: "o", Target: "p", Data: path, Timestamp: 1, BlockHeight: height,
			Tags: []jsonTag{{"Action", "Read"}, {"Size", "1000"}}}
		b, _ := json.Marshal(m)
		res, err := inst.Handle(ctx, b, env)
		if err != nil {
			return nil, err
		}
		if res.Failed() {
			return nil, fmt.Errorf("read failed: %s", res.ErrorMessage())
		}
		var out map[string]any
		if err := json.Unmarshal(res.Output, &out); err != nil {
			return nil, fmt.Errorf("output %s: %v", res.Output, err)
		}
		return out, nil
	}
	ran := 0
	for _, tm := range testModules(t) {
		if tm.File != "rich-fmt4.wasm" && tm.File != "rich-wasm64.wasm" {
			continue
		}
		ran++
		t.Run(tm.name(), func(t *testing.T) {
			inst := tm.start(t, rt, vm.Limits{})
			out, err := read(inst, "/data/"+file.ID(), block.Height)
			if err != nil {
				t.Fatal(err)
			}
			if out["data"] != payload || out["size"] != float64(len(payload)) {
				t.Errorf("read %v", out)
			}
			out, err = read(inst, "/data/"+unattested.ID(), block.Height)
			if err != nil {
				t.Fatal(err)
			}
			if out["fd"] != float64(0) {
				t.Errorf("an unattested id opened: %v", out)
			}
			before := stateHash(t, inst)
			// A negative answer is final only once the store has the
			// message's block.
			if _, err := read(inst, "/data/"+unattested.ID(), block.Height+5); !errors.Is(err, vm.ErrUnavailable) {
				t.Errorf("a message beyond the store's height: err = %v, want ErrUnavailable", err)
			}
			if stateHash(t, inst) != before {
				t.Error("an unavailable read changed the state")
			}
		})
	}
	if ran == 0 {
		t.Fatal("no format 4 or wasm64 module")
	}
}

func mustWallet(t testing.TB) arweave.Signer {
	t.Helper()
	w, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	return w
}
