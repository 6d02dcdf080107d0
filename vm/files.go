package vm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/tetratelabs/wazero/api"

	"github.com/aogo-dev/aogo/arweave"
)

// unavailableError stops an evaluation the node cannot complete now.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return e.err.Error() }
func (e *unavailableError) Unwrap() error { return e.err }

// Drive serves WeaveDrive: a process reading Arweave data and headers as
// files. Implementations decide admissibility (which ids a process may read)
// and must answer the same for the same request every time.
type Drive interface {
	// Open returns the file at a WeaveDrive path (/data/<id>, /tx/<id>,
	// /block/<height>) as the process would see it at the message being
	// evaluated. An error wrapping arweave.ErrNotFound (not there, not
	// admissible) makes fopen return NULL; one wrapping ErrFileRefused fails
	// the message; any other error means the node cannot answer now, and
	// Handle returns ErrUnavailable without committing anything.
	Open(ctx context.Context, req DriveRequest) (DriveFile, error)
}

// DriveRequest is one open of a WeaveDrive path.
type DriveRequest struct {
	Path string
	// Process and Module are the env of the message being evaluated
	// (protocol.md 7.3), for admissibility.
	Process, Module EnvEntity
	// BlockHeight is the message's Block-Height.
	BlockHeight int64
}

// EnvEntity is the Process or Module of the env object.
type EnvEntity struct {
	ID    string        `json:"Id"`
	Owner string        `json:"Owner"`
	Tags  []arweave.Tag `json:"Tags"`
}

// DriveFile is an immutable byte source.
type DriveFile interface {
	io.ReaderAt
	Size() int64
}

// fileTable is an instance's open WeaveDrive files. Descriptors start at 3
// (0-2 are stdin, stdout, stderr) and the lowest free one is reused, as
// emscripten's FS does.
type fileTable struct {
	open map[uint32]*openFile
}

type openFile struct {
	path string
	pos  uint64
	f    DriveFile // nil after a restore until first use
}

func newFileTable() *fileTable { return &fileTable{open: map[uint32]*openFile{}} }

func (t *fileTable) add(path string, f DriveFile) uint32 {
	fd := uint32(3)
	for t.open[fd] != nil {
		fd++
	}
	t.open[fd] = &openFile{path: path, f: f}
	return fd
}

func (t *fileTable) snapshot() []OpenFile {
	out := make([]OpenFile, 0, len(t.open))
	for fd, f := range t.open {
		out = append(out, OpenFile{FD: fd, Path: f.path, Position: f.pos})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].FD < out[b].FD })
	return out
}

func (t *fileTable) restore(files []OpenFile) {
	t.open = map[uint32]*openFile{}
	for _, f := range files {
		t.open[f.FD] = &openFile{path: f.path(), pos: f.Position}
	}
}

func (f OpenFile) path() string { return f.Path }

// file returns an open file, reopening it after a restore.
func (i *Instance) file(ctx context.Context, fd uint32) (*openFile, error) {
	f := i.files.open[fd]
	if f == nil {
		return nil, errors.New("bad file descriptor")
	}
	if f.f == nil {
		df, err := i.openDrive(ctx, f.path)
		if err != nil {
			return nil, err
		}
		f.f = df
	}
	return f, nil
}

// envInfo is the parsed env of the current message.
type envInfo struct {
	Process EnvEntity `json:"Process"`
	Module  EnvEntity `json:"Module"`
}

// msgInfo is what the host reads of the current message.
type msgInfo struct {
	Timestamp   json.Number `json:"Timestamp"`
	BlockHeight json.Number `json:"Block-Height"`
}

func (i *Instance) message() *msgInfo {
	if i.cur == nil {
		return &msgInfo{}
	}
	if i.cur.msgInfo == nil {
		var mi msgInfo
		_ = json.Unmarshal(i.cur.msg, &mi)
		i.cur.msgInfo = &mi
	}
	return i.cur.msgInfo
}

// messageTimestamp is the current message's Timestamp in ms (0 if absent).
func (i *Instance) messageTimestamp() int64 {
	v, _ := i.message().Timestamp.Int64()
	return v
}

func (i *Instance) openDrive(ctx context.Context, path string) (DriveFile, error) {
	d := i.m.rt.cfg.Drive
	if d == nil {
		return nil, fmt.Errorf("%w: WeaveDrive is not configured", arweave.ErrNotFound)
	}
	req := DriveRequest{Path: path}
	if i.cur != nil {
		if i.cur.envInfo == nil {
			var ei envInfo
			_ = json.Unmarshal(i.cur.env, &ei)
			i.cur.envInfo = &ei
		}
		req.Process, req.Module = i.cur.envInfo.Process, i.cur.envInfo.Module
	}
	req.BlockHeight, _ = i.message().BlockHeight.Int64()
	return d.Open(ctx, req)
}

