package main

import (
	"slices"
	"testing"
)

func TestProtectIDs(t *testing.T) {
	const id = "-OxIEgVT0fyHJ9PU3DS_LCbzKTmwvmyzkeZqZsWf7OI"
	const other = "83PQ00t49ZuEn_dtalupbHW0eNM_td5-kVtf1lhCQtc"
	root := newRootCommand()
	for _, c := range []struct{ in, want []string }{
		{[]string{"dry-run", other, "--tag", "Action=Stats"}, []string{"dry-run", other, "--tag", "Action=Stats"}},
		{[]string{"dry-run", id, "--tag", "Action=Stats", "--node", "http://x"},
			[]string{"dry-run", "--tag", "Action=Stats", "--node", "http://x", "--", id}},
		{[]string{"result", id, other, "--json"}, []string{"result", "--json", "--", id, other}},
		{[]string{"result", other, id}, []string{"result", "--", other, id}},
		{[]string{"send", "--tag=To=x", id, "--tag", id}, []string{"send", "--tag=To=x", "--tag", id, "--", id}},
		{[]string{"result", "--", id, other}, []string{"result", "--", id, other}},
		{[]string{"su", "verify", "--process", id}, []string{"su", "verify", "--process", id, "--"}},
	} {
		if got := protectIDs(root, c.in); !slices.Equal(got, c.want) {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
}
