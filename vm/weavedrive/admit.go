package weavedrive

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/vm"
)

// wasm64Format is the Module-Format the reference CU always attaches
// WeaveDrive to (ao:servers/cu/src/effects/worker/evaluate.js
// WASM_64_FORMAT). NB: only this one; its -metering sibling is not.
const wasm64Format = "wasm64-unknown-emscripten-draft_2024_02_15"

// The availability types (Availability-Type tag values).
const (
	assignments = "Assignments"
	individual  = "Individual"
	library     = "Library"
)

// attached reports whether the reference CU attaches WeaveDrive to a module
// with these tags.
func attached(module []arweave.Tag) bool {
	return hasValue(module, "Extension", "WeaveDrive") || last(module, "Module-Format") == wasm64Format
}

// admit returns nil if the process of req may read the data of id, and
// otherwise why not. See the package documentation for the rules; the
// numbers below are its steps.
func (d *Drive) admit(ctx context.Context, req vm.DriveRequest, id string) error {
	if d.allow != nil && !d.allow[id] {
		return notAdmissible(req.Path, "not in the node's allow-list")
	}
	if d.cfg.Mode == ModeTest {
		return nil
	}
	process, module := req.Process.Tags, req.Module.Tags
	// 1.
	if last(process, "On-Boot") == id {
		return nil
	}
	// 2.
	if !hasValue(module, "Extension", "WeaveDrive") && !hasValue(process, "Extension", "WeaveDrive") {
		return notAdmissible(req.Path, "neither the process nor its module has the tag Extension: WeaveDrive")
	}
	// 3.
	mode := last(process, "Availability-Type")
	if mode == "" {
		mode = last(module, "Availability-Type")
	}
	if mode == "" {
		mode = assignments
	}
	if mode != assignments && mode != individual && mode != library {
		return fmt.Errorf("%w %q: %s", ErrUnsupported, mode, req.Path)
	}
	// 4.
	var attestors []string
	if s := last(process, "Scheduler"); s != "" {
		attestors = append(attestors, s)
	}
	for _, t := range process {
		if t.Name == "Attestor" && t.Value != "" {
			attestors = append(attestors, t.Value)
		}
	}
	// NB: with no attestor the reference sends owners: [], which a gateway
	// may read as no owner filter (anyone could attest); here nobody can.
	if len(attestors) > 0 {
		ok, err := d.attested(ctx, attestors, req.BlockHeight,
			"Type", "Attestation", "Message", id, "Data-Protocol", "ao")
		if ok || err != nil {
			return err
		}
		// 5.
		if mode == individual {
			ok, err := d.attested(ctx, attestors, req.BlockHeight,
				"Type", "Available", "ID", id, "Data-Protocol", "WeaveDrive")
			if ok || err != nil {
				return err
			}
		}
	}
	// NB: the queries found nothing. That is final only once the store has
	// every block up to the message's; before, an attestation could still
	// arrive at a height that counts.
	if len(attestors) > 0 {
		if err := d.caughtUp(ctx, req); err != nil {
			return err
		}
	}
	// 6.
	if mode == library {
		return fmt.Errorf("%w %q: %s: no attestation, and Library availability is not supported", ErrUnsupported, mode, req.Path)
	}
	// 7.
	return notAdmissible(req.Path, "no "+assignmentsOrAvailable(mode)+" by the process's Scheduler or an Attestor at or below block "+strconv.FormatInt(req.BlockHeight, 10))
}

// attested reports whether an item owned by one of owners, with every
// name/value pair of tags, is in a block from 0 to height.
func (d *Drive) attested(ctx context.Context, owners []string, height int64, tags ...string) (bool, error) {
	q := arweave.TxQuery{Owners: owners, MinHeight: new(int64), MaxHeight: &height, First: 1}
	for i := 0; i+1 < len(tags); i += 2 {
		q.Tags = append(q.Tags, arweave.TagFilter{Name: tags[i], Values: []string{tags[i+1]}})
	}
	page, err := d.store.Query(ctx, q)
	if err != nil {
		return false, fmt.Errorf("weavedrive: admissibility query: %w", err)
	}
	return len(page.Edges) > 0, nil
}

// caughtUp returns nil if the store has every block up to the message's
// height, so that what it lacks at those heights it will never have, and
// otherwise an ErrUnavailable error: a negative answer would not be final.
func (d *Drive) caughtUp(ctx context.Context, req vm.DriveRequest) error {
	in, err := d.store.Info(ctx)
	if err == nil && in.Height < req.BlockHeight {
		err = fmt.Errorf("the store is at block %d, behind the message's block %d", in.Height, req.BlockHeight)
	}
	if err != nil {
		return d.unavailable(ctx, req.Path, err)
	}
	return nil
}

func assignmentsOrAvailable(mode string) string {
	if mode == individual {
		return "Attestation or Available record"
	}
	return "Attestation"
}

func notAdmissible(path, reason string) error {
	return fmt.Errorf("%w: %s: %s", ErrNotAdmissible, path, reason)
}

// last is the value of the last tag named name, or "" (the reference's
// getTagValue).
func last(tags []arweave.Tag, name string) string {
	for i := len(tags) - 1; i >= 0; i-- {
		if tags[i].Name == name {
			return tags[i].Value
		}
	}
	return ""
}

// hasValue reports whether a tag named name has value value.
func hasValue(tags []arweave.Tag, name, value string) bool {
	return slices.Contains(tags, arweave.Tag{Name: name, Value: value})
}
