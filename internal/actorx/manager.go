package actorx

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// ManagerConfig configures NewManager.
type ManagerConfig struct {
	// Name names the manager in logs (e.g. "sequencers").
	Name string

	// Produce builds the actor for a key. It is called on activation and
	// again after a supervised restart; the new actor must load its state
	// (from a log or a checkpoint), never trust memory of the old one.
	Produce func(key string) actor.Actor

	// Idle passivates an actor that received no message for this long.
	// Zero keeps actors until the manager stops.
	Idle time.Duration

	// MaxRestarts within RestartWindow stops a failing actor instead of
	// restarting it; the next message for its key activates a fresh one.
	// Defaults: 10 within 10 s.
	MaxRestarts   int
	RestartWindow time.Duration

	// Logger receives panics (with their stacks) and lifecycle records.
	Logger *slog.Logger
}

// Busy is implemented by actors that must not be passivated yet (work in
// flight whose completion they still have to observe). A busy actor is
// asked again after another Idle period.
type Busy interface {
	Busy() bool
}

// PrePassivate is implemented by actors that save something before they
// are passivated (a checkpoint): it runs on the actor's goroutine, at a
// quiet point, just before the actor agrees to go. Stopping is no place for
// it: proto.actor also stops an actor that panicked too often.
type PrePassivate interface {
	PrePassivate()
}

// Manager hosts one actor per key as children of a supervising manager
// actor. Messages for a key activate its actor on demand; an idle actor is
// passivated (poisoned, so that messages already in its mailbox are still
// handled) and messages arriving meanwhile are buffered and handed to the
// next activation, so nothing is lost to dead letters.
type Manager struct {
	system *actor.ActorSystem
	pid    *actor.PID
}

// NewManager starts a manager in system.
func NewManager(system *actor.ActorSystem, cfg ManagerConfig) *Manager {
	if cfg.MaxRestarts <= 0 {
		cfg.MaxRestarts = 10
	}
	if cfg.RestartWindow <= 0 {
		cfg.RestartWindow = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Logger = cfg.Logger.With("manager", cfg.Name)
	strategy := actor.NewOneForOneStrategy(cfg.MaxRestarts, cfg.RestartWindow, actor.DefaultDecider)
	props := actor.PropsFromProducer(func() actor.Actor {
		return &manager{cfg: cfg, children: make(map[string]*child), byPID: make(map[string]string)}
	}, actor.WithSupervisor(strategy))
	return &Manager{system: system, pid: system.Root.Spawn(props)}
}

// Send delivers msg to the actor for key, activating it if needed. It
// never blocks; messages for one key are delivered in Send order.
func (m *Manager) Send(key string, msg any) {
	m.system.Root.Send(m.pid, &envelope{key: key, msg: msg})
}

// Stop passivates every actor (each handles the messages already in its
// mailbox first, then its PrePassivate runs) and stops the manager, then
// returns.
func (m *Manager) Stop() {
	done := make(chan struct{})
	m.system.Root.Send(m.pid, &drain{done: done})
	<-done
	_ = m.system.Root.PoisonFuture(m.pid).Wait()
}

// drain passivates every child; done is closed when all have stopped.
type drain struct{ done chan struct{} }

// finalPassivate asks a child to run its PrePassivate (it is poisoned
// right after).
type finalPassivate struct{}

// envelope carries a message for one key through the manager.
type envelope struct {
	key string
	msg any
}

// Passivation messages. The manager finds idle children itself (sweep)
// rather than through proto.actor's ReceiveTimeout, whose timer races
// with the actor's goroutine in the pinned version (a reset of a timer
// being killed can panic inside the mailbox and drop the message being
// handled: with it a PoisonPill, leaving a child that never stops).
type (
	sweep        struct{}
	mayPassivate struct{}                    // manager -> idle child
	passivate    struct{ key, pidID string } // child -> manager: not busy, stop me
)

type child struct {
	pid      *actor.PID
	last     time.Time // when the manager last forwarded a message to it
	asked    time.Time // when the manager last asked it to passivate
	stopping bool
	buffer   []any // messages that arrived while stopping
}

type manager struct {
	cfg       ManagerConfig
	children  map[string]*child
	byPID     map[string]string // child PID id -> key
	stopSweep func()
	draining  chan struct{} // set by drain: closed when no child is left
	drained   bool
}

func (m *manager) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		m.startSweeping(ctx)
	case *actor.Stopping:
		if m.stopSweep != nil {
			m.stopSweep()
		}
	case *envelope:
		c := m.children[msg.key]
		switch {
		case c == nil && m.draining != nil:
			// Stopping: no new activations (the sender's context ends
			// its wait).
		case c == nil:
			m.spawn(ctx, msg.key, []any{msg.msg})
		case c.stopping:
			c.buffer = append(c.buffer, msg.msg)
		default:
			c.last = time.Now()
			ctx.Send(c.pid, msg.msg)
		}
	case *drain:
		if m.draining != nil {
			close(msg.done) // already drained or draining
			return
		}
		m.draining = msg.done
		for _, c := range m.children {
			if !c.stopping {
				c.stopping = true
				ctx.Send(c.pid, finalPassivate{})
				ctx.Poison(c.pid)
			}
		}
		m.checkDrained()
	case sweep:
		now := time.Now()
		for _, c := range m.children {
			// Ask an idle child once per idle period: a slow child must
			// not find several questions (and save several times).
			if !c.stopping && now.Sub(c.last) >= m.cfg.Idle && now.Sub(c.asked) >= m.cfg.Idle {
				c.asked = now
				ctx.Send(c.pid, mayPassivate{})
			}
		}
	case passivate:
		c := m.children[msg.key]
		// A child that got a message since it answered stays; so does a
		// stale answer from an earlier activation.
		if c == nil || c.stopping || c.pid.Id != msg.pidID || time.Since(c.last) < m.cfg.Idle {
			return
		}
		c.stopping = true
		ctx.Poison(c.pid)
	case *actor.Terminated:
		key, ok := m.byPID[msg.Who.Id]
		if !ok {
			return
		}
		delete(m.byPID, msg.Who.Id)
		c := m.children[key]
		delete(m.children, key)
		if c != nil && len(c.buffer) > 0 && m.draining == nil {
			m.spawn(ctx, key, c.buffer)
		}
		m.checkDrained()
	}
}

