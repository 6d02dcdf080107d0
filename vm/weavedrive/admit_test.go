package weavedrive

import (
	"context"
	"slices"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
)

// TestAdmissibility checks each rule of checkAdmissible
// (aos:extensions/weavedrive/src/index.js) on one weave:
//
//	block 1: attestations by the scheduler, an attestor and a stranger,
//	         Available records, an attestation without Data-Protocol
//	block 2: a later attestation
//	pending: an attestation never mined
func TestAdmissibility(t *testing.T) {
	w := newWorld(t)
	var (
		bySched    = w.data()
		byAttestor = w.data()
		byStranger = w.data()
		none       = w.data()
		later      = w.data()
		pending    = w.data()
		avail      = w.data()
		availStr   = w.data()
		boot       = w.data()
		noProto    = w.data()
		absent     = w.sign(w.user, []byte("never stored")).ID()
	)
	w.attest(w.scheduler, bySched)
	w.attest(w.attestor, byAttestor)
	w.attest(w.stranger, byStranger)
	w.available(w.scheduler, avail)
	w.available(w.stranger, availStr)
	w.put(w.scheduler, nil, "Type", "Attestation", "Message", noProto)
	if h := w.mine(); h != 1 {
		t.Fatalf("first block at %d", h)
	}
	w.attest(w.scheduler, later)
	w.mine() // 2
	w.attest(w.scheduler, pending)

	sched := arweave.SignerAddress(w.scheduler)
	attestor := arweave.SignerAddress(w.attestor)
	stranger := arweave.SignerAddress(w.stranger)
	wasm64 := tags("Module-Format", wasm64Format)                // attached, no Extension
	plain := tags("Module-Format", "wasm32-unknown-emscripten4") // not attached
	noExt := tags("Data-Protocol", "ao", "Type", "Process", "Scheduler", sched, "Attestor", attestor)
	onlyTags := func(kv ...string) []arweave.Tag { return tags(kv...) }

	type c struct {
		name    string
		mode    Mode
		allow   []string
		process []arweave.Tag // nil: w.processTags()
		module  []arweave.Tag // nil: moduleTags()
		height  int64
		id      string
		want    string
	}
	cases := []c{
		{name: "attested by the scheduler", height: 1, id: bySched, want: "ok"},
		{name: "attested by an Attestor", height: 1, id: byAttestor, want: "ok"},
		{name: "attested by a stranger", height: 2, id: byStranger, want: "not admissible"},
		{name: "not attested", height: 2, id: none, want: "not admissible"},
		{name: "attestation without Data-Protocol ao", height: 2, id: noProto, want: "not admissible"},
		{name: "attested at a later block than the message", height: 1, id: later, want: "not admissible"},
		{name: "attested at the message's block", height: 2, id: later, want: "ok"},
		{name: "attestation pending", height: 2, id: pending, want: "not admissible"},
		{name: "not attested, store behind the message", height: 3, id: none, want: "unavailable"},
		{name: "attested, store behind the message", height: 3, id: bySched, want: "ok"},
		{name: "block height 0 sees nothing", height: 0, id: bySched, want: "not admissible"},

		{name: "Available record in Assignments mode", height: 1, id: avail, want: "not admissible"},
		{name: "Individual: Available record", height: 1, id: avail, want: "ok",
			process: w.processTags("Availability-Type", "Individual")},
		{name: "Individual: Available record by a stranger", height: 1, id: availStr, want: "not admissible",
			process: w.processTags("Availability-Type", "Individual")},
		{name: "Individual: an attestation is enough", height: 1, id: bySched, want: "ok",
			process: w.processTags("Availability-Type", "Individual")},
		{name: "Individual: neither", height: 2, id: none, want: "not admissible",
			process: w.processTags("Availability-Type", "Individual")},
		{name: "Individual from the module", height: 1, id: avail, want: "ok",
			module: moduleTags("Availability-Type", "Individual")},
		{name: "process's Availability-Type over the module's", height: 1, id: avail, want: "not admissible",
			process: w.processTags("Availability-Type", "Assignments"), module: moduleTags("Availability-Type", "Individual")},
		{name: "empty Availability-Type falls back to the module's", height: 1, id: avail, want: "ok",
			process: w.processTags("Availability-Type", ""), module: moduleTags("Availability-Type", "Individual")},
		{name: "last Availability-Type tag wins", height: 1, id: avail, want: "ok",
			process: w.processTags("Availability-Type", "Assignments", "Availability-Type", "Individual")},
		{name: "Library refused without an attestation", height: 2, id: none, want: "unsupported",
			process: w.processTags("Availability-Type", "Library")},
		{name: "Library with an attestation", height: 1, id: bySched, want: "ok",
			process: w.processTags("Availability-Type", "Library")},
		{name: "unknown Availability-Type", height: 1, id: bySched, want: "unsupported",
			process: w.processTags("Availability-Type", "Everything")},

		{name: "On-Boot is always admissible", height: 0, id: boot, want: "ok",
			process: w.processTags("On-Boot", boot)},
		{name: "On-Boot without any Extension tag", height: 0, id: boot, want: "ok",
			process: slices.Concat(noExt, tags("On-Boot", boot)), module: wasm64},
		{name: "On-Boot names another id", height: 2, id: none, want: "not admissible",
			process: w.processTags("On-Boot", boot)},
		{name: "On-Boot Data is not an id", height: 2, id: none, want: "not admissible",
			process: w.processTags("On-Boot", "Data")},
		{name: "On-Boot of data the store lacks", height: 2, id: absent, want: "unavailable",
			process: w.processTags("On-Boot", absent)},

		{name: "no Extension tag: attested data refused", height: 1, id: bySched, want: "not admissible",
			process: noExt, module: wasm64},
		{name: "Extension on the process only", height: 1, id: bySched, want: "ok",
			module: wasm64},
		{name: "Extension on the module only", height: 1, id: bySched, want: "ok",
			process: noExt},
		{name: "not attached: no Extension on a wasm32 module", height: 1, id: bySched, want: "not found",
			module: plain},
		{name: "not attached: On-Boot too", height: 1, id: boot, want: "not found",
			process: w.processTags("On-Boot", boot), module: plain},
		{name: "not attached: wasm64 -metering is not always attached", height: 1, id: bySched, want: "not found",
			module: tags("Module-Format", "wasm64-unknown-emscripten-draft_2024_10_16-metering")},

		{name: "no Scheduler and no Attestor: nobody attests", height: 2, id: byStranger, want: "not admissible",
			process: onlyTags("Extension", "WeaveDrive")},
		{name: "Attestor without Scheduler", height: 1, id: byAttestor, want: "ok",
			process: onlyTags("Extension", "WeaveDrive", "Attestor", attestor)},
		{name: "last Scheduler tag counts", height: 2, id: bySched, want: "not admissible",
			process: onlyTags("Extension", "WeaveDrive", "Scheduler", sched, "Scheduler", stranger)},
		{name: "several Attestor tags", height: 1, id: byStranger, want: "ok",
			process: onlyTags("Extension", "WeaveDrive", "Attestor", attestor, "Attestor", stranger)},

		{name: "test mode admits anything", mode: ModeTest, height: 0, id: none, want: "ok"},
		{name: "test mode skips attachment", mode: ModeTest, height: 0, id: none, want: "ok",
			process: onlyTags(), module: plain},
		{name: "test mode, data the store lacks", mode: ModeTest, height: 0, id: absent, want: "unavailable"},
		{name: "allow-list admits its ids", mode: ModeTest, allow: []string{none}, height: 0, id: none, want: "ok"},
		{name: "allow-list refuses the others", mode: ModeTest, allow: []string{none}, height: 2, id: bySched, want: "not admissible"},
		{name: "allow-list narrows normal mode", allow: []string{none}, height: 2, id: none, want: "not admissible"},
		{name: "allow-list and attestation", allow: []string{bySched}, height: 1, id: bySched, want: "ok"},
		{name: "allow-list applies to On-Boot", allow: []string{none}, height: 0, id: boot, want: "not admissible",
			process: w.processTags("On-Boot", boot)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			process, module := c.process, c.module
			if process == nil {
				process = w.processTags()
			}
			if module == nil {
				module = moduleTags()
			}
			d := New(w.store, Config{Mode: c.mode, AllowIDs: c.allow})
			f, err := d.Open(context.Background(), request("/data/"+c.id, process, module, c.height))
			if got := outcome(err); got != c.want {
				t.Fatalf("%s, want %s", got, c.want)
			}
			switch {
			case err == nil && f.Size() == 0:
				t.Error("admitted an empty file")
			case c.want == "unavailable" || c.want == "unsupported":
				// Failures, not answers: a vm must not turn them into NULL.
				if arweave.IsNotFound(err) {
					t.Errorf("%v wraps arweave.ErrNotFound", err)
				}
			}
		})
	}
}

