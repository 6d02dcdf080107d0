package messenger

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble"
)

// ErrNoDeadLetter: Replay or Drop got a sequence number that names no dead
// letter.
var ErrNoDeadLetter = errors.New("no such dead letter")

// DeadLetters lists the crank jobs that failed for good, oldest first.
func (c *Cranker) DeadLetters() ([]DeadLetter, error) {
	var out []DeadLetter
	err := c.scan([]byte{kFailed}, func(k, v []byte) error {
		d, err := decodeDeadLetter(k, v)
		if err != nil {
			return err
		}
		out = append(out, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("messenger: dead letters: %w", err)
	}
	return out, nil
}

// DeadLetterCount is the number of dead letters.
func (c *Cranker) DeadLetterCount() int { return int(c.dead.Load()) }

func decodeDeadLetter(k, v []byte) (DeadLetter, error) {
	var d struct {
		DeadLetter
		Result json.RawMessage `json:"result,omitempty"`
	}
	if err := json.Unmarshal(v, &d); err != nil {
		return DeadLetter{}, fmt.Errorf("dead letter %x: %w", k, err)
	}
	dl := d.DeadLetter
	dl.Seq = binary.BigEndian.Uint64(k[1:])
	dl.job = job{Process: dl.Process, Message: dl.Message, PushedFor: dl.PushedFor, Result: d.Result}
	return dl, nil
}

// Replay queues dead letter seq again (with a fresh count of attempts).
// The items it signed before it failed were kept, so what was pushed
// already is pushed with the same bytes and taken once.
func (c *Cranker) Replay(seq uint64) error {
	d, err := c.takeDeadLetter(seq, func(b *pebble.Batch, d DeadLetter) {
		jv, _ := json.Marshal(d.job)
		b.Set(c.jobKey(d.Process, c.seq.Add(1)), jv, nil)
	})
	if err != nil {
		return err
	}
	c.jobs.Add(1)
	c.signal(laneOf(d.Process))
	return nil
}

// Drop deletes dead letter seq (and the items it signed).
func (c *Cranker) Drop(seq uint64) error {
	_, err := c.takeDeadLetter(seq, func(b *pebble.Batch, d DeadLetter) {
		prefix := append(append([]byte{kItem}, d.Message...), '/')
		b.DeleteRange(prefix, upper(prefix), nil)
	})
	return err
}

// takeDeadLetter removes dead letter seq, in one synced batch with what
// then adds to it, and returns it.
func (c *Cranker) takeDeadLetter(seq uint64, then func(*pebble.Batch, DeadLetter)) (DeadLetter, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := binary.BigEndian.AppendUint64([]byte{kFailed}, seq)
	v, closer, err := c.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return DeadLetter{}, fmt.Errorf("%w: %d", ErrNoDeadLetter, seq)
	}
	if err != nil {
		return DeadLetter{}, fmt.Errorf("messenger: dead letter %d: %w", seq, err)
	}
	d, err := decodeDeadLetter(key, v)
	closer.Close()
	if err != nil {
		return DeadLetter{}, fmt.Errorf("messenger: dead letter %d: %w", seq, err)
	}
	b := c.db.NewBatch()
	defer b.Close()
	b.Delete(key, nil)
	then(b, d)
	if err := b.Commit(pebble.Sync); err != nil {
		return DeadLetter{}, fmt.Errorf("messenger: dead letter %d: %w", seq, err)
	}
	c.dead.Add(-1)
	return d, nil
}
