package arweave_test

// Interop with arbundles 0.11.2 (the ANS-104 library of the JS ecosystem),
// through test/js/interop.js: items and bundles arbundles makes verify here
// with the same ids and fields, and items and bundles made here verify in
// arbundles, for signature types 1, 2 and 3, with and without target,
// anchor, tags and data. Needs `make js-deps`; skipped without it (failed
// when CI is set).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/internal/arlocaltest"
)

var (
	interopRSAOnce sync.Once
	interopRSA     arweave.Signer
	interopRSAErr  error
)

// interopRSAWallet generates one RSA wallet per test binary.
func interopRSAWallet(t *testing.T) arweave.Signer {
	t.Helper()
	interopRSAOnce.Do(func() { interopRSA, interopRSAErr = arweave.GenerateWallet(arweave.SignatureArweave) })
	if interopRSAErr != nil {
		t.Fatal(interopRSAErr)
	}
	return interopRSA
}

// runInterop runs test/js/interop.js with args and returns its stdout.
func runInterop(t *testing.T, args ...string) []byte {
	t.Helper()
	js := arlocaltest.JSDir(t) // skips (or fails under CI) without node_modules
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{filepath.Join(js, "interop.js")}, args...)...)
	cmd.Dir = js
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node interop.js %s: %v\n%s", args[0], err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// jsItem is an item as interop.js describes it (manifest entries and
// verdicts). Binary values are b64url.
type jsItem struct {
	Name          string        `json:"name"`
	File          string        `json:"file"`
	Valid         *bool         `json:"valid"`
	Error         string        `json:"error"`
	ID            string        `json:"id"`
	SignatureType int           `json:"signatureType"`
	Signature     string        `json:"signature"`
	Owner         string        `json:"owner"`
	Target        string        `json:"target"`
	Anchor        string        `json:"anchor"`
	Tags          []arweave.Tag `json:"tags"`
	Data          string        `json:"data"`
	Size          int           `json:"size"`
	Bundle        *jsBundle     `json:"bundle"`
}

type jsBundle struct {
	File  string   `json:"file"`
	Valid bool     `json:"valid"`
	Error string   `json:"error"`
	IDs   []string `json:"ids"`
	Items []string `json:"items"`
}

type jsManifest struct {
	Wallets map[string]struct {
		File          string `json:"file"`
		SignatureType int    `json:"signatureType"`
		Owner         string `json:"owner"`
	} `json:"wallets"`
	Items      []jsItem `json:"items"`
	Bundle     jsBundle `json:"bundle"`
	BundleItem struct {
		File string `json:"file"`
		ID   string `json:"id"`
	} `json:"bundleItem"`
}

// sameFields reports how a Go item differs from arbundles' description.
func sameFields(it *arweave.DataItem, js jsItem) error {
	tags := js.Tags
	if len(tags) == 0 {
		tags = nil
	}
	gotTags := []arweave.Tag(it.Tags)
	if len(gotTags) == 0 {
		gotTags = nil
	}
	switch {
	case it.ID() != js.ID:
		return fmt.Errorf("id %s, arbundles says %s", it.ID(), js.ID)
	case int(it.SignatureType) != js.SignatureType:
		return fmt.Errorf("signature type %d, arbundles says %d", it.SignatureType, js.SignatureType)
	case arweave.B64(it.Signature) != js.Signature:
		return fmt.Errorf("signatures differ")
	case arweave.B64(it.Owner) != js.Owner:
		return fmt.Errorf("owners differ")
	case arweave.B64(it.Target) != js.Target:
		return fmt.Errorf("target %q, arbundles says %q", arweave.B64(it.Target), js.Target)
	case arweave.B64(it.Anchor) != js.Anchor:
		return fmt.Errorf("anchor %q, arbundles says %q", arweave.B64(it.Anchor), js.Anchor)
	case fmt.Sprint(gotTags) != fmt.Sprint(tags):
		return fmt.Errorf("tags %v, arbundles says %v", gotTags, tags)
	case arweave.B64(it.Data) != js.Data:
		return fmt.Errorf("data differs (%d bytes here)", len(it.Data))
	case js.Size != 0 && it.Size() != js.Size:
		return fmt.Errorf("size %d, arbundles says %d", it.Size(), js.Size)
	}
	return nil
}

func readParseVerify(t *testing.T, path string) *arweave.DataItem {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	it, err := arweave.ParseDataItem(b)
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	if err := it.Verify(); err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	return it
}

