package arweave

import (
	"bytes"
	"crypto"
	cryptorand "crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/big"
	mathrand "math/rand/v2"
	"strings"
	"sync"
	"testing"
)

// testSigners generates one signer per supported type, once per test binary
// (RSA-4096 generation takes a second or two).
var testSigners = sync.OnceValue(func() map[SignatureType]Signer {
	out := map[SignatureType]Signer{}
	for _, t := range []SignatureType{SignatureArweave, SignatureED25519, SignatureEthereum} {
		s, err := GenerateWallet(t)
		if err != nil {
			panic(err)
		}
		out[t] = s
	}
	return out
})

func eachSigner(t *testing.T, f func(t *testing.T, s Signer)) {
	for _, typ := range []SignatureType{SignatureArweave, SignatureED25519, SignatureEthereum} {
		t.Run(typ.String(), func(t *testing.T) { f(t, testSigners()[typ]) })
	}
}

func TestSignParseVerifyRoundTrip(t *testing.T) {
	target := B64(bytes.Repeat([]byte{7}, 32))
	cases := []struct {
		name string
		opts ItemOptions
	}{
		{"empty", ItemOptions{}},
		{"data only", ItemOptions{Data: []byte("hello")}},
		{"target and anchor", ItemOptions{Target: target, Anchor: "00000000000000000000000000000007", Data: []byte(" ")}},
		{"tags", ItemOptions{Tags: vectorTags, Data: []byte("{}")}},
		{"everything", ItemOptions{Target: target, Anchor: strings.Repeat("a", 32), Tags: vectorTags, Data: bytes.Repeat([]byte{0, 1, 2}, 1000)}},
	}
	eachSigner(t, func(t *testing.T, s Signer) {
		for _, c := range cases {
			item, err := SignDataItem(s, c.opts)
			if err != nil {
				t.Fatalf("%s: sign: %v", c.name, err)
			}
			parsed, err := ParseDataItem(append([]byte(nil), item.Bytes()...))
			if err != nil {
				t.Fatalf("%s: parse: %v", c.name, err)
			}
			if err := parsed.Verify(); err != nil {
				t.Fatalf("%s: verify: %v", c.name, err)
			}
			if parsed.ID() != item.ID() || len(parsed.ID()) != 43 {
				t.Fatalf("%s: id %q vs %q", c.name, parsed.ID(), item.ID())
			}
			if parsed.TargetID() != c.opts.Target || parsed.AnchorString() != c.opts.Anchor || !bytes.Equal(parsed.Data, c.opts.Data) {
				t.Fatalf("%s: fields changed: target %q anchor %q", c.name, parsed.TargetID(), parsed.AnchorString())
			}
			if len(parsed.Tags) != len(c.opts.Tags) {
				t.Fatalf("%s: %d tags", c.name, len(parsed.Tags))
			}
			if parsed.OwnerAddress() != SignerAddress(s) {
				t.Fatalf("%s: owner address %s vs %s", c.name, parsed.OwnerAddress(), SignerAddress(s))
			}
		}
	})
}

func TestAddresses(t *testing.T) {
	eth := testSigners()[SignatureEthereum]
	a := SignerAddress(eth)
	if !strings.HasPrefix(a, "0x") || len(a) != 42 {
		t.Fatalf("ethereum address %q", a)
	}
	if strings.ToLower(a) == a || strings.ToUpper(a[2:]) == a[2:] {
		t.Logf("address %s has no mixed case (possible but rare)", a)
	}
	if n := NativeAddress(eth.Owner()); len(n) != 43 {
		t.Fatalf("native address %q", n)
	}
	if a := SignerAddress(testSigners()[SignatureArweave]); len(a) != 43 {
		t.Fatalf("RSA address %q", a)
	}
}

