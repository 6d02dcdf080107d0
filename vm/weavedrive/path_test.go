package weavedrive

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
)

// idWithPrefix is a canonical id that starts with prefix.
func idWithPrefix(t testing.TB, prefix string) string {
	t.Helper()
	b, err := arweave.DecodeB64(prefix + strings.Repeat("A", 43-len(prefix)))
	if err != nil || len(b) != 32 {
		t.Fatalf("bad prefix %q: %v", prefix, err)
	}
	return arweave.B64(b)
}

func TestParsePath(t *testing.T) {
	tx, block := idWithPrefix(t, "tx2"), idWithPrefix(t, "block")
	for _, c := range []struct {
		path string
		want target
	}{
		// The reference's path.includes('/tx') made these header reads.
		{"/data/" + tx, target{kind: kindData, id: tx}},
		{"/data/" + block, target{kind: kindData, id: block}},
		{"/tx/" + tx, target{kind: kindTx, id: tx}},
		{"/tx/" + block, target{kind: kindTx, id: block}},
		{"/block/0", target{kind: kindBlock}},
		{"/block/1439783", target{kind: kindBlock, height: 1439783}},
		{"/block/9223372036854775807", target{kind: kindBlock, height: 1<<63 - 1}},
	} {
		got, err := parsePath(c.path)
		if err != nil || got != c.want {
			t.Errorf("parsePath(%q) = %+v, %v; want %+v", c.path, got, err, c.want)
		}
	}
}

// render is the one path of a target.
func render(t target) string {
	switch t.kind {
	case kindData:
		return "/data/" + t.id
	case kindTx:
		return "/tx/" + t.id
	case kindBlock:
		return "/block/" + strconv.FormatInt(t.height, 10)
	}
	return ""
}

var (
	naiveID    = regexp.MustCompile(`^/(data|tx)/([A-Za-z0-9_-]{43})$`)
	naiveBlock = regexp.MustCompile(`^/block/(0|[1-9][0-9]*)$`)
)

// naiveParse is parsePath written the obvious, slow way.
func naiveParse(p string) bool {
	if m := naiveID.FindStringSubmatch(p); m != nil {
		b, err := arweave.DecodeB64(m[2])
		return err == nil && arweave.B64(b) == m[2]
	}
	if m := naiveBlock.FindStringSubmatch(p); m != nil {
		_, err := strconv.ParseInt(m[1], 10, 64)
		return err == nil
	}
	return false
}

// FuzzParsePath: parsePath accepts exactly the paths the regular
// expressions do, every accepted path is the one path of its file, and
// every refusal is "not found".
func FuzzParsePath(f *testing.F) {
	id := idWithPrefix(f, "tx")
	for _, s := range []string{
		"/data/" + id, "/tx/" + id, "/block/0", "/block/1439783", "/headers", "/data/tx2",
		"/data/" + id + "/", "//data/" + id, "/data/" + id[:42] + "B", "/block/01", "/block/-1",
		"/block/9223372036854775808", "/dev/urandom", "", "/", "/data/" + id[:20] + "\n" + id[20:],
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, err := parsePath(p)
		if (err == nil) != naiveParse(p) {
			t.Fatalf("parsePath(%q) = %+v, %v; the naive parser disagrees", p, got, err)
		}
		if err != nil {
			if !errors.Is(err, arweave.ErrNotFound) {
				t.Fatalf("parsePath(%q): %v does not wrap ErrNotFound", p, err)
			}
			return
		}
		if r := render(got); r != p {
			t.Fatalf("parsePath(%q) = %+v, which renders as %q", p, got, r)
		}
	})
}
