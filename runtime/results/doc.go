// Package results is the CU's result store: the result of every evaluation
// of a process (scheduled messages and cron ticks), in evaluation order, in
// a pebble database on local disk.
//
// Results are a cache of the SU log (they can always be recomputed), so
// writes are not synced: a crash may lose the newest batches, which the CU
// evaluates again. It never exposes a torn record: each Put is one pebble
// batch, applied atomically (the WAL drops a batch cut by a crash whole),
// and a record and its message index are in the same batch.
//
// # Order
//
// A process's records sort by Key, the reference CU's evaluation order:
// timestamp, then ordinate (the message's nonce; for a cron tick the nonce
// of the last scheduled message before it), then cron (-1 for the message,
// which comes before the ticks that follow it at its timestamp; then the
// ticks by cron index). Keys are encoded big-endian with the sign bit
// flipped, so that byte order is numeric order, -1 included.
//
// # Layout
//
//	'r' len(pid) pid ts ordinate cron   -> resultpb.Record (protobuf)
//	'm' len(pid) pid messageID          -> ts ordinate cron (of the message's record)
//
// # Cursors (protocol.md 6.1)
//
// The reference CU (permaweb/ao servers/cu/src/domain/utils.js,
// evaluationToCursor and maybeParseCursor, read at commit ff178d5) makes a
// cursor as btoa(JSON.stringify({timestamp, ordinate, cron, sort})) from an
// evaluation row read back from its database, where (verified in
// effects/ao-evaluation.js and domain/model.js):
//   - timestamp is a JSON number (ms);
//   - ordinate is a JSON string (the column is TEXT, the schema
//     z.coerce.string()), e.g. "3";
//   - cron is the cron id string, "<i>-<interval>" such as "0-10-seconds",
//     for a tick, and JSON null for a scheduled message (the column is NULL
//     and the schema nullish keeps null);
//   - sort is "ASC" or "DESC", the sort of the request that made it;
//   - keys in that order, no spaces, standard base64 with padding.
//
// EncodeCursor writes exactly that. Its cron value is
// "<Key.Cron>-<interval>", with the interval taken from Record.CronID.
// That is the reference's id whenever a process's crons are all time-based
// or all block-based; for a process with both kinds, the reference numbers
// each kind from 0 while Key.Cron numbers them together (block crons
// first), and aogo's cursor carries its own index so that it parses back to
// the exact Key. ParseBound reads the number before the first '-' as
// Key.Cron; so a reference CU's cursor parses exactly too, except for the
// time crons of a process that also has block crons.
//
// ParseBound also accepts, as the reference does, a timestamp and ordinate
// given as JSON numbers or strings, a missing or null cron (a scheduled
// message: Cron -1), base64 without padding, and a value that is not a
// cursor: a plain decimal timestamp (see ParseBound for what it bounds).
//
// # Bounds and direction
//
// Query.From is exclusive and Query.To inclusive, both in the direction of
// the page: ascending, From is the lower bound; descending, From is the
// upper bound. So the cursor of a page's last record, passed as the next
// From with the same sort, continues exactly where the page ended, in
// either direction. For ascending pages this is the reference's behaviour.
// The reference treats from and to as lower and upper bounds whatever the
// sort (its id > from AND id <= to), so that, descending, from=<cursor of a
// page's last record> returns the first page again; aogo does not copy that.
package results
