package arweave

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
)

// maxSaltSigner signs like Node's crypto.sign: RSA-PSS with the largest
// salt the key allows (rsa.PSSSaltLengthAuto means that when signing).
type maxSaltSigner struct{ *RSASigner }

func (s *maxSaltSigner) Sign(message []byte) ([]byte, error) {
	d := sha256.Sum256(message)
	return rsa.SignPSS(rand.Reader, s.key, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto, Hash: crypto.SHA256})
}
