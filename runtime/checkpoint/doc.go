// Package checkpoint is the local-disk tier of process checkpoints
// (distribution.md 3.5, tier 1): a process's state after some evaluation,
// with the metadata needed to resume replay of its SU log from there.
// Like everything a CU holds, a checkpoint is a cache of the SU log: losing
// one costs replay time, never correctness, so a damaged file is skipped,
// not repaired.
//
// # Layout
//
//	<Dir>/<pid>/<ordinal, 20 digits>-<nonce>.ckpt   a checkpoint
//	<Dir>/<pid>/<same>.ckpt.corrupt                 one Latest found damaged
//	<Dir>/<pid>/.tmp-*                              a Write in progress (or cut by a crash)
//
// The newest checkpoint is the one with the largest ordinal (evaluations so
// far, messages and cron ticks), which the 20-digit zero padding makes the
// last name in directory order too.
//
// # File format
//
//	magic "AOGOCKPT" | version byte (1) | uvarint n | n bytes of Meta (protobuf,
//	internal/checkpointpb) | CRC-32C (Castagnoli, big-endian) of all the
//	preceding bytes | the state in vm.State.Encode's form, to the end of the file
//
// The header has its own checksum because the state's integrity hashes do
// not cover the metadata (a flipped nonce would otherwise resume replay at
// the wrong message). The state bytes are checked by vm.DecodeState, and
// their StateHash against the header's.
//
// # Durability
//
// Write makes a checkpoint appear whole or not at all: it writes a
// temporary file in the process's directory, fsyncs it, renames it to its
// final name and fsyncs the directory. A crash leaves at most a temporary
// file, which readers never look at and the process's next Write (or
// Remove) deletes.
//
// # Damaged files
//
// Latest skips a checkpoint whose header or state does not verify (flipped
// bytes, truncation, garbage), logs it at Warn and renames it aside to
// "<name>.corrupt" so that it is neither read again nor lost for diagnosis.
// Renamed-aside files are deleted by a later Write once they are older than
// every checkpoint kept (so they take at most the retention window's
// space), or by Remove. Read errors of the file system itself (EIO,
// permissions) are not treated as damage: Latest returns them.
//
// # Concurrency
//
// A Store is safe for concurrent use by different processes. Calls for one
// process must be serialised by the caller (its process actor does that):
// a Write prunes and cleans the process's directory, which a concurrent
// Write or Latest of the same process would race with.
//
// # Usage
//
// The caller decides when to checkpoint: at clean points only (every N
// evaluations or T seconds, at passivation), never on a crash or error path.
//
//	err := store.Write(ctx, checkpoint.Meta{Process: pid, ..., StateHash: h, Ordinal: n}, inst.EncodeState)
//
//	meta, state, err := store.Latest(ctx, pid, func(m checkpoint.Meta) bool { return m.Nonce <= target })
//	if errors.Is(err, checkpoint.ErrNotFound) { /* cold start */ }
package checkpoint
