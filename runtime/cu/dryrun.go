package cu

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/aogo-dev/aogo/vm"
)

// DryRunMessage is the body of POST /dry-run (protocol.md 6.7): the fields
// the reference accepts; others are dropped.
type DryRunMessage struct {
	ID          *string         `json:"Id,omitempty"`
	Signature   *string         `json:"Signature,omitempty"`
	Owner       string          `json:"Owner"`
	Target      *string         `json:"Target,omitempty"`
	Data        json.RawMessage `json:"Data,omitempty"`
	Tags        []tagJSON       `json:"Tags"`
	Anchor      json.RawMessage `json:"Anchor,omitempty"`
	Timestamp   *json.Number    `json:"Timestamp,omitempty"`
	BlockHeight *json.Number    `json:"Block-Height,omitempty"`
}

// dryRun evaluates msg on a copy of the process's state: the process
// itself never changes, and the module sees Read-Only: true.
func (p *proc) dryRun(ctx context.Context, d *DryRunMessage) ([]byte, error) {
	m := message{
		Data: reencode(d.Data), Owner: jsStr(d.Owner), Target: jsStr(p.pid),
		Anchor: reencode(d.Anchor), From: jsStr(d.Owner), Tags: d.Tags,
		Timestamp: p.pos.Timestamp, BlockHeight: p.pos.BlockHeight, ReadOnly: true,
	}
	if d.ID != nil {
		m.ID = ptr(jsStr(*d.ID))
	}
	if d.Signature != nil {
		m.Signature = ptr(jsStr(*d.Signature))
	}
	if m.Tags == nil {
		m.Tags = []tagJSON{}
	}
	if d.Target != nil {
		m.Target = jsStr(*d.Target)
	}
	for _, t := range d.Tags {
		if t.Name == "From-Process" && t.Value != "" {
			m.From = t.Value
		}
	}
	if d.Timestamp != nil {
		v, err := d.Timestamp.Int64()
		if err != nil {
			return nil, fmt.Errorf("cu: dry-run: %w: Timestamp %s", ErrBadRequest, d.Timestamp)
		}
		m.Timestamp = v
	}
	if d.BlockHeight != nil {
		v, err := d.BlockHeight.Int64()
		if err != nil {
			return nil, fmt.Errorf("cu: dry-run: %w: Block-Height %s", ErrBadRequest, d.BlockHeight)
		}
		m.BlockHeight = v
	}
	state, err := p.inst.Snapshot()
	if err != nil {
		return nil, err
	}
	compiled, err := p.u.cfg.Runtime.Load(ctx, vm.ModuleSpec{ID: p.module.ID(), Format: vm.Format(p.module.Tags.Value("Module-Format")), Binary: p.module.Data})
	if err != nil {
		return nil, moduleError(p.module.ID(), err)
	}
	limits, err := vm.LimitsFromTags(p.process.Item.Tags, p.module.Tags, p.u.cfg.MaxMemory, p.u.cfg.MaxCompute)
	if err != nil {
		return nil, err
	}
	copy, err := compiled.Instantiate(ctx, vm.InstanceConfig{Limits: limits}, state)
	if err != nil {
		return nil, err
	}
	defer copy.Close(ctx)
	res, err := copy.Handle(ctx, mustJSON(m), p.env)
	if err != nil {
		return nil, fmt.Errorf("cu: dry-run of %s: %w", p.pid, err)
	}
	return resultJSON(res), nil
}

// reencode writes a JSON value from the client again as JSON.stringify
// would (the reference CU parses the body and stringifies the message):
// strings as jsStr does, other values compacted.
func reencode(v json.RawMessage) json.RawMessage {
	if v == nil {
		return nil
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return jsonString(s)
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) != nil {
		return v
	}
	return buf.Bytes()
}
