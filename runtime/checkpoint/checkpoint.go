package checkpoint

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/aogo-dev/aogo/vm"
)

// Errors. They are wrapped with context; test with errors.Is.
var (
	// ErrNotFound: the process has no usable checkpoint (none accepted by
	// the filter, or none at all).
	ErrNotFound = errors.New("checkpoint: not found")
	// ErrHashMismatch: the state Write encoded does not have the StateHash
	// of its metadata. Nothing was written.
	ErrHashMismatch = errors.New("checkpoint: state hash does not match the metadata")
	// ErrBadProcess: a process id that cannot be a directory name (only
	// base64url characters, 1 to 128 of them, are accepted).
	ErrBadProcess = errors.New("checkpoint: bad process id")
)

// Meta describes a checkpoint: where in the process's evaluation the state
// was taken, and what to check it against.
type Meta struct {
	Process, Module string
	// Nonce is the nonce of the last scheduled message evaluated (-1: none,
	// only the process message).
	Nonce int64
	// Timestamp (ms) is that of the last evaluation (message or cron tick).
	Timestamp   int64
	BlockHeight int64
	// HashChain and Assignment are those of the last scheduled message (""
	// if none), to continue hash-chain verification after a restore.
	HashChain, Assignment string
	// CronIndex is the cron index of the last evaluated tick at Timestamp,
	// -1 if the last evaluation was a message.
	CronIndex int
	// StateHash is the state's vm.State.Hash.
	StateHash [32]byte
	// Ordinal is the number of evaluations so far (messages and ticks): it
	// orders a process's checkpoints (the largest is the newest) and drives
	// retention.
	Ordinal uint64
}

// Config configures Open.
type Config struct {
	// Dir holds the checkpoints, one subdirectory per process; created if
	// missing. Required.
	Dir string
	// Keep is how many of a process's newest checkpoints Write keeps (0: 2;
	// 2 leaves a fallback when the newest turns out damaged).
	Keep int
	// Logger receives damaged-file warnings and pruning failures (nil:
	// discarded).
	Logger *slog.Logger
}

// Store is a directory of checkpoints. Use Open. It holds no state besides
// its configuration: several Stores on one Dir behave as one, as long as
// the per-process serialisation described in the package doc holds across
// them.
type Store struct {
	dir  string
	keep int
	log  *slog.Logger
}

// Open opens (or creates) the checkpoint directory cfg.Dir.
func Open(cfg Config) (*Store, error) {
	if cfg.Dir == "" {
		return nil, errors.New("checkpoint: Config.Dir is required")
	}
	if cfg.Keep < 0 {
		return nil, fmt.Errorf("checkpoint: Config.Keep is %d, must be >= 0", cfg.Keep)
	}
	if cfg.Keep == 0 {
		cfg.Keep = 2
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("checkpoint: open %s: %w", cfg.Dir, err)
	}
	return &Store{dir: cfg.Dir, keep: cfg.Keep, log: logger.With("component", "runtime/checkpoint")}, nil
}

// Names in a process's directory.
const (
	fileExt    = ".ckpt"
	corruptExt = ".corrupt"
	tempPrefix = ".tmp-"
)

func fileName(ordinal uint64, nonce int64) string {
	return fmt.Sprintf("%020d-%d%s", ordinal, nonce, fileExt)
}

// entry is a checkpoint file found in a process's directory.
type entry struct {
	name    string
	ordinal uint64
	nonce   int64
	corrupt bool // renamed aside
}

// parseName parses "<20 digits>-<nonce>.ckpt[.corrupt]".
func parseName(name string) (entry, bool) {
	e := entry{name: name}
	base, corrupt := strings.CutSuffix(name, corruptExt)
	e.corrupt = corrupt
	base, ok := strings.CutSuffix(base, fileExt)
	if !ok || len(base) < 22 || base[20] != '-' {
		return entry{}, false
	}
	var err error
	if e.ordinal, err = strconv.ParseUint(base[:20], 10, 64); err != nil {
		return entry{}, false
	}
	if e.nonce, err = strconv.ParseInt(base[21:], 10, 64); err != nil {
		return entry{}, false
	}
	return e, true
}

