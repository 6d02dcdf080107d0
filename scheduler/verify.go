package scheduler

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/internal/ao"
)

// ProblemKind names what VerifyProcess found wrong.
type ProblemKind string

// The problems VerifyProcess reports.
const (
	// ProblemProcessMissing: the store does not hold the Process item.
	ProblemProcessMissing ProblemKind = "process-missing"
	// ProblemDuplicateListing: the store lists one assignment id more
	// than once (it was stored twice, e.g. in two bundles).
	ProblemDuplicateListing ProblemKind = "duplicate-listing"
	// ProblemMalformed: an assignment is unreadable, or a tag is missing
	// or not in the SU's format (protocol.md 4.5).
	ProblemMalformed ProblemKind = "malformed"
	// ProblemNonceGap: nonces are missing between 0 and the last one.
	ProblemNonceGap ProblemKind = "nonce-gap"
	// ProblemNonceDuplicate: two assignments have the same nonce.
	ProblemNonceDuplicate ProblemKind = "nonce-duplicate"
	// ProblemEpoch: an Epoch other than 0.
	ProblemEpoch ProblemKind = "epoch"
	// ProblemTimestamp: a Timestamp not above the previous assignment's.
	ProblemTimestamp ProblemKind = "timestamp"
	// ProblemBlockHeight: a Block-Height below the previous assignment's.
	ProblemBlockHeight ProblemKind = "block-height"
	// ProblemHashChain: a Hash-Chain that does not follow from the
	// previous assignment (or, for nonce 0, from the process id).
	ProblemHashChain ProblemKind = "hash-chain"
	// ProblemSignature: an assignment whose signature does not verify.
	ProblemSignature ProblemKind = "signature"
	// ProblemOwner: an assignment signed by another wallet than the SU's.
	ProblemOwner ProblemKind = "owner"
	// ProblemMessageMissing: the store does not hold the Message an
	// assignment names.
	ProblemMessageMissing ProblemKind = "message-missing"
	// ProblemMessageTarget: a message stored right after its assignment
	// (so scheduled with it) is not a Message to the process.
	ProblemMessageTarget ProblemKind = "message-target"
)

// VerifyProblem is one thing VerifyProcess found wrong.
type VerifyProblem struct {
	Kind ProblemKind `json:"kind"`
	// Nonce is the nonce of the assignment concerned, -1 when the problem
	// is not about one assignment (or its nonce is unreadable).
	Nonce int64 `json:"nonce"`
	// ID is the item concerned (an assignment, a message or the process).
	ID     string `json:"id,omitempty"`
	Detail string `json:"detail"`
}

// String renders the problem on one line.
func (p VerifyProblem) String() string {
	s := string(p.Kind)
	if p.Nonce >= 0 {
		s = fmt.Sprintf("nonce %d: %s", p.Nonce, s)
	}
	if p.ID != "" {
		s += " " + p.ID
	}
	return s + ": " + p.Detail
}

// VerifyReport is what VerifyProcess found.
type VerifyReport struct {
	Process string `json:"process"`
	// ProcessFound reports whether the store holds the Process item.
	ProcessFound bool `json:"process_found"`
	// Scheduler is the SU address every assignment must be signed by: the
	// process's Scheduler tag, or when the process item is missing, the
	// signer of the assignment with the lowest nonce.
	Scheduler string `json:"scheduler,omitempty"`
	// Assignments counts distinct assignment items the store lists.
	Assignments int `json:"assignments"`
	// LastNonce is the highest nonce seen, -1 when none.
	LastNonce int64 `json:"last_nonce"`
	// Messages counts the messages (or assigned transactions) named by
	// the assignments that the store holds.
	Messages int `json:"messages"`
	// TargetsChecked counts the messages stored right after their
	// assignment in its bundle, whose Type and target were checked.
	TargetsChecked int `json:"targets_checked"`
	// Problems lists everything found wrong, in nonce order after the
	// problems of the process and of the listing.
	Problems []VerifyProblem `json:"problems"`
}

