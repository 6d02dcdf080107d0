package ao

import (
	"crypto/sha256"
	"fmt"

	"github.com/aogo-dev/aogo/arweave"
)

// HashChainSeed is the Hash-Chain of a process's first assignment:
// b64url(SHA-256(raw process id)) (protocol.md 4.6).
func HashChainSeed(processID string) (string, error) {
	pid, err := arweave.DecodeID(processID)
	if err != nil {
		return "", fmt.Errorf("ao: hash chain seed: process id: %w", err)
	}
	h := sha256.Sum256(pid)
	return arweave.B64(h[:]), nil
}

// NextHashChain is the Hash-Chain of the assignment that follows one with
// id prevAssignmentID and chain prevHashChain:
// b64url(SHA-256(raw(prevAssignmentID) || raw(prevHashChain))) (protocol.md 4.6).
// Both inputs must decode to 32 bytes.
func NextHashChain(prevAssignmentID, prevHashChain string) (string, error) {
	id, err := arweave.DecodeID(prevAssignmentID)
	if err != nil {
		return "", fmt.Errorf("ao: hash chain: previous assignment id: %w", err)
	}
	chain, err := arweave.DecodeID(prevHashChain)
	if err != nil {
		return "", fmt.Errorf("ao: hash chain: previous hash chain: %w", err)
	}
	h := sha256.New()
	h.Write(id)
	h.Write(chain)
	return arweave.B64(h.Sum(nil)), nil
}
