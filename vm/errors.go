package vm

import "errors"

// Errors returned by Load and Instantiate. They are wrapped with context;
// test with errors.Is.
var (
	// ErrUnsupportedFormat: the Module-Format is not one the vm runs.
	ErrUnsupportedFormat = errors.New("unsupported module format")
	// ErrBadModule: the binary is not a module of its format (not wasm,
	// missing exports, imports the vm does not provide).
	ErrBadModule = errors.New("bad module")
	// ErrLimit: a Memory-Limit or Compute-Limit is missing, malformed or
	// above the node's maximum.
	ErrLimit = errors.New("bad limit")
	// ErrBadState: a snapshot is corrupt, for another format or module, or
	// larger than the instance's memory limit.
	ErrBadState = errors.New("bad state")
	// ErrInterrupted: the evaluation was stopped by its context (a safety
	// valve, not a result): nothing was committed and it can be retried.
	ErrInterrupted = errors.New("evaluation interrupted")
	// ErrUnavailable: the evaluation needs something this node cannot give
	// now (a WeaveDrive file its store does not hold yet): nothing was
	// committed and it can be retried.
	ErrUnavailable = errors.New("evaluation needs data that is unavailable")
	// ErrFileRefused: a Drive refuses a file in a way the process must see
	// as a failed message (the reference halts the evaluation), not as a
	// missing file.
	ErrFileRefused = errors.New("file refused")
	// ErrClosed: the instance or runtime was closed.
	ErrClosed = errors.New("closed")
)