// Items, a bundle and a bundle item made by arbundles parse and verify here,
// with the ids and fields arbundles reports; its wallets parse here too.
func TestInteropArbundlesToGo(t *testing.T) {
	arlocaltest.JSDir(t)
	dir := t.TempDir()
	jwk, err := arweave.MarshalWallet(interopRSAWallet(t))
	if err != nil {
		t.Fatal(err)
	}
	jwkFile := filepath.Join(dir, "go-wallet.json")
	if err := os.WriteFile(jwkFile, jwk, 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "items")
	runInterop(t, "make-items", out, jwkFile)

	mb, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m jsManifest
	if err := json.Unmarshal(mb, &m); err != nil {
		t.Fatal(err)
	}

	t.Run("Wallets", func(t *testing.T) {
		if len(m.Wallets) != 3 {
			t.Fatalf("manifest lists %d wallets, want 3", len(m.Wallets))
		}
		for name, w := range m.Wallets {
			s, err := arweave.LoadWallet(filepath.Join(out, w.File))
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if int(s.Type()) != w.SignatureType || arweave.B64(s.Owner()) != w.Owner {
				t.Errorf("%s: wallet parses to a type %d signer with another owner", name, s.Type())
			}
		}
		if m.Wallets["arweave"].Owner != arweave.B64(interopRSAWallet(t).Owner()) {
			t.Errorf("arbundles did not sign with the RSA wallet passed to it")
		}
	})

	byID := map[string]*arweave.DataItem{}
	t.Run("Items", func(t *testing.T) {
		seen := map[string]bool{}
		for _, js := range m.Items {
			it := readParseVerify(t, filepath.Join(out, js.File))
			if err := sameFields(it, js); err != nil {
				t.Errorf("%s: %v", js.Name, err)
			}
			byID[it.ID()] = it
			seen[fmt.Sprintf("%d-%v-%v-%v-%v", it.SignatureType, len(it.Target) > 0, len(it.Anchor) > 0, len(it.Tags) > 0, len(it.Data) > 0)] = true
		}
		for _, typ := range []int{1, 2, 3} {
			for _, combo := range []string{"false-false-false-false", "true-false-false-false", "false-true-false-false", "false-false-true-false", "false-false-false-true", "true-true-true-true"} {
				if !seen[fmt.Sprintf("%d-%s", typ, combo)] {
					t.Errorf("no item of type %d with target-anchor-tags-data %s", typ, combo)
				}
			}
		}
	})

	t.Run("Bundle", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(out, m.Bundle.File))
		if err != nil {
			t.Fatal(err)
		}
		items, err := arweave.DecodeBundle(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != len(m.Bundle.IDs) {
			t.Fatalf("bundle holds %d items, arbundles says %d", len(items), len(m.Bundle.IDs))
		}
		for i, it := range items {
			if it.ID() != m.Bundle.IDs[i] {
				t.Errorf("bundle item %d is %s, arbundles says %s", i, it.ID(), m.Bundle.IDs[i])
			}
			if err := it.Verify(); err != nil {
				t.Errorf("bundle item %d: %v", i, err)
			}
			if want := byID[it.ID()]; want == nil || !bytes.Equal(it.Bytes(), want.Bytes()) {
				t.Errorf("bundle item %d is not byte for byte the item arbundles wrote alone", i)
			}
		}
		if !bytes.Equal(arweave.EncodeBundle(items), b) {
			t.Error("EncodeBundle of the items differs from arbundles' bundle")
		}
	})

	t.Run("BundleItem", func(t *testing.T) {
		it := readParseVerify(t, filepath.Join(out, m.BundleItem.File))
		if it.ID() != m.BundleItem.ID || !arweave.IsBundle(it.Tags) {
			t.Fatalf("bundle item %s (tags %v), arbundles says %s", it.ID(), it.Tags, m.BundleItem.ID)
		}
		nested, err := arweave.DecodeBundle(it.Data)
		if err != nil {
			t.Fatal(err)
		}
		if len(nested) != len(m.Bundle.IDs) {
			t.Fatalf("bundle item holds %d items, want %d", len(nested), len(m.Bundle.IDs))
		}
		for i, n := range nested {
			if n.ID() != m.Bundle.IDs[i] {
				t.Errorf("nested item %d is %s, want %s", i, n.ID(), m.Bundle.IDs[i])
			}
		}
	})
}

