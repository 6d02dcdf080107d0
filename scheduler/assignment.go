package scheduler

import (
	"crypto/rand"
	"fmt"
	"strconv"

	"github.com/aogo-dev/aogo/arweave"
)

// assignmentFields are what an Assignment item says.
type assignmentFields struct {
	process     string
	epoch       int64
	nonce       int64
	hashChain   string
	blockHeight int64
	timestamp   int64
	message     string   // the message or assigned transaction id
	exclude     []string // Exclude tags (POST /?assign=&exclude=)
}

// FormatBlockHeight renders a height as the SU does: 12 digits, zero-padded.
func FormatBlockHeight(h int64) string { return fmt.Sprintf("%012d", h) }

// buildAssignment signs an Assignment data item with the reference SU's
// tags in the reference's order (protocol.md 4.5): empty target and data,
// a random 32-byte anchor.
func buildAssignment(s arweave.Signer, f assignmentFields) (*arweave.DataItem, error) {
	tags := make([]arweave.Tag, 0, 10+len(f.exclude))
	tags = append(tags,
		arweave.Tag{Name: "Process", Value: f.process},
		arweave.Tag{Name: "Epoch", Value: strconv.FormatInt(f.epoch, 10)},
		arweave.Tag{Name: "Nonce", Value: strconv.FormatInt(f.nonce, 10)},
		arweave.Tag{Name: "Hash-Chain", Value: f.hashChain},
		arweave.Tag{Name: "Block-Height", Value: FormatBlockHeight(f.blockHeight)},
		arweave.Tag{Name: "Timestamp", Value: strconv.FormatInt(f.timestamp, 10)},
		arweave.Tag{Name: "Data-Protocol", Value: "ao"},
		arweave.Tag{Name: "Type", Value: "Assignment"},
		arweave.Tag{Name: "Variant", Value: "ao.TN.1"},
	)
	if f.message != "" {
		tags = append(tags, arweave.Tag{Name: "Message", Value: f.message})
	}
	for _, x := range f.exclude {
		tags = append(tags, arweave.Tag{Name: "Exclude", Value: x})
	}
	anchor := make([]byte, 32)
	if _, err := rand.Read(anchor); err != nil {
		return nil, fmt.Errorf("scheduler: assignment anchor: %w", err)
	}
	item, err := arweave.SignDataItem(s, arweave.ItemOptions{Anchor: string(anchor), Tags: tags})
	if err != nil {
		return nil, fmt.Errorf("scheduler: sign assignment: %w", err)
	}
	return item, nil
}
