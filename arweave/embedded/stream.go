package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/cockroachdb/pebble"
)

// direction is the scan order of sequence numbers.
type direction int

const (
	ascending direction = iota
	descending
)

// before reports whether a comes before b in scan order.
func (d direction) before(a, b uint64) bool {
	if d == ascending {
		return a < b
	}
	return a > b
}

// stream is a sequence of (seq, id) pairs in scan order, without repeats.
// Every query is a tree of streams: leaves (index ranges), unions (the
// values of one filter) and an intersection (the filters).
type stream interface {
	// seek moves to the first entry at or after target in scan order and
	// reports whether there is one. Targets never move backwards.
	seek(target uint64) bool
	// next moves to the following entry and reports whether there is one.
	next() bool
	// seq and id are the current entry; id is valid until the next move.
	seq() uint64
	id() []byte
	// err is the error that ended the stream, if any.
	err() error
	close()
}

// leaf streams the index keys prefix||seq||id with lo <= seq <= hi.
type leaf struct {
	it     *pebble.Iterator
	prefix []byte
	dir    direction
	valid  bool
	cur    uint64
	curID  []byte
	e      error
}

func seqKey(prefix []byte, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(slices.Clip(prefix), seq)
}

func newLeaf(r pebble.Reader, prefix []byte, dir direction, lo, hi uint64) (*leaf, error) {
	it, err := r.NewIter(&pebble.IterOptions{
		LowerBound: seqKey(prefix, lo),
		UpperBound: seqKey(prefix, hi+1), // hi <= maxSeq
	})
	if err != nil {
		return nil, err
	}
	return &leaf{it: it, prefix: prefix, dir: dir}, nil
}

func (l *leaf) seek(t uint64) bool {
	if l.valid && !l.dir.before(l.cur, t) {
		return true // already there: leapfrogging often asks
	}
	if l.dir == ascending {
		return l.load(l.it.SeekGE(seqKey(l.prefix, t)))
	}
	if t >= maxSeq {
		return l.load(l.it.Last())
	}
	return l.load(l.it.SeekLT(seqKey(l.prefix, t+1)))
}

func (l *leaf) next() bool {
	if l.dir == ascending {
		return l.load(l.it.Next())
	}
	return l.load(l.it.Prev())
}

func (l *leaf) load(ok bool) bool {
	l.valid = false
	if !ok {
		l.e = l.it.Error()
		return false
	}
	k := l.it.Key()
	if len(k) != len(l.prefix)+tailLen {
		l.e = fmt.Errorf("%w: index key %x under prefix %x", ErrCorrupt, k, l.prefix)
		return false
	}
	l.cur, l.curID = binary.BigEndian.Uint64(k[len(l.prefix):]), k[len(l.prefix)+8:]
	l.valid = true
	return true
}

func (l *leaf) seq() uint64 { return l.cur }
func (l *leaf) id() []byte  { return l.curID }
func (l *leaf) err() error  { return l.e }
func (l *leaf) close()      { l.it.Close() }

// union streams the entries of any of its children, once each.
type union struct {
	dir  direction
	c    []stream
	live []bool
	best int // index of the child holding the current entry
	e    error
}

func (u *union) seek(t uint64) bool {
	if u.live == nil {
		u.live = make([]bool, len(u.c))
		for i := range u.live {
			u.live[i] = true
		}
	}
	for i, c := range u.c {
		if !u.live[i] {
			continue // exhausted: targets never move backwards
		}
		u.live[i] = c.seek(t)
		if !u.live[i] && c.err() != nil {
			u.e = c.err()
			return false
		}
	}
	return u.pick()
}

func (u *union) next() bool {
	cur := u.c[u.best].seq()
	for i, c := range u.c {
		if u.live[i] && c.seq() == cur {
			u.live[i] = c.next()
			if !u.live[i] && c.err() != nil {
				u.e = c.err()
				return false
			}
		}
	}
	return u.pick()
}

func (u *union) pick() bool {
	u.best = -1
	for i, c := range u.c {
		if u.live[i] && (u.best < 0 || u.dir.before(c.seq(), u.c[u.best].seq())) {
			u.best = i
		}
	}
	return u.best >= 0
}

func (u *union) seq() uint64 { return u.c[u.best].seq() }
func (u *union) id() []byte  { return u.c[u.best].id() }
func (u *union) err() error  { return u.e }
func (u *union) close() {
	for _, c := range u.c {
		c.close()
	}
}

// intersection streams the entries all of its children hold, leapfrogging:
// every child seeks to the furthest child's entry until they agree, so the
// sparsest child sets the pace.
type intersection struct {
	dir direction
	c   []stream
	e   error
}

func (x *intersection) seek(t uint64) bool {
	for _, c := range x.c {
		if !c.seek(t) {
			x.e = c.err()
			return false
		}
	}
	return x.align()
}

func (x *intersection) next() bool {
	if !x.c[0].next() {
		x.e = x.c[0].err()
		return false
	}
	return x.align()
}

func (x *intersection) align() bool {
	for {
		t := x.c[0].seq()
		for _, c := range x.c[1:] {
			if x.dir.before(t, c.seq()) {
				t = c.seq()
			}
		}
		agree := true
		for _, c := range x.c {
			if c.seq() == t {
				continue
			}
			agree = false
			if !c.seek(t) {
				x.e = c.err()
				return false
			}
		}
		if agree {
			return true
		}
	}
}

func (x *intersection) seq() uint64 { return x.c[0].seq() }
func (x *intersection) id() []byte  { return x.c[0].id() }
func (x *intersection) err() error  { return x.e }
func (x *intersection) close() {
	for _, c := range x.c {
		c.close()
	}
}

// idStream streams the items of an IDs filter, looked up directly.
type idStream struct {
	ents []idEntry
	dir  direction
	i    int
}

type idEntry struct {
	seq uint64
	id  []byte
}

func newIDStream(r pebble.Reader, ids []string, dir direction, lo, hi uint64) (*idStream, error) {
	s := &idStream{dir: dir}
	for _, id := range dedupe(ids) {
		raw, err := arweave.DecodeID(id)
		if err != nil {
			continue // not an id: matches nothing
		}
		rec, err := readItemRecord(r, raw)
		if errors.Is(err, arweave.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if rec.seq >= lo && rec.seq <= hi {
			s.ents = append(s.ents, idEntry{rec.seq, raw})
		}
	}
	slices.SortFunc(s.ents, func(a, b idEntry) int {
		switch {
		case dir.before(a.seq, b.seq):
			return -1
		case dir.before(b.seq, a.seq):
			return 1
		}
		return 0
	})
	return s, nil
}

func (s *idStream) seek(t uint64) bool {
	s.i = sort.Search(len(s.ents), func(i int) bool { return !s.dir.before(s.ents[i].seq, t) })
	return s.i < len(s.ents)
}

func (s *idStream) next() bool {
	s.i++
	return s.i < len(s.ents)
}

func (s *idStream) seq() uint64 { return s.ents[s.i].seq }
func (s *idStream) id() []byte  { return s.ents[s.i].id }
func (s *idStream) err() error  { return nil }
func (s *idStream) close()      {}
