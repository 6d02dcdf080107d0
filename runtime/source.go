package runtime

import (
	"context"
	"errors"
	"sync"

	"github.com/aogo-dev/aogo/messenger"
	"github.com/aogo-dev/aogo/runtime/cu"
	"github.com/aogo-dev/aogo/scheduler"
)

// routedSource is the CU's source in a node with its own SU and MU: the
// node's SU for its processes, and for a process of another scheduler that
// SU's HTTP API, located as the MU locates it (its Scheduler tag, then the
// Scheduler-Location record). So the node computes, and its MU cranks, a
// message the MU pushed to another scheduler's process, as a reference
// MU and CU do.
type routedSource struct {
	local  *scheduler.Scheduler
	router *messenger.Router

	mu      sync.Mutex
	readers map[string]*cu.HTTPSource // SU URL -> its reader
}

var (
	_ cu.Source        = (*routedSource)(nil)
	_ cu.ProcessSealer = (*routedSource)(nil)
)

func newRoutedSource(local *scheduler.Scheduler, router *messenger.Router) *routedSource {
	s := &routedSource{local: local, router: router, readers: map[string]*cu.HTTPSource{}}
	router.ReadRemote(func(url string) messenger.SUReader { return s.reader(url) })
	return s
}

// reader is the (shared) reader of the SU at url.
func (s *routedSource) reader(url string) *cu.HTTPSource {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.readers[url]
	if !ok {
		r = &cu.HTTPSource{URL: url}
		s.readers[url] = r
	}
	return r
}

// of is the source of process pid: the local SU if it holds pid, else the
// SU the router locates.
func (s *routedSource) of(ctx context.Context, pid string) (cu.Source, error) {
	_, err := s.local.Process(ctx, pid)
	if !errors.Is(err, scheduler.ErrUnknownProcess) {
		return s.local, nil // ours (or a read error the local SU reports again)
	}
	url, lerr := s.router.Locate(ctx, pid)
	if lerr != nil {
		return nil, errors.Join(err, lerr)
	}
	return s.reader(url), nil
}

func (s *routedSource) Process(ctx context.Context, pid string) (*scheduler.Process, error) {
	src, err := s.of(ctx, pid)
	if err != nil {
		return nil, err
	}
	return src.Process(ctx, pid)
}

func (s *routedSource) Entries(ctx context.Context, pid string, r scheduler.Range) ([]*scheduler.Entry, bool, error) {
	src, err := s.of(ctx, pid)
	if err != nil {
		return nil, false, err
	}
	return src.Entries(ctx, pid, r)
}

func (s *routedSource) Find(ctx context.Context, pid, id string) (*scheduler.Entry, error) {
	src, err := s.of(ctx, pid)
	if err != nil {
		return nil, err
	}
	return src.Find(ctx, pid, id)
}

// Seal is the local SU's seal.
func (s *routedSource) Seal(ctx context.Context) (int64, int64, error) { return s.local.Seal(ctx) }

// SealOf is the seal of pid's SU.
func (s *routedSource) SealOf(ctx context.Context, pid string) (int64, int64, error) {
	src, err := s.of(ctx, pid)
	if err != nil {
		return 0, 0, err
	}
	return src.Seal(ctx)
}