func weavedriveOpenHost(m *Module, def api.FunctionDefinition) hostImpl {
	if !shape(def, 2, 1) {
		return nil
	}
	return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
		path, err := readCString(mem, stack[0])
		if err != nil {
			stack[0] = 0
			return
		}
		f, err := i.openDrive(ctx, string(path))
		switch {
		case err == nil:
		case errors.Is(err, arweave.ErrNotFound):
			stack[0] = 0 // fopen returns NULL
			return
		case errors.Is(err, ErrFileRefused):
			panic(&abortError{"HALT: " + err.Error()})
		default:
			// The node cannot answer now; answering "missing" would make
			// the result depend on this node's store.
			panic(&unavailableError{err})
		}
		stack[0] = uint64(i.files.add(string(path), f))
	}
}

// readFile reads up to n bytes at the file's position into guest memory and
// advances it: the bytes actually read, never more (the reference's fread
// claims nmemb always, so f:read("a") loops forever there).
func (i *Instance) readFile(ctx context.Context, mem api.Memory, fd uint32, dst, n uint64) (uint64, int64) {
	f, err := i.file(ctx, fd)
	if err != nil {
		return 0, errnoBADF
	}
	buf, ok := mem.Read(uint32(dst), uint32(n))
	if !ok {
		return 0, errnoINVAL
	}
	size := uint64(f.f.Size())
	if f.pos >= size {
		return 0, 0
	}
	if rest := size - f.pos; uint64(len(buf)) > rest {
		buf = buf[:rest]
	}
	got, err := f.f.ReadAt(buf, int64(f.pos))
	if err != nil && !errors.Is(err, io.EOF) {
		panic(&abortError{fmt.Sprintf("WeaveDrive read of %s failed: %v", f.path, err)})
	}
	f.pos += uint64(got)
	return uint64(got), 0
}

func weavedriveReadHost(m *Module, def api.FunctionDefinition) hostImpl {
	if !shape(def, 3, 1) {
		return nil
	}
	return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
		n, errno := i.readFile(ctx, mem, uint32(stack[0]), stack[1], stack[2])
		if errno != 0 {
			stack[0] = neg(errno)
			return
		}
		stack[0] = n
	}
}

func weavedriveCloseHost(m *Module, def api.FunctionDefinition) hostImpl {
	return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
		delete(i.files.open, uint32(stack[0]))
		if len(def.ResultTypes()) == 1 {
			stack[0] = 0
		}
	}
}

// iovecs walks an iovec array of the module's pointer width.
func (i *Instance) iovecs(mem api.Memory, iov, count uint64, each func(ptr, n uint64) bool) {
	ps := uint64(i.m.ptrSize())
	for k := uint64(0); k < count; k++ {
		p, _ := getUint(mem, iov+k*2*ps, int(ps))
		n, _ := getUint(mem, iov+k*2*ps+ps, int(ps))
		if !each(p, n) {
			return
		}
	}
}

func fdWriteHost(m *Module, def api.FunctionDefinition) hostImpl {
	if !shape(def, 4, 1) {
		return nil
	}
	return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
		fd := uint32(stack[0])
		if fd != 1 && fd != 2 {
			stack[0] = errnoBADF
			return
		}
		total := uint64(0)
		i.iovecs(mem, stack[1], stack[2], func(p, n uint64) bool {
			b, ok := mem.Read(uint32(p), uint32(n))
			if ok {
				i.writeStdout(b)
				total += n
				if n > 0 && i.m.spec.dateNow == clockCounter {
					// The glue's TTY write stamps the device node with
					// Date.now(), which advances the counter.
					i.tickDateNow()
				}
			}
			return true
		})
		putUint(mem, stack[3], total, i.m.ptrSize())
		stack[0] = 0
	}
}

func fdReadHost(m *Module, def api.FunctionDefinition) hostImpl {
	if !shape(def, 4, 1) {
		return nil
	}
	return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
		fd := uint32(stack[0])
		if fd == 0 {
			putUint(mem, stack[3], 0, i.m.ptrSize()) // stdin is empty
			stack[0] = 0
			return
		}
		total := uint64(0)
		var errno int64
		i.iovecs(mem, stack[1], stack[2], func(p, n uint64) bool {
			got, e := i.readFile(ctx, mem, fd, p, n)
			total += got
			errno = e
			return e == 0 && got == n
		})
		if errno != 0 {
			stack[0] = uint64(errno)
			return
		}
		putUint(mem, stack[3], total, i.m.ptrSize())
		stack[0] = 0
	}
}

