// Package pebbleslog sends pebble's log records to a log/slog logger:
// routine ones (WAL replays, flushes, compactions) at Debug, so a node is
// quiet by default, errors at Error. A fatal record panics, as pebble
// expects of its Logger.
package pebbleslog

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/cockroachdb/pebble"
)

// Logger adapts l to pebble's Logger. name prefixes the panic message of
// a fatal error (the package that opened the database).
type Logger struct {
	l    *slog.Logger
	name string
}

// New returns a Logger for pebble.Options.Logger.
func New(l *slog.Logger, name string) Logger {
	return Logger{l: l.With("source", "pebble"), name: name}
}

// Infof logs a routine record at Debug.
func (p Logger) Infof(format string, args ...any) {
	if p.l.Enabled(context.Background(), slog.LevelDebug) {
		p.l.Debug(fmt.Sprintf(format, args...))
	}
}

// Errorf logs an error.
func (p Logger) Errorf(format string, args ...any) { p.l.Error(fmt.Sprintf(format, args...)) }

// Fatalf logs an unrecoverable error and panics.
func (p Logger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Error(msg)
	panic(fmt.Errorf("%s: pebble fatal error: %s", p.name, msg))
}

// Options sets opts' Logger and an EventListener that logs through it
// (background errors at Error, slow disks at Warn).
func Options(opts *pebble.Options, l *slog.Logger, name string) {
	logger := New(l, name)
	listener := pebble.MakeLoggingEventListener(logger)
	listener.BackgroundError = func(err error) { logger.l.Error("pebble background error", "err", err) }
	listener.DiskSlow = func(info pebble.DiskSlowInfo) { logger.l.Warn("slow disk", "info", info.String()) }
	opts.Logger = logger
	opts.EventListener = &listener
}
