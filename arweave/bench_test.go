package arweave

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
)

// benchItem is a typical AO message: four protocol tags, a target, an
// anchor and a small body.
func benchItem(b *testing.B, s Signer) *DataItem {
	it, err := SignDataItem(s, ItemOptions{
		Target: B64(bytes.Repeat([]byte{9}, 32)), Anchor: "00000000000000000000000000000001",
		Tags: vectorTags, Data: []byte(`{"hello":"world"}`),
	})
	if err != nil {
		b.Fatal(err)
	}
	return it
}

func eachBenchSigner(b *testing.B, f func(b *testing.B, s Signer)) {
	for _, typ := range []SignatureType{SignatureArweave, SignatureED25519, SignatureEthereum} {
		b.Run(typ.String(), func(b *testing.B) { f(b, testSigners()[typ]) })
	}
}

func itemsPerSecond(b *testing.B, perOp int) {
	b.ReportMetric(float64(b.N*perOp)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkVerify measures parse + signature verification of one item, on
// one core (run with -cpu 1 for the per-core figure).
func BenchmarkVerify(b *testing.B) {
	eachBenchSigner(b, func(b *testing.B, s Signer) {
		raw := benchItem(b, s).Bytes()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			d, err := ParseDataItem(raw)
			if err != nil {
				b.Fatal(err)
			}
			if err := d.Verify(); err != nil {
				b.Fatal(err)
			}
		}
		itemsPerSecond(b, 1)
	})
}

// BenchmarkParse measures structural parsing alone (no signature check).
func BenchmarkParse(b *testing.B) {
	raw := benchItem(b, testSigners()[SignatureED25519]).Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for i := 0; i < b.N; i++ {
		if _, err := ParseDataItem(raw); err != nil {
			b.Fatal(err)
		}
	}
	itemsPerSecond(b, 1)
}

// BenchmarkSign measures building and signing one item.
func BenchmarkSign(b *testing.B) {
	eachBenchSigner(b, func(b *testing.B, s Signer) {
		opts := ItemOptions{Tags: vectorTags, Data: []byte(`{"hello":"world"}`)}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := SignDataItem(s, opts); err != nil {
				b.Fatal(err)
			}
		}
		itemsPerSecond(b, 1)
	})
}

// BenchmarkBundle1000 measures assembling a signed bundle of 1,000 items
// and decoding it again.
func BenchmarkBundle1000(b *testing.B) {
	s := testSigners()[SignatureED25519]
	items := make([]*DataItem, 1000)
	for i := range items {
		items[i] = benchItem(b, s)
	}
	b.Run("assemble", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := SignBundle(s, items); err != nil {
				b.Fatal(err)
			}
		}
		itemsPerSecond(b, len(items))
	})
	wrapper, err := SignBundle(s, items)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := DecodeBundle(wrapper.Data); err != nil {
				b.Fatal(err)
			}
		}
		itemsPerSecond(b, len(items))
	})
}

// BenchmarkVerifyBaseline is what BenchmarkVerify is compared with in
// docs/benchmarks.md: the standard library's signature check alone on a
// 48-byte message, without parsing or deep hashing.
func BenchmarkVerifyBaseline(b *testing.B) {
	msg := make([]byte, 48)
	b.Run("arweave-crypto-rsa", func(b *testing.B) {
		s := testSigners()[SignatureArweave].(*RSASigner)
		sig, err := s.Sign(msg)
		if err != nil {
			b.Fatal(err)
		}
		digest := sha256.Sum256(msg)
		opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto, Hash: crypto.SHA256}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := rsa.VerifyPSS(&s.key.PublicKey, crypto.SHA256, digest[:], sig, opts); err != nil {
				b.Fatal(err)
			}
		}
		itemsPerSecond(b, 1)
	})
	b.Run("ed25519-crypto-ed25519", func(b *testing.B) {
		s := testSigners()[SignatureED25519].(*ED25519Signer)
		sig, _ := s.Sign(msg)
		pub := s.Owner()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if !ed25519.Verify(pub, msg, sig) {
				b.Fatal("verify failed")
			}
		}
		itemsPerSecond(b, 1)
	})
}

// BenchmarkVerifier is BenchmarkVerify through a Verifier, whose cache of
// decompressed ed25519 keys is warm (the signer repeats, as a messenger
// unit's does).
func BenchmarkVerifier(b *testing.B) {
	eachBenchSigner(b, func(b *testing.B, s Signer) {
		raw := benchItem(b, s).Bytes()
		v := NewVerifier(0)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			d, err := ParseDataItem(raw)
			if err != nil {
				b.Fatal(err)
			}
			if err := v.Verify(d); err != nil {
				b.Fatal(err)
			}
		}
		itemsPerSecond(b, 1)
	})
}
