// Package actorx is aogo's glue around proto.actor: an actor system that
// logs through the node's slog handler (quietly), and a Manager that hosts
// one actor per key (a process id), activates it on demand, passivates it
// when idle and supervises it.
//
// It is the only package that knows proto.actor's lifecycle details; units
// (the scheduler's sequencers, the runtime's process actors) write plain
// actor.Actor values and talk to them through a Manager.
package actorx

import (
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
)

// NewSystem returns an actor system whose library log lines go to logger
// at Warn and above, tagged lib=protoactor. proto.actor's default logger
// writes INFO lines to stderr; a nil logger discards them all.
func NewSystem(logger *slog.Logger) *actor.ActorSystem {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	lib := slog.New(minLevel{logger.Handler(), slog.LevelWarn}).With("lib", "protoactor")
	return actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return lib }))
}
