package arweave_test

import (
	"fmt"

	"github.com/aogo-dev/aogo/arweave"
)

// Sign an AO message, then parse and verify it as a unit at the edge does.
func ExampleSignDataItem() {
	signer, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		panic(err)
	}
	item, err := arweave.SignDataItem(signer, arweave.ItemOptions{
		Target: "V4iZaXaryQ3eeCDB_2ZS4WmET6DTm35QukI6dNEhQPk",
		Anchor: "00000000000000000000000000000001",
		Tags: []arweave.Tag{
			{Name: "Data-Protocol", Value: "ao"},
			{Name: "Type", Value: "Message"},
			{Name: "Action", Value: "Eval"},
		},
		Data: []byte("return 1 + 1"),
	})
	if err != nil {
		panic(err)
	}

	parsed, err := arweave.ParseDataItem(item.Bytes()) // layout and limits
	if err != nil {
		panic(err)
	}
	if err := parsed.Verify(); err != nil { // signature
		panic(err)
	}
	fmt.Println(parsed.ID() == item.ID(), len(parsed.ID()))
	fmt.Println(parsed.TargetID(), parsed.Tags.Value("Action"), string(parsed.Data))
	// Output:
	// true 43
	// V4iZaXaryQ3eeCDB_2ZS4WmET6DTm35QukI6dNEhQPk Eval return 1 + 1
}

// Pack items into an ANS-104 bundle wrapped in a signed data item, and
// read them back.
func ExampleSignBundle() {
	signer, _ := arweave.GenerateWallet(arweave.SignatureED25519)
	var items []*arweave.DataItem
	for _, data := range []string{"one", "two", "three"} {
		it, _ := arweave.SignDataItem(signer, arweave.ItemOptions{Data: []byte(data)})
		items = append(items, it)
	}
	wrapper, _ := arweave.SignBundle(signer, items)
	back, err := arweave.DecodeBundle(wrapper.Data)
	if err != nil {
		panic(err)
	}
	fmt.Println(arweave.IsBundle(wrapper.Tags), len(back), string(back[2].Data))
	// Output: true 3 three
}
