package arweave

// Golden tests: the vectors of protocol.md section 1.4, computed with
// arbundles 1.0.3 and cross-checked with an independent implementation.

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"testing"
)

var vectorTags = []Tag{
	{Name: "Data-Protocol", Value: "ao"},
	{Name: "Variant", Value: "ao.TN.1"},
	{Name: "Type", Value: "Message"},
	{Name: "Action", Value: "Eval"},
}

const vectorTagsHex = "081a446174612d50726f746f636f6c04616f0e56617269616e740e616f2e544e2e3108547970650e4d6573736167650c416374696f6e084576616c00"

func TestGoldenAvroTags(t *testing.T) {
	got := EncodeTags(vectorTags)
	if hex.EncodeToString(got) != vectorTagsHex {
		t.Fatalf("EncodeTags = %x\nwant        %s", got, vectorTagsHex)
	}
	if len(got) != 60 {
		t.Fatalf("len = %d, want 60", len(got))
	}
	back, err := DecodeTags(got)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(vectorTags) {
		t.Fatalf("decoded %d tags", len(back))
	}
	for i := range back {
		if back[i] != vectorTags[i] {
			t.Fatalf("tag %d = %v, want %v", i, back[i], vectorTags[i])
		}
	}
}

// vectorItem builds the unsigned item of protocol.md 1.4 (signature left
// zero): type 1, owner 512 x 0x01, target 32 x 0x02, a 32-character anchor,
// the four tags and data "hello".
func vectorItem() []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = append(b, make([]byte, 512)...)
	b = append(b, bytes.Repeat([]byte{1}, 512)...)
	b = append(b, 1)
	b = append(b, bytes.Repeat([]byte{2}, 32)...)
	b = append(b, 1)
	b = append(b, "00000000000000000000000000000001"...)
	raw := EncodeTags(vectorTags)
	b = binary.LittleEndian.AppendUint64(b, 4)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(raw)))
	b = append(b, raw...)
	return append(b, "hello"...)
}

func TestGoldenItemLayoutAndDeepHash(t *testing.T) {
	b := vectorItem()
	if len(b) != 1173 {
		t.Fatalf("length %d, want 1173", len(b))
	}
	for _, c := range []struct {
		off  int
		want string
	}{{1026, "01"}, {1059, "01"}, {1092, "0400000000000000"}, {1100, "3c00000000000000"}} {
		if got := hex.EncodeToString(b[c.off : c.off+len(c.want)/2]); got != c.want {
			t.Errorf("at offset %d: %s, want %s", c.off, got, c.want)
		}
	}
	d, err := ParseDataItem(b)
	if err != nil {
		t.Fatal(err)
	}
	const wantHash = "3150f8bb5851d48c0447a7781a2b1d81ed7012f764dd010dd3307e548a1b59ca770e1b76c3b09192ec1c7f1352d93681"
	if got := hex.EncodeToString(d.SignatureData()); got != wantHash {
		t.Fatalf("deep hash %s\nwant      %s", got, wantHash)
	}
	if d.AnchorString() != "00000000000000000000000000000001" || d.TargetID() != B64(bytes.Repeat([]byte{2}, 32)) || string(d.Data) != "hello" {
		t.Fatalf("fields: anchor %q target %q data %q", d.AnchorString(), d.TargetID(), d.Data)
	}
}

// The hash chain vector of protocol.md 1.4 is checked in internal/ao.
