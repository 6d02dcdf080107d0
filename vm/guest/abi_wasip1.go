//go:build wasip1

package guest

import (
	"errors"
	"runtime"
	"unsafe"
)

// The exports of a wasm32-wasip1-aogo module (docs/native-modules.md).
// Wasm is single-threaded and the host calls one export at a time, so the
// buffer table needs no lock: goroutines of the module never touch it.

// ABI violations by the host. They panic inside an export, which the Go
// runtime turns into a trap (proc_exit(2) after printing the panic to
// stderr), because a host that breaks the buffer contract cannot be
// trusted with the instance's memory any more.
var (
	errUnknownBuffer = errors.New("guest: ao_free of an address ao_alloc did not return, or freed twice")
	errBadBuffer     = errors.New("guest: handle given a range that is not inside a buffer from ao_alloc")
)

// buffers holds every buffer the host may use, by address. Being in this
// map is what keeps a buffer alive: the Go garbage collector does not move
// objects, so the address stays valid until ao_free deletes the entry.
var buffers = map[uint32][]byte{}

// aoAlloc returns the address of size fresh zeroed bytes, kept alive until
// ao_free. A zero size still gets a distinct one-byte buffer, so every
// address ao_alloc returns is non-zero and can be freed.
//
//go:wasmexport ao_alloc
func aoAlloc(size uint32) uint32 {
	b := make([]byte, max(size, 1))
	return keep(b[:size])
}

// aoFree releases a buffer from ao_alloc or from handle's result. Freeing
// address 0 does nothing, as free(NULL) does.
//
//go:wasmexport ao_free
func aoFree(ptr uint32) {
	if ptr == 0 {
		return
	}
	if _, ok := buffers[ptr]; !ok {
		panic(errUnknownBuffer)
	}
	delete(buffers, ptr)
}

// handle runs the registered handler on the message and env JSON in two
// buffers from ao_alloc and returns the result document as
// ptr<<32 | len, in a buffer the host must release with ao_free. The host
// still owns (and frees) the message and env buffers.
//
//go:wasmexport handle
func handle(msgPtr, msgLen, envPtr, envLen uint32) uint64 {
	res := Invoke(bufferAt(msgPtr, msgLen), bufferAt(envPtr, envLen))
	if len(res) == 0 {
		res = encodeFailure(errEmptyResult)
	}
	// NB: goroutines, including the garbage collector's mark workers, run
	// only while an export is running and the running goroutine blocks or
	// yields. Without this yield a module that never blocks starves the
	// collector and its memory grows several times over (wasm-abi.md §4b).
	runtime.Gosched()
	ptr := uint32(uintptr(unsafe.Pointer(&res[0])))
	if _, taken := buffers[ptr]; taken {
		// A raw handler returned (the start of) a buffer the host owns,
		// such as its input; the host frees both, so they must differ.
		res = append([]byte(nil), res...)
	}
	return uint64(keep(res))<<32 | uint64(len(res))
}

var errEmptyResult = errors.New("guest: the raw handler returned no result")

// keep records b as live and returns its address.
func keep(b []byte) uint32 {
	ptr := uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b[:1]))))
	buffers[ptr] = b
	return ptr
}

// bufferAt returns the first n bytes of the live buffer at ptr.
func bufferAt(ptr, n uint32) []byte {
	if ptr == 0 && n == 0 {
		return nil
	}
	b, ok := buffers[ptr]
	if !ok || int(n) > len(b) {
		panic(errBadBuffer)
	}
	return b[:n:n]
}
