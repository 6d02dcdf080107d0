package arweave

import (
	"crypto/ed25519"
	"fmt"
	"sync"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// DefaultVerifierKeys is the number of ed25519 keys a Verifier made with
// NewVerifier(0) keeps decompressed.
const DefaultVerifierKeys = 4096

// Verifier verifies data items like (*DataItem).Verify, and remembers the
// decompressed form of the ed25519 keys it has recently seen, which makes
// the next verification of an item by the same signer about 20% cheaper.
// AO traffic repeats signers a lot (a messenger unit signs every message
// it pushes), so the units' edges verify through one Verifier each.
//
// A Verifier is safe for concurrent use. Its cache is bounded: when full it
// is emptied and refills with the keys seen next.
type Verifier struct {
	max int
	mu  struct {
		sync.Mutex
		keys map[[ed25519.PublicKeySize]byte]*voi.ExpandedPublicKey
	}
}

// NewVerifier returns a verifier that keeps up to maxKeys ed25519 keys
// (DefaultVerifierKeys if maxKeys <= 0).
func NewVerifier(maxKeys int) *Verifier {
	if maxKeys <= 0 {
		maxKeys = DefaultVerifierKeys
	}
	v := &Verifier{max: maxKeys}
	v.mu.keys = make(map[[ed25519.PublicKeySize]byte]*voi.ExpandedPublicKey)
	return v
}

// Verify checks the item's signature; it accepts and rejects exactly what
// (*DataItem).Verify does.
func (v *Verifier) Verify(d *DataItem) error {
	if d.SignatureType != SignatureED25519 || len(d.Owner) != ed25519.PublicKeySize {
		return d.Verify()
	}
	key, err := v.expanded(d.Owner)
	if err != nil {
		return fmt.Errorf("data item %s: %w: ed25519 owner: %v", d.ID(), ErrInvalidSignature, err)
	}
	if !voi.VerifyExpandedWithOptions(key, d.SignatureData(), d.Signature, stdlibVerify) {
		return fmt.Errorf("data item %s: %w: ed25519", d.ID(), ErrInvalidSignature)
	}
	return nil
}

func (v *Verifier) expanded(owner []byte) (*voi.ExpandedPublicKey, error) {
	var k [ed25519.PublicKeySize]byte
	copy(k[:], owner)
	v.mu.Lock()
	key, ok := v.mu.keys[k]
	v.mu.Unlock()
	if ok {
		return key, nil
	}
	key, err := voi.NewExpandedPublicKey(voi.PublicKey(owner))
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	if len(v.mu.keys) >= v.max {
		clear(v.mu.keys)
	}
	v.mu.keys[k] = key
	v.mu.Unlock()
	return key, nil
}
