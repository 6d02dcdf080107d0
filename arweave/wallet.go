package arweave

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// A wallet file is a JSON Web Key (RFC 7517) for all three key types:
//
//   - RSA (signature type 1): {"kty":"RSA","n","e","d","p","q","dp","dq","qi"},
//     the Arweave wallet format. The CRT values are kept: without them RSA
//     signing is about ten times slower.
//   - ed25519 (type 2): {"kty":"OKP","crv":"Ed25519","x","d"} as RFC 8037
//     defines it; d is the 32-byte seed, x the public key.
//   - secp256k1 (type 3): {"kty":"EC","crv":"secp256k1","x","y","d"} as
//     RFC 8812 defines it.
//
// All values are unpadded base64url.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	D   string `json:"d,omitempty"`
	P   string `json:"p,omitempty"`
	Q   string `json:"q,omitempty"`
	DP  string `json:"dp,omitempty"`
	DQ  string `json:"dq,omitempty"`
	QI  string `json:"qi,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

// GenerateWallet creates a new key of the given signature type.
func GenerateWallet(t SignatureType) (Signer, error) {
	switch t {
	case SignatureArweave:
		key, err := rsa.GenerateKey(rand.Reader, RSAKeyBits)
		if err != nil {
			return nil, fmt.Errorf("arweave: generate RSA key: %w", err)
		}
		return NewRSASigner(key)
	case SignatureED25519:
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("arweave: generate ed25519 key: %w", err)
		}
		return NewED25519Signer(key)
	case SignatureEthereum:
		key, err := secp256k1.GeneratePrivateKey()
		if err != nil {
			return nil, fmt.Errorf("arweave: generate secp256k1 key: %w", err)
		}
		return NewEthereumSigner(key), nil
	}
	return nil, fmt.Errorf("%w: %s", ErrUnsupportedSignatureType, t)
}

// ParseSignatureType reads a key type name as the CLI takes it: "rsa" (or
// "arweave"), "ed25519", "ethereum" (or "secp256k1").
func ParseSignatureType(name string) (SignatureType, error) {
	switch name {
	case "rsa", "arweave", "1":
		return SignatureArweave, nil
	case "ed25519", "2":
		return SignatureED25519, nil
	case "ethereum", "secp256k1", "3":
		return SignatureEthereum, nil
	}
	return 0, fmt.Errorf("%w: %q (want rsa, ed25519 or ethereum)", ErrUnsupportedSignatureType, name)
}

// LoadWallet reads a wallet file (see ParseWallet).
func LoadWallet(path string) (Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("arweave: read wallet: %w", err)
	}
	s, err := ParseWallet(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ParseWallet parses a JWK wallet of any of the three supported key types.
func ParseWallet(b []byte) (Signer, error) {
	var k jwk
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("%w: not JSON: %v", ErrInvalidWallet, err)
	}
	switch {
	case k.Kty == "RSA":
		return parseRSAJWK(k)
	case k.Kty == "OKP" && k.Crv == "Ed25519":
		seed, err := jwkBytes("d", k.D)
		if err != nil {
			return nil, err
		}
		if len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("%w: ed25519 d is %d bytes, want %d", ErrInvalidWallet, len(seed), ed25519.SeedSize)
		}
		s, err := NewED25519Signer(ed25519.NewKeyFromSeed(seed))
		if err != nil {
			return nil, err
		}
		if k.X != "" && k.X != B64(s.Owner()) {
			return nil, fmt.Errorf("%w: ed25519 x does not match d", ErrInvalidWallet)
		}
		return s, nil
	case k.Kty == "EC" && k.Crv == "secp256k1":
		d, err := jwkBytes("d", k.D)
		if err != nil {
			return nil, err
		}
		if len(d) != 32 {
			return nil, fmt.Errorf("%w: secp256k1 d is %d bytes, want 32", ErrInvalidWallet, len(d))
		}
		s := NewEthereumSigner(secp256k1.PrivKeyFromBytes(d))
		if k.X != "" && k.X != B64(s.Owner()[1:33]) {
			return nil, fmt.Errorf("%w: secp256k1 x does not match d", ErrInvalidWallet)
		}
		return s, nil
	}
	return nil, fmt.Errorf("%w: unsupported JWK kty=%q crv=%q", ErrInvalidWallet, k.Kty, k.Crv)
}

func parseRSAJWK(k jwk) (Signer, error) {
	ints := map[string]*big.Int{}
	for _, f := range []struct{ name, val string }{
		{"n", k.N}, {"e", k.E}, {"d", k.D}, {"p", k.P}, {"q", k.Q}, {"dp", k.DP}, {"dq", k.DQ}, {"qi", k.QI},
	} {
		b, err := jwkBytes(f.name, f.val)
		if err != nil {
			return nil, err
		}
		ints[f.name] = new(big.Int).SetBytes(b)
	}
	if !ints["e"].IsInt64() {
		return nil, fmt.Errorf("%w: RSA e is too large", ErrInvalidWallet)
	}
	key := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: ints["n"], E: int(ints["e"].Int64())},
		D:         ints["d"],
		Primes:    []*big.Int{ints["p"], ints["q"]},
	}
	s, err := NewRSASigner(key) // validates, then recomputes the CRT values
	if err != nil {
		return nil, err
	}
	if key.Precomputed.Dp.Cmp(ints["dp"]) != 0 || key.Precomputed.Dq.Cmp(ints["dq"]) != 0 || key.Precomputed.Qinv.Cmp(ints["qi"]) != 0 {
		return nil, fmt.Errorf("%w: RSA CRT values do not match the key", ErrInvalidWallet)
	}
	return s, nil
}

func jwkBytes(name, v string) ([]byte, error) {
	if v == "" {
		return nil, fmt.Errorf("%w: JWK field %q is missing", ErrInvalidWallet, name)
	}
	b, err := DecodeB64(v)
	if err != nil {
		return nil, fmt.Errorf("%w: JWK field %q: %v", ErrInvalidWallet, name, err)
	}
	return b, nil
}

// MarshalWallet writes a signer's key as a JWK (see ParseWallet).
func MarshalWallet(s Signer) ([]byte, error) {
	var k jwk
	switch s := s.(type) {
	case *RSASigner:
		key := s.key
		k = jwk{Kty: "RSA", N: B64(key.N.Bytes()), E: B64(big.NewInt(int64(key.E)).Bytes()), D: B64(key.D.Bytes()),
			P: B64(key.Primes[0].Bytes()), Q: B64(key.Primes[1].Bytes()),
			DP: B64(key.Precomputed.Dp.Bytes()), DQ: B64(key.Precomputed.Dq.Bytes()), QI: B64(key.Precomputed.Qinv.Bytes())}
	case *ED25519Signer:
		k = jwk{Kty: "OKP", Crv: "Ed25519", X: B64(s.Owner()), D: B64(s.key.Seed())}
	case *EthereumSigner:
		d := s.key.Key.Bytes()
		k = jwk{Kty: "EC", Crv: "secp256k1", X: B64(s.owner[1:33]), Y: B64(s.owner[33:65]), D: B64(d[:])}
	default:
		return nil, fmt.Errorf("%w: cannot write a %T", ErrInvalidWallet, s)
	}
	return json.MarshalIndent(k, "", "  ")
}

// SaveWallet writes a signer's key to path with mode 0600, refusing to
// overwrite an existing file.
func SaveWallet(path string, s Signer) error {
	b, err := MarshalWallet(s)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("arweave: write wallet: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("arweave: write wallet: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("arweave: write wallet: %w", err)
	}
	return f.Close()
}

// LoadOrCreateWallet loads the wallet at path, or creates one of type t
// there (and its directory) if no file exists. Nodes use it for their own
// wallets on first start.
func LoadOrCreateWallet(path string, t SignatureType) (Signer, error) {
	s, err := LoadWallet(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("arweave: create wallet directory: %w", err)
	}
	if s, err = GenerateWallet(t); err != nil {
		return nil, err
	}
	if err := SaveWallet(path, s); err != nil {
		return nil, err
	}
	return s, nil
}
