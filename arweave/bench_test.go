package arweave

import (
	"bytes"
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