// Items, a bundle and bundle items made here verify in arbundles, which
// reads the same fields; corrupted ones do not.
func TestInteropGoToArbundles(t *testing.T) {
	arlocaltest.JSDir(t)
	dir := t.TempDir()
	signers := map[string]arweave.Signer{"arweave": interopRSAWallet(t)}
	for name, typ := range map[string]arweave.SignatureType{"ed25519": arweave.SignatureED25519, "ethereum": arweave.SignatureEthereum} {
		s, err := arweave.GenerateWallet(typ)
		if err != nil {
			t.Fatal(err)
		}
		signers[name] = s
	}
	target := arweave.B64(bytes.Repeat([]byte{0x5a}, 32))
	anchor := "00000000000000000000000000000007"
	tags := []arweave.Tag{
		{Name: "Data-Protocol", Value: "ao"},
		{Name: "Type", Value: "Message"},
		{Name: "Unicode", Value: "h\u00e9llo \u2713 \U0001F600"},
		{Name: "Empty-Value", Value: ""},
	}
	data := append([]byte("hello from Go\n"), bytes.Repeat([]byte{0, 1, 2, 0xff}, 300)...)
	variants := map[string]arweave.ItemOptions{
		"bare":   {},
		"target": {Target: target},
		"anchor": {Anchor: anchor},
		"tags":   {Tags: tags},
		"data":   {Data: data},
		"all":    {Target: target, Anchor: anchor, Tags: tags, Data: data},
	}

	var (
		files []string
		want  = map[string]*arweave.DataItem{} // by file
		items []*arweave.DataItem
	)
	write := func(name string, b []byte) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for sname, s := range signers {
		for vname, opts := range variants {
			it, err := arweave.SignDataItem(s, opts)
			if err != nil {
				t.Fatalf("%s-%s: %v", sname, vname, err)
			}
			path := write(sname+"-"+vname+".bin", it.Bytes())
			files = append(files, path)
			want[path] = it
			items = append(items, it)
		}
	}
	// Bundle items signed by each key type, and a corrupted item (data
	// changed after signing) that arbundles must reject.
	for sname, s := range signers {
		b, err := arweave.SignBundle(s, items, arweave.Tag{Name: "Signed-By", Value: sname})
		if err != nil {
			t.Fatal(err)
		}
		path := write("bundle-item-"+sname+".bin", b.Bytes())
		files = append(files, path)
		want[path] = b
	}
	bad := bytes.Clone(items[0].Bytes())
	bad[len(bad)-1] ^= 1
	badFile := write("corrupted.bin", bad)
	files = append(files, badFile)

	var verdicts []jsItem
	if err := json.Unmarshal(runInterop(t, append([]string{"verify"}, files...)...), &verdicts); err != nil {
		t.Fatal(err)
	}
	if len(verdicts) != len(files) {
		t.Fatalf("%d verdicts for %d files", len(verdicts), len(files))
	}
	for _, v := range verdicts {
		name := filepath.Base(v.File)
		if v.File == badFile {
			if v.Valid == nil || *v.Valid {
				t.Errorf("%s: arbundles accepts an item whose data changed after signing", name)
			}
			continue
		}
		if v.Valid == nil || !*v.Valid {
			t.Errorf("%s: arbundles rejects it (%s)", name, v.Error)
			continue
		}
		it := want[v.File]
		if err := sameFields(it, v); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if arweave.IsBundle(it.Tags) {
			if v.Bundle == nil || !v.Bundle.Valid {
				t.Errorf("%s: arbundles rejects the nested bundle: %+v", name, v.Bundle)
			} else if fmt.Sprint(v.Bundle.IDs) != fmt.Sprint(ids(items)) {
				t.Errorf("%s: arbundles reads nested ids %v, want %v", name, v.Bundle.IDs, ids(items))
			}
		}
	}

	// A bare bundle (not wrapped in an item), and a corrupted copy.
	bundle := arweave.EncodeBundle(items)
	badBundle := bytes.Clone(bundle)
	badBundle[len(badBundle)-1] ^= 1
	bundleFile, badBundleFile := write("bundle.bin", bundle), write("bundle-corrupted.bin", badBundle)
	var bverdicts []jsBundle
	if err := json.Unmarshal(runInterop(t, "verify-bundle", bundleFile, badBundleFile), &bverdicts); err != nil {
		t.Fatal(err)
	}
	if len(bverdicts) != 2 {
		t.Fatalf("%d bundle verdicts, want 2", len(bverdicts))
	}
	if !bverdicts[0].Valid || fmt.Sprint(bverdicts[0].IDs) != fmt.Sprint(ids(items)) || fmt.Sprint(bverdicts[0].Items) != fmt.Sprint(ids(items)) {
		t.Errorf("arbundles on the Go bundle: %+v, want valid with ids %v", bverdicts[0], ids(items))
	}
	if bverdicts[1].Valid {
		t.Error("arbundles accepts a bundle whose last item was changed after signing")
	}
}

func ids(items []*arweave.DataItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID()
	}
	return out
}
