package arweave

import (
	"crypto/ed25519"
	"fmt"
)

// ED25519Signer signs with an ed25519 key (signature type 2).
type ED25519Signer struct {
	key ed25519.PrivateKey
}

// NewED25519Signer wraps an ed25519 private key.
func NewED25519Signer(key ed25519.PrivateKey) (*ED25519Signer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: ed25519 key is %d bytes, want %d", ErrInvalidWallet, len(key), ed25519.PrivateKeySize)
	}
	return &ED25519Signer{key: key}, nil
}

// Type implements Signer.
func (s *ED25519Signer) Type() SignatureType { return SignatureED25519 }

// Owner implements Signer: the 32-byte public key.
func (s *ED25519Signer) Owner() []byte { return s.key.Public().(ed25519.PublicKey) }

// PrivateKey returns the key.
func (s *ED25519Signer) PrivateKey() ed25519.PrivateKey { return s.key }

// Sign implements Signer.
func (s *ED25519Signer) Sign(message []byte) ([]byte, error) {
	return ed25519.Sign(s.key, message), nil
}

func verifyED25519(owner, message, signature []byte) error {
	if len(owner) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: ed25519 owner is %d bytes", ErrInvalidSignature, len(owner))
	}
	if !ed25519.Verify(owner, message, signature) {
		return fmt.Errorf("%w: ed25519", ErrInvalidSignature)
	}
	return nil
}