func checkPID(pid string) error {
	if len(pid) == 0 || len(pid) > 128 {
		return fmt.Errorf("%w: %q", ErrBadProcess, pid)
	}
	for i := 0; i < len(pid); i++ {
		c := pid[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("%w: %q", ErrBadProcess, pid)
		}
	}
	return nil
}

func (s *Store) procDir(pid string) string { return filepath.Join(s.dir, pid) }

// entries lists a process's checkpoint files (renamed-aside ones too),
// ascending by ordinal; a missing directory is an empty list. temps are the
// temporary files found.
func (s *Store) entries(pid string) (files []entry, temps []string, err error) {
	des, err := os.ReadDir(s.procDir(pid))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: list %s: %w", pid, err)
	}
	for _, de := range des {
		if strings.HasPrefix(de.Name(), tempPrefix) {
			temps = append(temps, de.Name())
			continue
		}
		if e, ok := parseName(de.Name()); ok && de.Type().IsRegular() {
			files = append(files, e)
		}
	}
	slices.SortStableFunc(files, func(a, b entry) int {
		if a.ordinal != b.ordinal {
			if a.ordinal < b.ordinal {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	return files, temps, nil
}

// Write stores a checkpoint of m.Process: encode writes the state (in
// vm.State.Encode's form, e.g. vm.Instance.EncodeState) and returns its
// hash, which must equal m.StateHash (else ErrHashMismatch and nothing is
// written). The file appears atomically (see the package doc), replacing
// one of the same ordinal and nonce. Then the process's checkpoints beyond
// the Keep newest, renamed-aside files older than those, and temporary files
// left by a crash are deleted; a failure there is logged, not returned.
//
// Write is safe to call concurrently for different processes; calls for one
// process must be serialised by the caller. Call it at clean points only,
// never on a crash or error path: a checkpoint is a promise that the state
// is exactly the process after Meta's evaluation.
//
// A zero m.StateHash is filled with the hash encode returns (the state is
// then hashed once, by the encoding).
func (s *Store) Write(ctx context.Context, m Meta, encode func(io.Writer) ([32]byte, error)) error {
	pid := m.Process
	if err := checkPID(pid); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("checkpoint: write %s: %w", pid, err)
	}
	header, err := appendHeader(nil, m)
	if err != nil {
		return fmt.Errorf("checkpoint: write %s: %w", pid, err)
	}
	dir := s.procDir(pid)
	if err := s.ensureDir(dir); err != nil {
		return fmt.Errorf("checkpoint: write %s: %w", pid, err)
	}
	_, temps, err := s.entries(pid)
	if err != nil {
		return err
	}
	for _, t := range temps {
		// A previous Write of this process was cut short (the caller
		// serialises Writes per process, so none is running now).
		if err := os.Remove(filepath.Join(dir, t)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("cannot remove a leftover temporary checkpoint", "process", pid, "file", t, "err", err)
		}
	}
	name := fileName(m.Ordinal, m.Nonce)
	// A zero StateHash means "the hash encode returns": the header is
	// written with a placeholder of the same length and rewritten once the
	// state is encoded, so the state is hashed once, not twice.
	var finalHeader func([32]byte) ([]byte, error)
	if m.StateHash == ([32]byte{}) {
		finalHeader = func(h [32]byte) ([]byte, error) {
			m2 := m
			m2.StateHash = h
			return appendHeader(nil, m2)
		}
		m.StateHash = placeholderHash
		if header, err = appendHeader(nil, m); err != nil {
			return fmt.Errorf("checkpoint: write %s: %w", pid, err)
		}
	}
	if err := s.writeFile(ctx, dir, name, header, m.StateHash, encode, finalHeader); err != nil {
		return fmt.Errorf("checkpoint: write %s/%s: %w", pid, name, err)
	}
	s.prune(pid)
	return nil
}

// ensureDir creates dir if missing, syncing its parent so that the new
// directory entry is durable too.
func (s *Store) ensureDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return syncDir(s.dir)
}

// placeholderHash stands for the state hash in a header written before
// the state (Meta.StateHash zero); any 32 non-zero bytes keep the
// header's length.
var placeholderHash = [32]byte{0: 1}

func (s *Store) writeFile(ctx context.Context, dir, name string, header []byte, want [32]byte,
	encode func(io.Writer) ([32]byte, error), finalHeader func([32]byte) ([]byte, error)) (err error) {
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if _, err := bw.Write(header); err != nil {
		return err
	}
	got, err := encode(bw)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	switch {
	case finalHeader != nil:
		h, err := finalHeader(got)
		if err != nil {
			return err
		}
		if len(h) != len(header) {
			return fmt.Errorf("checkpoint: header length changed from %d to %d", len(header), len(h))
		}
		if _, err := f.WriteAt(h, 0); err != nil {
			return err
		}
	case got != want:
		return fmt.Errorf("%w: encoded %x, metadata says %x", ErrHashMismatch, got, want)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	closed = true
	if err := f.Close(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	// NB: the rename is durable only once the directory is synced; until
	// then a crash may leave the old name set (the temporary file), which
	// the next Write deletes.
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}

// prune deletes the checkpoints beyond the Keep newest and renamed-aside
// files older than the oldest kept.
func (s *Store) prune(pid string) {
	files, _, err := s.entries(pid)
	if err != nil {
		s.log.Warn("cannot prune checkpoints", "process", pid, "err", err)
		return
	}
	var good []entry
	for _, e := range files {
		if !e.corrupt {
			good = append(good, e)
		}
	}
	var remove []entry
	if len(good) > s.keep {
		remove = append(remove, good[:len(good)-s.keep]...)
		good = good[len(good)-s.keep:]
	}
	for _, e := range files {
		if e.corrupt && (len(good) > 0 && e.ordinal < good[0].ordinal) {
			remove = append(remove, e)
		}
	}
	for _, e := range remove {
		if err := os.Remove(filepath.Join(s.procDir(pid), e.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("cannot prune a checkpoint", "process", pid, "file", e.name, "err", err)
		}
	}
}

// errSkipped: the filter refused a checkpoint.
var errSkipped = errors.New("checkpoint: skipped by the filter")

// Latest returns the newest checkpoint of pid that before accepts (nil
// accepts any), with its state decoded and verified: the header's checksum,
// the state's own hashes, and the state's hash against Meta.StateHash.
// before sees only the metadata, newest first, so a refused checkpoint
// costs no state decoding.
//
// A damaged checkpoint is skipped, logged at Warn and renamed aside (see the
// package doc), and the next older one is tried. Latest returns an error
// wrapping ErrNotFound when no checkpoint is left, and the error of the file
// system when reading fails for another reason than the file's content.
//
// The caller still checks that the state fits its module (vm's Instantiate
// does).
func (s *Store) Latest(ctx context.Context, pid string, before func(Meta) bool) (Meta, *vm.State, error) {
	if err := checkPID(pid); err != nil {
		return Meta{}, nil, err
	}
	files, _, err := s.entries(pid)
	if err != nil {
		return Meta{}, nil, err
	}
	for i := len(files) - 1; i >= 0; i-- {
		e := files[i]
		if e.corrupt {
			continue
		}
		if err := ctx.Err(); err != nil {
			return Meta{}, nil, fmt.Errorf("checkpoint: latest of %s: %w", pid, err)
		}
		m, st, err := s.read(pid, e, before, true)
		switch {
		case err == nil:
			return m, st, nil
		case errors.Is(err, errSkipped), errors.Is(err, fs.ErrNotExist):
		case errors.Is(err, errCorrupt):
			s.quarantine(pid, e.name, err)
		default:
			return Meta{}, nil, fmt.Errorf("checkpoint: read %s/%s: %w", pid, e.name, err)
		}
	}
	return Meta{}, nil, fmt.Errorf("%w: process %s", ErrNotFound, pid)
}

// read reads one checkpoint file: its header, then (withState) its state.
// Errors wrap errCorrupt when the content is at fault, errSkipped when
// before refuses it.
func (s *Store) read(pid string, e entry, before func(Meta) bool, withState bool) (Meta, *vm.State, error) {
	f, err := os.Open(filepath.Join(s.procDir(pid), e.name))
	if err != nil {
		return Meta{}, nil, err
	}
	defer f.Close()
	src := &ioErrReader{r: f}
	br := bufio.NewReaderSize(src, 1<<20)
	m, err := readHeader(br)
	if err != nil {
		if src.err != nil {
			return Meta{}, nil, src.err
		}
		return Meta{}, nil, err
	}
	if m.Process != pid || m.Ordinal != e.ordinal || m.Nonce != e.nonce {
		return Meta{}, nil, fmt.Errorf("%w: header says process %s ordinal %d nonce %d", errCorrupt, m.Process, m.Ordinal, m.Nonce)
	}
	if before != nil && !before(m) {
		return Meta{}, nil, errSkipped
	}
	if !withState {
		return m, nil, nil
	}
	st, err := vm.DecodeState(br)
	if src.err != nil {
		return Meta{}, nil, src.err
	}
	if err != nil {
		return Meta{}, nil, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	if h := st.Hash(); h != m.StateHash {
		return Meta{}, nil, fmt.Errorf("%w: state hash %x, header says %x", errCorrupt, h, m.StateHash)
	}
	return m, st, nil
}

// ioErrReader remembers the first read error that is not io.EOF, so that a
// failing disk is told apart from a damaged file.
type ioErrReader struct {
	r   io.Reader
	err error
}

func (r *ioErrReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// quarantine renames a damaged checkpoint aside (deleting it if that
// fails).
func (s *Store) quarantine(pid, name string, why error) {
	path := filepath.Join(s.procDir(pid), name)
	s.log.Warn("skipping a damaged checkpoint", "process", pid, "file", name, "err", why)
	if err := os.Rename(path, path+corruptExt); err != nil {
		s.log.Warn("cannot rename a damaged checkpoint aside; deleting it", "process", pid, "file", name, "err", err)
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("cannot delete a damaged checkpoint", "process", pid, "file", name, "err", err)
		}
	}
}

// List returns the metadata of pid's checkpoints, oldest first (by
// ordinal). It reads headers only: a file whose header does not verify is
// left out (and logged), but states are not checked; Latest does that.
// A process without checkpoints has an empty list.
func (s *Store) List(pid string) ([]Meta, error) {
	if err := checkPID(pid); err != nil {
		return nil, err
	}
	files, _, err := s.entries(pid)
	if err != nil {
		return nil, err
	}
	var out []Meta
	for _, e := range files {
		if e.corrupt {
			continue
		}
		m, _, err := s.read(pid, e, nil, false)
		switch {
		case err == nil:
			out = append(out, m)
		case errors.Is(err, errCorrupt), errors.Is(err, fs.ErrNotExist):
			s.log.Warn("skipping a checkpoint with a damaged header", "process", pid, "file", e.name, "err", err)
		default:
			return nil, fmt.Errorf("checkpoint: read %s/%s: %w", pid, e.name, err)
		}
	}
	return out, nil
}

// DiskUsage returns the bytes of every file under Dir (checkpoints,
// renamed-aside and temporary files).
func (s *Store) DiskUsage() (int64, error) {
	var total int64
	err := filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		total += info.Size()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("checkpoint: disk usage: %w", err)
	}
	return total, nil
}

// Remove deletes every checkpoint of pid (and its directory). Removing a
// process without checkpoints is not an error.
func (s *Store) Remove(pid string) error {
	if err := checkPID(pid); err != nil {
		return err
	}
	if err := os.RemoveAll(s.procDir(pid)); err != nil {
		return fmt.Errorf("checkpoint: remove %s: %w", pid, err)
	}
	if err := syncDir(s.dir); err != nil {
		return fmt.Errorf("checkpoint: remove %s: %w", pid, err)
	}
	return nil
}
