// Package ao is the pure domain of AO: the rules every unit shares about
// processes, messages and assignments (hash chain, nonces, cron schedules).
// It does no I/O and reads no clock, so everything in it is deterministic
// and testable against the reference vectors of protocol.md.
package ao