// fdSeekHost takes both fd_seek shapes: WASI's (fd, i64 offset, whence,
// *newOffset) and the JS glue's legalized (fd, lo, hi, whence, *newOffset).
func fdSeekHost(m *Module, def api.FunctionDefinition) hostImpl {
	n := len(def.ParamTypes())
	if (n != 4 && n != 5) || len(def.ResultTypes()) != 1 {
		return nil
	}
	return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
		fd := uint32(stack[0])
		var offset int64
		var whence, out uint64
		if n == 5 {
			offset = int64(uint64(uint32(stack[1])) | uint64(stack[2])<<32)
			whence, out = stack[3], stack[4]
		} else {
			offset = int64(stack[1])
			whence, out = stack[2], stack[3]
		}
		if fd <= 2 {
			stack[0] = errnoSPIPE
			return
		}
		f, err := i.file(ctx, fd)
		if err != nil {
			stack[0] = errnoBADF
			return
		}
		var pos int64
		switch whence {
		case 0:
			pos = offset
		case 1:
			pos = int64(f.pos) + offset
		case 2:
			pos = f.f.Size() + offset
		default:
			stack[0] = errnoINVAL
			return
		}
		if pos < 0 {
			stack[0] = errnoINVAL
			return
		}
		f.pos = uint64(pos)
		mem.WriteUint64Le(uint32(out), uint64(pos))
		stack[0] = 0
	}
}

func fdCloseHost(m *Module, def api.FunctionDefinition) hostImpl {
	return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
		fd := uint32(stack[0])
		if fd <= 2 {
			stack[0] = 0
			return
		}
		if _, ok := i.files.open[fd]; !ok {
			stack[0] = errnoBADF
			return
		}
		delete(i.files.open, fd)
		stack[0] = 0
	}
}

// fdFdstatHost: stdin, stdout and stderr are TTYs as in the glue (only the
// file type byte is written, as there).
func fdFdstatHost(m *Module, def api.FunctionDefinition) hostImpl {
	return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
		fd := uint32(stack[0])
		switch {
		case fd <= 2:
			mem.WriteByte(uint32(stack[1]), 2)
		case i.files.open[fd] != nil:
			mem.WriteByte(uint32(stack[1]), 4)
		default:
			stack[0] = errnoBADF
			return
		}
		stack[0] = 0
	}
}

// ioctlHost answers the terminal ioctls musl's stdio makes as the glue's TTY
// does (stdio's buffering, and so the memory bytes, depend on it).
func ioctlHost(m *Module, def api.FunctionDefinition) hostImpl {
	if len(def.ResultTypes()) != 1 || len(def.ParamTypes()) < 2 {
		return nil
	}
	return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
		fd, op := uint32(stack[0]), uint32(stack[1])
		tty := fd <= 2
		if !tty && i.files.open[fd] == nil {
			stack[0] = neg(errnoBADF)
			return
		}
		if !tty {
			stack[0] = neg(errnoNOTTY)
			return
		}
		switch op {
		case 21523: // TIOCGWINSZ: glues 3 and later report a 24x80 terminal
			if i.m.spec.glue >= 3 && len(def.ParamTypes()) > 2 {
				if argp, ok := getUint(mem, stack[2], i.m.ptrSize()); ok {
					mem.WriteUint16Le(uint32(argp), 24)
					mem.WriteUint16Le(uint32(argp)+2, 80)
				}
			}
			stack[0] = 0
		case 21505, 21506, 21507, 21508, 21509, 21510, 21511, 21512, 21524:
			stack[0] = 0
		case 21519: // TIOCGPGRP
			if len(def.ParamTypes()) > 2 {
				if argp, ok := getUint(mem, stack[2], i.m.ptrSize()); ok {
					mem.WriteUint32Le(uint32(argp), 0)
				}
			}
			stack[0] = 0
		case 21520:
			stack[0] = neg(errnoINVAL)
		default:
			stack[0] = neg(errnoNOTTY)
		}
	}
}

func fcntlHost(m *Module, def api.FunctionDefinition) hostImpl {
	if len(def.ResultTypes()) != 1 || len(def.ParamTypes()) < 2 {
		return nil
	}
	return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
		fd, cmd := uint32(stack[0]), uint32(stack[1])
		if fd > 2 && i.files.open[fd] == nil {
			stack[0] = neg(errnoBADF)
			return
		}
		switch cmd {
		case 1, 2, 4, 8, 13, 14:
			stack[0] = 0
		case 3: // F_GETFL
			if fd == 0 || fd > 2 {
				stack[0] = 0 // O_RDONLY
			} else {
				stack[0] = 1 // O_WRONLY
			}
		default:
			stack[0] = neg(errnoINVAL)
		}
	}
}
