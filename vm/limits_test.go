package vm

import (
	"errors"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
)

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]uint64{
		"1-gb": 1 << 30, "500-mb": 500 << 20, "16 MB": 16 << 20, "1.5gb": 3 << 29,
		"65536": 65536, "64kb": 64 << 10, "4-GB": 4 << 30, "1-b": 1,
	} {
		got, err := ParseBytes(in)
		if err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "gb", "1-xb", "abc", "1e400gb"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) accepted", in)
		}
	}
}

func TestLimitsFromTags(t *testing.T) {
	tags := func(kv ...string) []arweave.Tag {
		var out []arweave.Tag
		for i := 0; i < len(kv); i += 2 {
			out = append(out, arweave.Tag{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}
	module := tags("Memory-Limit", "500-mb", "Compute-Limit", "9000000000000")
	l, err := LimitsFromTags(nil, module, 0, 0)
	if err != nil || l.Memory != 500<<20 || l.Compute != 9e12 {
		t.Fatalf("module tags: %+v, %v", l, err)
	}
	// The process's tags win over the module's.
	l, err = LimitsFromTags(tags("Memory-Limit", "16-mb", "Compute-Limit", "1000"), module, 0, 0)
	if err != nil || l.Memory != 16<<20 || l.Compute != 1000 {
		t.Fatalf("process tags: %+v, %v", l, err)
	}
	for name, c := range map[string]struct {
		process, module []arweave.Tag
		maxMem          uint64
	}{
		"missing memory":  {module: tags("Compute-Limit", "1")},
		"missing compute": {module: tags("Memory-Limit", "1-mb")},
		"above max":       {module: tags("Memory-Limit", "2-gb", "Compute-Limit", "1")},
		"bad memory":      {module: tags("Memory-Limit", "lots", "Compute-Limit", "1")},
		"bad compute":     {module: tags("Memory-Limit", "1-mb", "Compute-Limit", "9e12")},
		"compute above":   {module: tags("Memory-Limit", "1-mb", "Compute-Limit", "9000000000001")},
		"node maximum":    {module: tags("Memory-Limit", "64-mb", "Compute-Limit", "1"), maxMem: 32 << 20},
	} {
		if _, err := LimitsFromTags(c.process, c.module, c.maxMem, 0); !errors.Is(err, ErrLimit) {
			t.Errorf("%s: err = %v, want ErrLimit", name, err)
		}
	}
}
