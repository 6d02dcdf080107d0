package vm

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero/api"
)

// HostCall is an extension the host offers modules by name (the inference
// drivers use it). It must be a deterministic function of its request: the
// same request gives the same response on every machine, since evaluation is
// replayed.
type HostCall func(ctx context.Context, request []byte) ([]byte, error)

// Modules reach host calls through one import:
//
//	aogo.host_call(name_ptr, name_len, req_ptr, req_len, out_ptr i32) -> i32
//
// The host runs the named HostCall on the request bytes and allocates the
// response (or, on failure, the error text) with the module's own allocator
// (ao_alloc in the native format, malloc otherwise); it writes the buffer's
// pointer and length as two little-endian u32 at out_ptr and returns 0 for a
// response, 1 for an error. The module owns (frees) the buffer.
const (
	hostCallModule = "aogo"
	hostCallField  = "host_call"
)

func hostCallImport(m *Module, def api.FunctionDefinition) hostImpl {
	if !sameTypes(def.ParamTypes(), api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32) ||
		!sameTypes(def.ResultTypes(), api.ValueTypeI32) {
		return nil
	}
	return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
		name, ok1 := mem.Read(uint32(stack[0]), uint32(stack[1]))
		req, ok2 := mem.Read(uint32(stack[2]), uint32(stack[3]))
		if !ok1 || !ok2 {
			panic(&abortError{"aogo.host_call: arguments out of memory"})
		}
		resp, status := i.runHostCall(ctx, string(name), append([]byte(nil), req...))
		p, err := i.alloc(ctx, uint64(len(resp)))
		if err != nil {
			panic(err)
		}
		if p == 0 && len(resp) > 0 {
			panic(&abortError{fmt.Sprintf("aogo.host_call: the module could not allocate %d bytes", len(resp))})
		}
		mem = i.guest.Memory()
		mem.Write(uint32(p), resp)
		mem.WriteUint32Le(uint32(stack[4]), uint32(p))
		mem.WriteUint32Le(uint32(stack[4])+4, uint32(len(resp)))
		stack[0] = status
	}
}

func (i *Instance) runHostCall(ctx context.Context, name string, req []byte) ([]byte, uint64) {
	fn, ok := i.m.rt.cfg.HostCalls[name]
	if !ok {
		return []byte("no host call named " + name), 1
	}
	resp, err := fn(ctx, req)
	if err != nil {
		return []byte(err.Error()), 1
	}
	return resp, 0
}

// alloc allocates n bytes with the module's allocator.
func (i *Instance) alloc(ctx context.Context, n uint64) (uint64, error) {
	f := i.exports.malloc
	if i.m.spec.native {
		f = i.exports.aoAlloc
	}
	if f == nil {
		return 0, fmt.Errorf("the module exports no allocator")
	}
	return call1(ctx, f, n)
}
