package arweave

import (
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"golang.org/x/crypto/sha3"
)

// EthereumSigner signs with a secp256k1 key (signature type 3) the way
// ethers' personal_sign does: over keccak256("\x19Ethereum Signed
// Message:\n" + len(msg) + msg), signature r || s || v with v = 27 or 28.
type EthereumSigner struct {
	key   *secp256k1.PrivateKey
	owner []byte
}

// NewEthereumSigner wraps a secp256k1 private key.
func NewEthereumSigner(key *secp256k1.PrivateKey) *EthereumSigner {
	return &EthereumSigner{key: key, owner: key.PubKey().SerializeUncompressed()}
}

// Type implements Signer.
func (s *EthereumSigner) Type() SignatureType { return SignatureEthereum }

// Owner implements Signer: the 65-byte uncompressed public key.
func (s *EthereumSigner) Owner() []byte { return s.owner }

// PrivateKey returns the key.
func (s *EthereumSigner) PrivateKey() *secp256k1.PrivateKey { return s.key }

// Sign implements Signer.
func (s *EthereumSigner) Sign(message []byte) ([]byte, error) {
	hash := eip191Hash(message)
	compact := ecdsa.SignCompact(s.key, hash, false) // v || r || s, v = 27 + recovery id
	sig := make([]byte, 65)
	copy(sig, compact[1:])
	sig[64] = compact[0]
	return sig, nil
}

func eip191Hash(message []byte) []byte {
	h := sha3.NewLegacyKeccak256()
	h.Write([]byte("\x19Ethereum Signed Message:\n" + strconv.Itoa(len(message))))
	h.Write(message)
	return h.Sum(nil)
}

func verifyEthereum(owner, message, signature []byte) error {
	pub, err := secp256k1.ParsePubKey(owner)
	if err != nil {
		return fmt.Errorf("%w: ethereum owner: %v", ErrInvalidSignature, err)
	}
	if len(signature) != 65 {
		return fmt.Errorf("%w: ethereum signature is %d bytes", ErrInvalidSignature, len(signature))
	}
	var r, s secp256k1.ModNScalar
	if overflow := r.SetByteSlice(signature[:32]); overflow || r.IsZero() {
		return fmt.Errorf("%w: ethereum signature r out of range", ErrInvalidSignature)
	}
	if overflow := s.SetByteSlice(signature[32:64]); overflow || s.IsZero() {
		return fmt.Errorf("%w: ethereum signature s out of range", ErrInvalidSignature)
	}
	if !ecdsa.NewSignature(&r, &s).Verify(eip191Hash(message), pub) {
		return fmt.Errorf("%w: ethereum", ErrInvalidSignature)
	}
	return nil
}

// ethereumAddress is the EIP-55 checksummed address of an uncompressed
// secp256k1 public key.
func ethereumAddress(owner []byte) (string, error) {
	if len(owner) != 65 || owner[0] != 4 {
		return "", fmt.Errorf("not an uncompressed secp256k1 key")
	}
	h := sha3.NewLegacyKeccak256()
	h.Write(owner[1:])
	lower := hex.EncodeToString(h.Sum(nil)[12:])
	h = sha3.NewLegacyKeccak256()
	h.Write([]byte(lower))
	check := h.Sum(nil)
	out := []byte(lower)
	for i, c := range out {
		nibble := check[i/2]
		if i%2 == 0 {
			nibble >>= 4
		}
		if c >= 'a' && nibble&0xf >= 8 {
			out[i] = c - 32
		}
	}
	return "0x" + string(out), nil
}