// checkDrained closes the drain's channel once every child has stopped.
func (m *manager) checkDrained() {
	if m.draining != nil && !m.drained && len(m.children) == 0 {
		m.drained = true
		close(m.draining)
	}
}

func (m *manager) spawn(ctx actor.Context, key string, pending []any) {
	cfg := m.cfg
	props := actor.PropsFromProducer(func() actor.Actor {
		return &passivating{key: key, idle: cfg.Idle, inner: cfg.Produce(key)}
	}, actor.WithReceiverMiddleware(logPanics(cfg.Logger, key)))
	pid := ctx.Spawn(props)
	m.children[key] = &child{pid: pid, last: time.Now()}
	m.byPID[pid.Id] = key
	for _, msg := range pending {
		ctx.Send(pid, msg)
	}
}

// startSweeping looks for idle children every half Idle period.
func (m *manager) startSweeping(ctx actor.Context) {
	if m.cfg.Idle <= 0 {
		return
	}
	self, root := ctx.Self(), ctx.ActorSystem().Root
	done := make(chan struct{})
	m.stopSweep = sync.OnceFunc(func() { close(done) })
	go func() {
		t := time.NewTicker(max(m.cfg.Idle/2, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				root.Send(self, sweep{})
			}
		}
	}()
}

// passivating wraps a child actor: asked whether it may be passivated, it
// agrees unless the inner actor is Busy (then the next sweep asks again).
type passivating struct {
	key   string
	idle  time.Duration
	inner actor.Actor
}

func (p *passivating) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(finalPassivate); ok {
		if pp, ok := p.inner.(PrePassivate); ok {
			pp.PrePassivate()
		}
		return
	}
	if _, ok := ctx.Message().(mayPassivate); ok {
		if b, ok := p.inner.(Busy); ok && b.Busy() {
			return
		}
		if pp, ok := p.inner.(PrePassivate); ok {
			pp.PrePassivate()
		}
		ctx.Send(ctx.Parent(), passivate{key: p.key, pidID: ctx.Self().Id})
		return
	}
	p.inner.Receive(ctx)
}

// logPanics logs a child's panic with its stack before proto.actor's
// supervision (which logs only the reason) restarts the child.
func logPanics(log *slog.Logger, key string) actor.ReceiverMiddleware {
	return func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(ctx actor.ReceiverContext, env *actor.MessageEnvelope) {
			defer func() {
				if r := recover(); r != nil {
					log.Error("actor panicked; restarting it", "key", key,
						"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
					panic(r)
				}
			}()
			next(ctx, env)
		}
	}
}
