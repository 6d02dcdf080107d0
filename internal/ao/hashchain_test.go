package ao

import "testing"

// TestHashChainVector checks the hash chain vector of protocol.md 1.4
// (computed with the reference SU's rule and an independent implementation).
func TestHashChainVector(t *testing.T) {
	const pid = "V4iZaXaryQ3eeCDB_2ZS4WmET6DTm35QukI6dNEhQPm"
	seed, err := HashChainSeed(pid)
	if err != nil {
		t.Fatal(err)
	}
	if seed != "wJ7ezwfl0t66nDH5Y3ha8GZcA1NWYJJH_tEuomRONNw" {
		t.Fatalf("seed %s", seed)
	}
	next, err := NextHashChain("VFRlw0hbk1-nlAbJ2DbMmwqGV8u6rWgrFYJWjm1mBMj", seed)
	if err != nil {
		t.Fatal(err)
	}
	if next != "kTQpyOX0GT2gYffNuj9rHsOCVVKDU6-vwfx5VoJr2C8" {
		t.Fatalf("next %s", next)
	}
}

func TestHashChainRejectsBadIDs(t *testing.T) {
	if _, err := HashChainSeed("short"); err == nil {
		t.Error("seed of a short id")
	}
	if _, err := NextHashChain("V4iZaXaryQ3eeCDB_2ZS4WmET6DTm35QukI6dNEhQPm", "!!"); err == nil {
		t.Error("next with a bad chain")
	}
}
