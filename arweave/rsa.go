package arweave

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"math/big"
)

// RSAKeyBits is the size of Arweave RSA keys.
const RSAKeyBits = 4096

// RSASigner signs with an Arweave RSA key (signature type 1): RSA-PSS with
// SHA-256 and MGF1-SHA-256 over the deep hash, salt length 32 as the
// Arweave JS signers use.
type RSASigner struct {
	key   *rsa.PrivateKey
	owner []byte
}

// NewRSASigner wraps an RSA private key. The key must be 4096 bits with
// public exponent 65537; it is precomputed so signing uses the CRT values.
func NewRSASigner(key *rsa.PrivateKey) (*RSASigner, error) {
	if key.N.BitLen() != RSAKeyBits {
		return nil, fmt.Errorf("%w: RSA key is %d bits, Arweave needs %d", ErrInvalidWallet, key.N.BitLen(), RSAKeyBits)
	}
	if key.E != 65537 {
		return nil, fmt.Errorf("%w: RSA public exponent is %d, Arweave needs 65537", ErrInvalidWallet, key.E)
	}
	if err := key.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidWallet, err)
	}
	key.Precompute()
	return &RSASigner{key: key, owner: leftPad(key.N.Bytes(), RSAKeyBits/8)}, nil
}

// Type implements Signer.
func (s *RSASigner) Type() SignatureType { return SignatureArweave }

// Owner implements Signer: the 512-byte modulus.
func (s *RSASigner) Owner() []byte { return s.owner }

// PrivateKey returns the key, for goar and for writing the wallet file.
func (s *RSASigner) PrivateKey() *rsa.PrivateKey { return s.key }

// Sign implements Signer.
func (s *RSASigner) Sign(message []byte) ([]byte, error) {
	digest := sha256.Sum256(message)
	sig, err := rsa.SignPSS(rand.Reader, s.key, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: 32, Hash: crypto.SHA256})
	if err != nil {
		return nil, fmt.Errorf("arweave: RSA-PSS sign: %w", err)
	}
	return leftPad(sig, RSAKeyBits/8), nil
}

// verifyRSA verifies an RSA-PSS signature with any salt length: Node's
// crypto.sign (aoconnect's default signer) uses the maximum salt and the
// WebCrypto signers use 32.
func verifyRSA(owner, message, signature []byte) error {
	if len(owner) == 0 || len(signature) == 0 {
		return fmt.Errorf("%w: empty RSA owner or signature", ErrInvalidSignature)
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(owner), E: 65537}
	digest := sha256.Sum256(message)
	if err := rsa.VerifyPSS(pub, crypto.SHA256, digest[:], signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto, Hash: crypto.SHA256}); err != nil {
		return fmt.Errorf("%w: RSA-PSS: %v", ErrInvalidSignature, err)
	}
	return nil
}

// leftPad returns b left-padded with zeros to n bytes (big-endian integers
// lose their leading zeros in math/big).
func leftPad(b []byte, n int) []byte {
	if len(b) >= n {
		return b
	}
	out := make([]byte, n)
	copy(out[n-len(b):], b)
	return out
}