// OK reports whether no problem was found.
func (r *VerifyReport) OK() bool { return len(r.Problems) == 0 }

func (r *VerifyReport) add(kind ProblemKind, nonce int64, id, format string, args ...any) {
	r.Problems = append(r.Problems, VerifyProblem{Kind: kind, Nonce: nonce, ID: id, Detail: fmt.Sprintf(format, args...)})
}

// verifyPageSize is the page size of the assignment query (arlocal
// answers at most 100 per page).
const verifyPageSize = 100

// blockHeightFormat is how the SU writes Block-Height (protocol.md 4.5).
var blockHeightFormat = regexp.MustCompile(`^[0-9]{12}$`)

// VerifyProcess checks the log of process pid as the store alone holds
// it, the way a CU or an auditor who does not trust the SU would. It finds
// the assignments with a transactions query (tags Type=Assignment and
// Process=pid, every page), reads each with Store.Item, orders them by
// Nonce and checks:
//
//   - the nonces are 0..n-1, without gaps or duplicates;
//   - every Epoch is 0;
//   - Timestamps strictly increase with the nonce (the process item has no
//     timestamp, so the first one is not compared with anything);
//   - every Block-Height has 12 digits and they never decrease;
//   - every Hash-Chain link (protocol.md 4.6): the seed of pid for nonce
//     0, then NextHashChain(previous assignment id, previous chain);
//   - every signature verifies, and one wallet signed them all: the
//     process's Scheduler tag, when the process item is in the store;
//   - the Message each assignment names is in the store.
//
// An assignment of an existing transaction (POST /?assign=) names a
// transaction that may be a message to another process, and the
// assignment alone does not say which entries are such assignments. So
// the message's Type and target are checked only for a message that
// directly follows its assignment in the bundle the store reports the
// assignment in: that is how the Uploader (and the reference SU's
// bundles, protocol.md 1.5) store a message scheduled to the process,
// while an assignment-only entry is followed by the next record's first
// item, an assignment or a process. Such a message must be Type=Message
// with target pid. Other messages only have to exist. Stores that do not
// report bundles (arlocal), and logs uploaded as separate items (the
// reference SU's uploads), get no target check.
//
// The assignment of a process itself (AOP-6 boot loader, nonce 0) has no
// Message tag and is accepted as such.
//
// Every problem is reported (the walk does not stop at the first); the
// error is only for failures to read the store.
func VerifyProcess(ctx context.Context, store arweave.Store, pid string) (*VerifyReport, error) {
	r := &VerifyReport{Process: pid, LastNonce: -1, Problems: []VerifyProblem{}}
	switch ptx, err := store.Transaction(ctx, pid); {
	case arweave.IsNotFound(err):
		r.add(ProblemProcessMissing, -1, pid, "the store does not hold the process item")
	case err != nil:
		return nil, fmt.Errorf("scheduler: verify %s: read the process: %w", pid, err)
	default:
		r.ProcessFound = true
		r.Scheduler = ptx.Tags.Value("Scheduler")
	}

	nodes, err := listAssignments(ctx, store, pid, r)
	if err != nil {
		return nil, err
	}
	var asgs []*storedAssignment
	for _, n := range nodes {
		a, err := readAssignment(ctx, store, pid, n, r)
		if err != nil {
			return nil, err
		}
		if a != nil {
			asgs = append(asgs, a)
		}
	}
	r.Assignments = len(nodes)
	slices.SortFunc(asgs, func(a, b *storedAssignment) int {
		return cmp.Or(cmp.Compare(a.nonce, b.nonce), cmp.Compare(a.id, b.id))
	})
	if len(asgs) > 0 {
		r.LastNonce = asgs[len(asgs)-1].nonce
		if r.Scheduler == "" {
			r.Scheduler = asgs[0].owner
		}
	}
	checkSequence(pid, asgs, r)
	bundles := &bundleIndex{store: store, next: make(map[string]map[string]string)}
	for _, a := range asgs {
		if err := checkMessage(ctx, store, bundles, pid, a, r); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(r.Problems, func(a, b VerifyProblem) int { return cmp.Compare(a.Nonce, b.Nonce) })
	return r, nil
}

// storedAssignment is an assignment read back from the store.
type storedAssignment struct {
	id        string
	node      *arweave.Transaction
	nonce     int64
	owner     string
	epoch     string
	chain     string
	height    string
	timestamp int64 // -1 when unreadable
	message   string
}

// listAssignments returns the distinct assignments the store lists for
// pid, reporting ids listed more than once.
func listAssignments(ctx context.Context, store arweave.Store, pid string, r *VerifyReport) ([]*arweave.Transaction, error) {
	q := arweave.TxQuery{
		Tags: []arweave.TagFilter{
			{Name: "Type", Values: []string{"Assignment"}},
			{Name: "Process", Values: []string{pid}},
		},
		First: verifyPageSize,
		Sort:  arweave.HeightAsc,
	}
	seen := make(map[string]int)
	var nodes []*arweave.Transaction
	for {
		page, err := store.Query(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("scheduler: verify %s: query the assignments: %w", pid, err)
		}
		for _, e := range page.Edges {
			seen[e.Node.ID]++
			if seen[e.Node.ID] == 1 {
				nodes = append(nodes, e.Node)
			}
		}
		if !page.HasNextPage || len(page.Edges) == 0 {
			break
		}
		q.After = page.Edges[len(page.Edges)-1].Cursor
	}
	for _, n := range nodes {
		if c := seen[n.ID]; c > 1 {
			r.add(ProblemDuplicateListing, -1, n.ID, "the store lists this assignment %d times", c)
		}
	}
	return nodes, nil
}

// readAssignment reads one assignment and checks its signature and tags.
// It returns nil (and reports why) when the assignment has no usable
// nonce, so that it cannot take part in the sequence checks.
func readAssignment(ctx context.Context, store arweave.Store, pid string, n *arweave.Transaction, r *VerifyReport) (*storedAssignment, error) {
	a := &storedAssignment{id: n.ID, node: n, nonce: -1, timestamp: -1}
	tags := n.Tags
	a.owner = n.OwnerAddress
	item, err := store.Item(ctx, n.ID)
	switch {
	case err == nil:
		tags = item.Tags
		a.owner = item.OwnerAddress()
		if err := item.Verify(); err != nil {
			r.add(ProblemSignature, -1, n.ID, "%v", err)
		}
	case arweave.IsNotFound(err):
		r.add(ProblemMalformed, -1, n.ID, "the store lists the assignment but cannot return it")
	case errors.Is(err, arweave.ErrInvalidSignature):
		r.add(ProblemSignature, -1, n.ID, "%v", err)
	case errors.Is(err, arweave.ErrMalformed):
		r.add(ProblemMalformed, -1, n.ID, "%v", err)
	default:
		return nil, fmt.Errorf("scheduler: verify %s: read assignment %s: %w", pid, n.ID, err)
	}

	s, ok := tags.Get("Nonce")
	nonce, err := strconv.ParseInt(s, 10, 64)
	if !ok || err != nil || nonce < 0 || strconv.FormatInt(nonce, 10) != s {
		r.add(ProblemMalformed, -1, n.ID, "bad Nonce %q", s)
		return nil, nil
	}
	a.nonce = nonce
	// Problems found before the nonce was known get it now.
	for i := range r.Problems {
		if p := &r.Problems[i]; p.ID == n.ID && p.Nonce < 0 {
			p.Nonce = nonce
		}
	}
	if t := tags.Value("Type"); t != "Assignment" {
		r.add(ProblemMalformed, nonce, n.ID, "Type is %q, not Assignment", t)
	}
	if p := tags.Value("Process"); p != pid {
		r.add(ProblemMalformed, nonce, n.ID, "Process is %q", p)
	}
	a.epoch = tags.Value("Epoch")
	a.chain = tags.Value("Hash-Chain")
	a.height = tags.Value("Block-Height")
	a.message = tags.Value("Message")
	if ts, err := strconv.ParseInt(tags.Value("Timestamp"), 10, 64); err == nil && ts >= 0 {
		a.timestamp = ts
	} else {
		r.add(ProblemMalformed, nonce, n.ID, "bad Timestamp %q", tags.Value("Timestamp"))
	}
	if !blockHeightFormat.MatchString(a.height) {
		r.add(ProblemBlockHeight, nonce, n.ID, "Block-Height %q is not 12 digits", a.height)
	}
	if a.epoch != "0" {
		r.add(ProblemEpoch, nonce, n.ID, "Epoch is %q, not 0", a.epoch)
	}
	return a, nil
}

// checkSequence checks nonces, owners, timestamps, heights and the hash
// chain of asgs, sorted by nonce.
func checkSequence(pid string, asgs []*storedAssignment, r *VerifyReport) {
	seed, err := ao.HashChainSeed(pid)
	if err != nil {
		r.add(ProblemHashChain, -1, pid, "no hash chain seed: %v", err)
	}
	var prev []*storedAssignment // the assignments of the previous nonce present
	// The newest Timestamp and Block-Height of earlier nonces. Duplicates
	// of one nonce are compared with earlier nonces, not with each other.
	var lastTS, lastHeight *storedAssignment
	expect := int64(0)
	for i := 0; i < len(asgs); {
		j := i
		for j < len(asgs) && asgs[j].nonce == asgs[i].nonce {
			j++
		}
		group, nonce := asgs[i:j], asgs[i].nonce
		if nonce > expect {
			r.add(ProblemNonceGap, nonce, "", "%s missing", nonceRange(expect, nonce-1))
		}
		if len(group) > 1 {
			ids := make([]string, len(group))
			for k, a := range group {
				ids[k] = a.id
			}
			r.add(ProblemNonceDuplicate, nonce, "", "%d assignments have this nonce: %v", len(group), ids)
		}
		groupTS, groupHeight := lastTS, lastHeight
		for _, a := range group {
			if a.owner != r.Scheduler {
				r.add(ProblemOwner, nonce, a.id, "signed by %s, not the scheduler %s", a.owner, r.Scheduler)
			}
			checkLink(a, seed, prev, r)
			if a.timestamp >= 0 {
				if lastTS != nil && a.timestamp <= lastTS.timestamp {
					r.add(ProblemTimestamp, nonce, a.id, "Timestamp %d is not after %d (nonce %d)", a.timestamp, lastTS.timestamp, lastTS.nonce)
				}
				if groupTS == nil || a.timestamp > groupTS.timestamp {
					groupTS = a
				}
			}
			if blockHeightFormat.MatchString(a.height) {
				// 12 digits each: string order is numeric order.
				if lastHeight != nil && a.height < lastHeight.height {
					r.add(ProblemBlockHeight, nonce, a.id, "Block-Height %s is below %s (nonce %d)", a.height, lastHeight.height, lastHeight.nonce)
				}
				if groupHeight == nil || a.height > groupHeight.height {
					groupHeight = a
				}
			}
		}
		lastTS, lastHeight = groupTS, groupHeight
		prev, expect = group, nonce+1
		i = j
	}
}

// checkLink checks a's Hash-Chain: for nonce 0 against the seed, else
// against the assignments of the previous nonce (any of them, when there
// are duplicates). After a gap (prev is not of nonce-1) the link cannot be
// checked; the gap is reported.
func checkLink(a *storedAssignment, seed string, prev []*storedAssignment, r *VerifyReport) {
	if a.nonce == 0 {
		if seed != "" && a.chain != seed {
			r.add(ProblemHashChain, a.nonce, a.id, "Hash-Chain %q is not the seed %s of the process", a.chain, seed)
		}
		return
	}
	if len(prev) == 0 || prev[0].nonce != a.nonce-1 {
		return
	}
	var want []string
	for _, p := range prev {
		next, err := ao.NextHashChain(p.id, p.chain)
		if err != nil {
			continue // p's own link is reported
		}
		if next == a.chain {
			return
		}
		want = append(want, next)
	}
	if len(want) == 0 {
		r.add(ProblemHashChain, a.nonce, a.id, "cannot be checked: the previous assignment's Hash-Chain %q is unreadable", prev[0].chain)
		return
	}
	r.add(ProblemHashChain, a.nonce, a.id, "Hash-Chain %q does not follow nonce %d (want %s)", a.chain, a.nonce-1, want[0])
}

func nonceRange(from, to int64) string {
	if from == to {
		return fmt.Sprintf("nonce %d is", from)
	}
	return fmt.Sprintf("nonces %d-%d are", from, to)
}

// checkMessage checks that the store holds a's message and, when it is
// stored right after a in a's bundle, that it is a Message to pid.
func checkMessage(ctx context.Context, store arweave.Store, bundles *bundleIndex, pid string, a *storedAssignment, r *VerifyReport) error {
	if a.message == "" {
		if a.nonce != 0 {
			r.add(ProblemMalformed, a.nonce, a.id, "no Message tag (only a process's own assignment, nonce 0, has none)")
		}
		return nil
	}
	tx, err := store.Transaction(ctx, a.message)
	switch {
	case arweave.IsNotFound(err):
		r.add(ProblemMessageMissing, a.nonce, a.message, "the store does not hold the message of assignment %s", a.id)
		return nil
	case err != nil:
		return fmt.Errorf("scheduler: verify %s: read message %s: %w", pid, a.message, err)
	}
	r.Messages++
	next, err := bundles.after(ctx, a.node.BundledIn, a.id)
	if err != nil {
		return fmt.Errorf("scheduler: verify %s: %w", pid, err)
	}
	if next != a.message {
		return nil // perhaps an assigned transaction: existing is enough
	}
	r.TargetsChecked++
	if typ := tx.Tags.Value("Type"); typ != "Message" || tx.Target != pid {
		r.add(ProblemMessageTarget, a.nonce, a.message, "scheduled with assignment %s but is Type %q to %q, not a Message to the process", a.id, typ, tx.Target)
	}
	return nil
}

// bundleIndex reads bundles' headers to tell which item follows which.
type bundleIndex struct {
	store arweave.Store
	next  map[string]map[string]string // bundle id -> item id -> next item id
}

// after returns the id of the item after id in bundle, or "" when id is
// last, the bundle is unknown ("" or not held) or not a readable bundle.
func (b *bundleIndex) after(ctx context.Context, bundle, id string) (string, error) {
	if bundle == "" {
		return "", nil
	}
	m, ok := b.next[bundle]
	if !ok {
		data, err := b.store.Data(ctx, bundle)
		switch {
		case arweave.IsNotFound(err):
		case err != nil:
			return "", fmt.Errorf("read bundle %s: %w", bundle, err)
		default:
			ids := bundleItemIDs(data)
			m = make(map[string]string, len(ids))
			for i := 1; i < len(ids); i++ {
				m[ids[i-1]] = ids[i]
			}
		}
		b.next[bundle] = m
	}
	return m[id], nil
}

// bundleItemIDs reads the item ids from the headers of an ANS-104 bundle
// (protocol.md 1.5), or returns nil if b is not one.
func bundleItemIDs(b []byte) []string {
	if len(b) < bundleHeaderBytes {
		return nil
	}
	for _, c := range b[8:bundleHeaderBytes] {
		if c != 0 {
			return nil
		}
	}
	n := binary.LittleEndian.Uint64(b[:8])
	if n > uint64((len(b)-bundleHeaderBytes)/bundleItemHeaderBytes) {
		return nil
	}
	ids := make([]string, n)
	for i := range ids {
		h := b[bundleHeaderBytes+bundleItemHeaderBytes*i:]
		ids[i] = arweave.B64(h[32:64])
	}
	return ids
}
