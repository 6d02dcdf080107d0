package arweave

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
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

// verifyRSA verifies an RSA-PSS signature (SHA-256, MGF1-SHA-256, e =
// 65537) with any salt length: Node's crypto.sign (aoconnect's default
// signer) uses the maximum salt and the WebCrypto signers use 32.
//
// # Why not rsa.VerifyPSS?
//
// crypto/rsa does the public-key operation with constant-time arithmetic
// and rebuilds a Montgomery modulus on every call; for a 4096-bit key that
// costs about twice math/big's variable-time exponentiation, and a public
// operation has no secret to protect. Verification is the hot path of every
// unit's edge, so the RFC 8017 section 9.1.2 check is done here on top of
// math/big. TestVerifyRSAMatchesStdlib checks it against crypto/rsa.
func verifyRSA(owner, message, signature []byte) error {
	if len(owner) == 0 || len(signature) != len(owner) {
		return fmt.Errorf("%w: RSA signature is %d bytes for a %d-byte key", ErrInvalidSignature, len(signature), len(owner))
	}
	n := new(big.Int).SetBytes(owner)
	s := new(big.Int).SetBytes(signature)
	if n.Sign() == 0 || s.Cmp(n) >= 0 {
		return fmt.Errorf("%w: RSA signature out of range", ErrInvalidSignature)
	}
	m := s.Exp(s, rsaPublicExponent, n)
	modBits := n.BitLen()
	emBits := modBits - 1
	emLen := (emBits + 7) / 8
	if m.BitLen() > emLen*8 {
		return fmt.Errorf("%w: RSA-PSS: message representative too long", ErrInvalidSignature)
	}
	digest := sha256.Sum256(message)
	if !emsaPSSVerify(digest[:], m.FillBytes(make([]byte, emLen)), emBits) {
		return fmt.Errorf("%w: RSA-PSS", ErrInvalidSignature)
	}
	return nil
}

var rsaPublicExponent = big.NewInt(65537)

// emsaPSSVerify is EMSA-PSS-VERIFY (RFC 8017 9.1.2) with SHA-256 and
// MGF1-SHA-256, accepting any salt length.
func emsaPSSVerify(mHash, em []byte, emBits int) bool {
	const hLen = sha256.Size
	emLen := len(em)
	if emLen < hLen+2 || em[emLen-1] != 0xbc {
		return false
	}
	db := append([]byte(nil), em[:emLen-hLen-1]...)
	h := em[emLen-hLen-1 : emLen-1]
	unused := uint(8*emLen - emBits) // leftmost bits that must be zero
	if db[0]&^(0xff>>unused) != 0 {
		return false
	}
	mgf1XOR(db, h)
	db[0] &= 0xff >> unused
	i := 0
	for i < len(db) && db[i] == 0 {
		i++
	}
	if i == len(db) || db[i] != 0x01 {
		return false
	}
	salt := db[i+1:]
	d := sha256.New()
	d.Write(make([]byte, 8))
	d.Write(mHash)
	d.Write(salt)
	return subtle.ConstantTimeCompare(d.Sum(nil), h) == 1
}

// mgf1XOR xors out with MGF1-SHA-256(seed).
func mgf1XOR(out, seed []byte) {
	var counter [4]byte
	done := 0
	for done < len(out) {
		d := sha256.New()
		d.Write(seed)
		d.Write(counter[:])
		for _, b := range d.Sum(nil) {
			if done == len(out) {
				break
			}
			out[done] ^= b
			done++
		}
		for j := 3; j >= 0; j-- {
			counter[j]++
			if counter[j] != 0 {
				break
			}
		}
	}
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
