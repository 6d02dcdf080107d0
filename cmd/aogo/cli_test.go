package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
)

// run executes aogo in-process with args and returns its stdout.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(protectIDs(cmd, args))
	err := cmd.Execute()
	return out.String(), err
}

func TestWalletAndItemCommands(t *testing.T) {
	dir := t.TempDir()
	for _, typ := range []string{"rsa", "ed25519", "ethereum"} {
		t.Run(typ, func(t *testing.T) {
			wallet := filepath.Join(dir, typ+".json")
			addr, err := run(t, "wallet", "new", "--type", typ, "-o", wallet)
			if err != nil {
				t.Fatal(err)
			}
			again, err := run(t, "wallet", "address", wallet)
			if err != nil || again != addr {
				t.Fatalf("address %q vs %q (%v)", again, addr, err)
			}
			if _, err := run(t, "wallet", "new", "--type", typ, "-o", wallet); err == nil {
				t.Fatal("wallet new overwrote an existing file")
			}
			dataFile := filepath.Join(dir, "data.txt")
			if err := os.WriteFile(dataFile, []byte("file data"), 0o644); err != nil {
				t.Fatal(err)
			}
			item := filepath.Join(dir, typ+".item")
			target := arweave.B64(bytes.Repeat([]byte{3}, 32))
			id, err := run(t, "item", "sign", "--wallet", wallet, "--target", target, "--anchor", strings.Repeat("0", 32),
				"--tag", "Data-Protocol=ao", "--tag", "Action=Eval=x", "--data-file", dataFile, "-o", item)
			if err != nil {
				t.Fatal(err)
			}
			out, err := run(t, "item", "verify", item)
			if err != nil {
				t.Fatal(err)
			}
			var got itemSummary
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if got.ID != strings.TrimSpace(id) || got.Owner != strings.TrimSpace(addr) || got.Target != target || got.DataSize != 9 {
				t.Fatalf("summary %+v", got)
			}
			if len(got.Tags) != 2 || got.Tags[1] != (arweave.Tag{Name: "Action", Value: "Eval=x"}) {
				t.Fatalf("tags %v", got.Tags)
			}
		})
	}
}

func TestItemVerifyRejects(t *testing.T) {
	dir := t.TempDir()
	wallet := filepath.Join(dir, "w.json")
	if _, err := run(t, "wallet", "new", "--type", "ed25519", "-o", wallet); err != nil {
		t.Fatal(err)
	}
	item := filepath.Join(dir, "i.bin")
	if _, err := run(t, "item", "sign", "--wallet", wallet, "--data", "hello", "-o", item); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(item)
	bad := append([]byte(nil), b...)
	bad[len(bad)-1] ^= 1
	for name, content := range map[string][]byte{"truncated": b[:60], "tampered": bad} {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, content, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := run(t, "item", "verify", f); err == nil {
			t.Errorf("%s item verified", name)
		}
	}
	if _, err := run(t, "item", "sign", "--wallet", wallet, "--tag", "novalue", "-o", item); err == nil {
		t.Error("tag without = accepted")
	}
}