// TestAdmissibilityIsStable: the answer for a message does not change as
// the weave grows, once the store has reached the message's block.
func TestAdmissibilityIsStable(t *testing.T) {
	w := newWorld(t)
	id := w.data()
	d := New(w.store, Config{})
	ask := func(height int64) string {
		_, err := d.Open(context.Background(), request("/data/"+id, w.processTags(), moduleTags(), height))
		return outcome(err)
	}
	w.mine() // 1
	if got := ask(1); got != "not admissible" {
		t.Fatalf("at block 1 before any attestation: %s", got)
	}
	if got := ask(2); got != "unavailable" {
		t.Fatalf("at block 2, store at block 1: %s (a refusal now could be wrong later)", got)
	}
	w.attest(w.scheduler, id) // pending
	if got := ask(1); got != "not admissible" {
		t.Fatalf("at block 1 with a pending attestation: %s", got)
	}
	w.mine() // 2: the attestation
	w.mine() // 3
	for h, want := range map[int64]string{1: "not admissible", 2: "ok", 3: "ok"} {
		if got := ask(h); got != want {
			t.Errorf("at block %d after mining: %s, want %s", h, got, want)
		}
	}
}

// TestHeadersNeedNoAdmissibility: as the reference, /tx and /block are not
// checked for admissibility, only for attachment.
func TestHeadersNeedNoAdmissibility(t *testing.T) {
	w := newWorld(t)
	id := w.data()
	h := w.mine()
	d := New(w.store, Config{})
	for _, p := range []string{"/tx/" + id, "/block/1"} {
		_, err := d.Open(context.Background(), request(p, tags("Type", "Process"), tags("Module-Format", wasm64Format), h))
		if err != nil {
			t.Errorf("%s without Extension tags on a wasm64 module: %v", p, err)
		}
		_, err = d.Open(context.Background(), request(p, w.processTags(), tags("Module-Format", "wasm32-unknown-emscripten4"), h))
		if outcome(err) != "not found" {
			t.Errorf("%s with WeaveDrive not attached: %v, want not found", p, err)
		}
	}
}
