package arweave

import (
	"crypto/sha256"
	"fmt"
)

// SignatureType is the ANS-104 signature type, the first two bytes of a
// data item.
type SignatureType uint16

// The signature types of ANS-104. Only SignatureArweave, SignatureED25519
// and SignatureEthereum can be signed and verified here; the others are
// recognised so that their layout can be parsed and reported.
const (
	SignatureArweave       SignatureType = 1 // RSA-PSS, SHA-256, 4096-bit key
	SignatureED25519       SignatureType = 2
	SignatureEthereum      SignatureType = 3 // secp256k1, EIP-191 personal_sign
	SignatureSolana        SignatureType = 4
	SignatureInjectedAptos SignatureType = 5
	SignatureMultiAptos    SignatureType = 6
	SignatureTypedEthereum SignatureType = 7
)

// String returns the type's name as arbundles spells it.
func (t SignatureType) String() string {
	switch t {
	case SignatureArweave:
		return "arweave"
	case SignatureED25519:
		return "ed25519"
	case SignatureEthereum:
		return "ethereum"
	case SignatureSolana:
		return "solana"
	case SignatureInjectedAptos:
		return "injectedAptos"
	case SignatureMultiAptos:
		return "multiAptos"
	case SignatureTypedEthereum:
		return "typedEthereum"
	}
	return fmt.Sprintf("unknown(%d)", uint16(t))
}

// layout returns the signature and owner lengths of a signature type, as
// arbundles' SIG_CONFIG has them.
func (t SignatureType) layout() (sigLen, ownerLen int, ok bool) {
	switch t {
	case SignatureArweave:
		return 512, 512, true
	case SignatureED25519, SignatureSolana, SignatureInjectedAptos:
		return 64, 32, true
	case SignatureEthereum:
		return 65, 65, true
	case SignatureMultiAptos:
		return 2052, 1025, true
	case SignatureTypedEthereum:
		return 65, 42, true
	}
	return 0, 0, false
}

// Signer signs ANS-104 items. Implementations are safe for concurrent use.
type Signer interface {
	// Type is the signature type this signer produces.
	Type() SignatureType
	// Owner is the public key as it is written in a data item's owner field.
	Owner() []byte
	// Sign signs message (a 48-byte deep hash) and returns the raw
	// signature in the layout of Type.
	Sign(message []byte) ([]byte, error)
}

// Verify checks that signature is a valid signature of message by owner,
// for the given type.
func Verify(t SignatureType, owner, message, signature []byte) error {
	switch t {
	case SignatureArweave:
		return verifyRSA(owner, message, signature)
	case SignatureED25519:
		return verifyED25519(owner, message, signature)
	case SignatureEthereum:
		return verifyEthereum(owner, message, signature)
	}
	return fmt.Errorf("%w: %s", ErrUnsupportedSignatureType, t)
}

// Address returns the address of an owner key as AO reports it (protocol.md
// 1.2): the EIP-55 0x address for Ethereum keys, and b64url(SHA-256(owner))
// for every other type.
func Address(t SignatureType, owner []byte) string {
	if t == SignatureEthereum && len(owner) == 65 {
		if a, err := ethereumAddress(owner); err == nil {
			return a
		}
	}
	return NativeAddress(owner)
}

// NativeAddress is b64url(SHA-256(owner)), the address Arweave and the
// reference SU report for every key type.
func NativeAddress(owner []byte) string {
	h := sha256.Sum256(owner)
	return B64(h[:])
}

// SignerAddress is Address(s.Type(), s.Owner()).
func SignerAddress(s Signer) string { return Address(s.Type(), s.Owner()) }