// A known EIP-55 vector: the address of private key 1 (the generator).
func TestEthereumAddressVector(t *testing.T) {
	s, err := ParseWallet([]byte(`{"kty":"EC","crv":"secp256k1","d":"` + B64(append(make([]byte, 31), 1)) + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := SignerAddress(s), "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"; got != want {
		t.Fatalf("address %s, want %s", got, want)
	}
}

func TestWalletRoundTrip(t *testing.T) {
	eachSigner(t, func(t *testing.T, s Signer) {
		b, err := MarshalWallet(s)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseWallet(b)
		if err != nil {
			t.Fatal(err)
		}
		if back.Type() != s.Type() || !bytes.Equal(back.Owner(), s.Owner()) {
			t.Fatal("wallet changed in round trip")
		}
		item, err := SignDataItem(back, ItemOptions{Data: []byte("x")})
		if err != nil {
			t.Fatal(err)
		}
		if err := item.Verify(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestWalletRejects(t *testing.T) {
	for name, text := range map[string]string{
		"not json":      `nope`,
		"unknown kty":   `{"kty":"oct"}`,
		"rsa missing n": `{"kty":"RSA","e":"AQAB"}`,
		"short ed25519": `{"kty":"OKP","crv":"Ed25519","d":"AAAA"}`,
		"bad base64":    `{"kty":"EC","crv":"secp256k1","d":"!!!"}`,
	} {
		if _, err := ParseWallet([]byte(text)); !errors.Is(err, ErrInvalidWallet) {
			t.Errorf("%s: err = %v, want ErrInvalidWallet", name, err)
		}
	}
}

// RSA signatures from Node's crypto.sign use the maximum salt length and
// WebCrypto signers use 32: verification must accept both.
func TestRSAVerifyAnySaltLength(t *testing.T) {
	s := testSigners()[SignatureArweave].(*RSASigner)
	item, err := SignDataItem(s, ItemOptions{Data: []byte("salt")})
	if err != nil {
		t.Fatal(err)
	}
	if err := item.Verify(); err != nil {
		t.Fatalf("salt 32: %v", err)
	}
	maxSalt := &maxSaltSigner{s}
	item, err = SignDataItem(maxSalt, ItemOptions{Data: []byte("salt")})
	if err != nil {
		t.Fatal(err)
	}
	if err := item.Verify(); err != nil {
		t.Fatalf("max salt: %v", err)
	}
}

// Bad input: every rejection wraps a sentinel and says what is wrong.
func TestParseRejects(t *testing.T) {
	good, err := SignDataItem(testSigners()[SignatureED25519], ItemOptions{Tags: vectorTags, Data: []byte("data")})
	if err != nil {
		t.Fatal(err)
	}
	g := good.Bytes()
	tagCountAt := 2 + 64 + 32 + 1 + 1
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), g...)) }
	cases := []struct {
		name    string
		in      []byte
		want    error
		message string
	}{
		{"empty", nil, ErrMalformed, "shorter"},
		{"truncated", g[:100], ErrMalformed, "truncated"},
		{"unknown signature type", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint16(b, 99); return b }), ErrUnsupportedSignatureType, "99"},
		{"bad target flag", mutate(func(b []byte) []byte { b[2+64+32] = 5; return b }), ErrMalformed, "target flag"},
		{"tag section over 4096", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[tagCountAt+8:], 5000); return b }), ErrMalformed, "4096"},
		{"tag count mismatch", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[tagCountAt:], 3); return b }), ErrMalformed, "3 tags"},
		{"tag bytes past end", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[tagCountAt+8:], 4000); return b }), ErrMalformed, "truncated"},
		{"too many tags", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[tagCountAt:], 500); return b }), ErrMalformed, "limit"},
	}
	for _, c := range cases {
		_, err := ParseDataItem(c.in)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.message) {
			t.Errorf("%s: err = %v, want %v mentioning %q", c.name, err, c.want, c.message)
		}
	}
	bad := mutate(func(b []byte) []byte { b[10] ^= 1; return b })
	d, err := ParseDataItem(bad)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Verify(); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("flipped signature: %v", err)
	}
	// Changing the data must break the signature too.
	d, _ = ParseDataItem(mutate(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }))
	if err := d.Verify(); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("changed data: %v", err)
	}
}

func TestSignRejects(t *testing.T) {
	s := testSigners()[SignatureED25519]
	long := []Tag{{Name: "Big", Value: strings.Repeat("x", 4100)}}
	if _, err := SignDataItem(s, ItemOptions{Tags: long}); err == nil || !strings.Contains(err.Error(), "4096") {
		t.Fatalf("oversized tags: %v", err)
	}
	if _, err := SignDataItem(s, ItemOptions{Anchor: "short"}); err == nil {
		t.Fatal("short anchor accepted")
	}
	if _, err := SignDataItem(s, ItemOptions{Target: "not-an-id"}); err == nil {
		t.Fatal("bad target accepted")
	}
}

func TestBundleRoundTrip(t *testing.T) {
	var items []*DataItem
	eachSigner(t, func(t *testing.T, s Signer) {
		for i := 0; i < 3; i++ {
			it, err := SignDataItem(s, ItemOptions{Tags: []Tag{{Name: "I", Value: string(rune('a' + i))}}, Data: []byte{byte(i)}})
			if err != nil {
				t.Fatal(err)
			}
			items = append(items, it)
		}
	})
	wrapper, err := SignBundle(testSigners()[SignatureED25519], items)
	if err != nil {
		t.Fatal(err)
	}
	if !IsBundle(wrapper.Tags) {
		t.Fatal("wrapper lacks bundle tags")
	}
	back, err := DecodeBundle(wrapper.Data)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(items) {
		t.Fatalf("%d items", len(back))
	}
	for i := range back {
		if !bytes.Equal(back[i].Bytes(), items[i].Bytes()) {
			t.Fatalf("item %d differs", i)
		}
		if err := back[i].Verify(); err != nil {
			t.Fatal(err)
		}
	}
	for name, b := range map[string][]byte{
		"short":       wrapper.Data[:10],
		"truncated":   wrapper.Data[:len(wrapper.Data)-1],
		"trailing":    append(append([]byte(nil), wrapper.Data...), 0),
		"huge count":  append([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, make([]byte, 24)...),
		"id mismatch": func() []byte { b := append([]byte(nil), wrapper.Data...); b[32+32] ^= 1; return b }(),
	} {
		if _, err := DecodeBundle(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// TestVerifyRSAMatchesStdlib checks the math/big RSA-PSS verifier against
// crypto/rsa on valid signatures of every salt length class and on
// corrupted signatures, messages and keys.
func TestVerifyRSAMatchesStdlib(t *testing.T) {
	s := testSigners()[SignatureArweave].(*RSASigner)
	pub := &s.key.PublicKey
	rng := mathrand.New(mathrand.NewPCG(1, 2))
	for i := 0; i < 60; i++ {
		msg := make([]byte, 48)
		for j := range msg {
			msg[j] = byte(rng.IntN(256))
		}
		salt := []int{0, 20, 32, 100, rsa.PSSSaltLengthAuto}[i%5]
		digest := sha256.Sum256(msg)
		sig, err := rsa.SignPSS(cryptorand.Reader, s.key, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: salt, Hash: crypto.SHA256})
		if err != nil {
			t.Fatal(err)
		}
		owner := s.Owner()
		switch i % 4 {
		case 1:
			sig[rng.IntN(len(sig))] ^= byte(1 + rng.IntN(255))
		case 2:
			msg[rng.IntN(len(msg))] ^= 1
		case 3:
			owner = append([]byte(nil), owner...)
			owner[rng.IntN(len(owner))] ^= 1
		}
		want := rsa.VerifyPSS(&rsa.PublicKey{N: new(big.Int).SetBytes(owner), E: pub.E}, crypto.SHA256, sha256Sum(msg), sig,
			&rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto, Hash: crypto.SHA256}) == nil
		got := verifyRSA(owner, msg, sig) == nil
		if got != want {
			t.Fatalf("case %d (salt %d, mutation %d): ours %v, crypto/rsa %v", i, salt, i%4, got, want)
		}
		if i%4 == 0 && !got {
			t.Fatalf("case %d: a valid signature was rejected", i)
		}
	}
	for _, bad := range [][]byte{nil, make([]byte, 512), bytes.Repeat([]byte{0xff}, 512), make([]byte, 511)} {
		if verifyRSA(s.Owner(), make([]byte, 48), bad) == nil {
			t.Fatalf("accepted a %d-byte junk signature", len(bad))
		}
	}
}

func sha256Sum(b []byte) []byte { h := sha256.Sum256(b); return h[:] }

// TestVerifierAgreesWithVerify: the caching Verifier accepts and rejects
// exactly what (*DataItem).Verify does, for every type, including after
// its cache has been emptied.
func TestVerifierAgreesWithVerify(t *testing.T) {
	v := NewVerifier(2)
	others := []Signer{}
	for i := 0; i < 3; i++ {
		s, err := GenerateWallet(SignatureED25519)
		if err != nil {
			t.Fatal(err)
		}
		others = append(others, s)
	}
	signers := append([]Signer{testSigners()[SignatureArweave], testSigners()[SignatureEthereum]}, others...)
	for round := 0; round < 3; round++ {
		for _, s := range signers {
			item, err := SignDataItem(s, ItemOptions{Tags: vectorTags, Data: []byte{byte(round)}})
			if err != nil {
				t.Fatal(err)
			}
			for _, mutate := range []bool{false, true} {
				b := append([]byte(nil), item.Bytes()...)
				if mutate {
					b[len(b)-1] ^= 1
				}
				d, err := ParseDataItem(b)
				if err != nil {
					t.Fatal(err)
				}
				want, got := d.Verify(), v.Verify(d)
				if (want == nil) != (got == nil) || (got == nil) == mutate {
					t.Fatalf("%s mutated=%v: Verify %v, Verifier %v", s.Type(), mutate, want, got)
				}
				if got != nil && !errors.Is(got, ErrInvalidSignature) {
					t.Fatalf("rejection without sentinel: %v", got)
				}
			}
		}
	}
	if n := len(v.mu.keys); n > 2 {
		t.Fatalf("cache holds %d keys, bound is 2", n)
	}
}
