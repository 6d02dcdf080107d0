package embedded_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
)

func Example() {
	dir, err := os.MkdirTemp("", "aogo-embedded-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	wallet, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		log.Fatal(err)
	}
	s, err := embedded.Open(embedded.Config{Dir: dir, Signer: wallet})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()

	// Two messages, stored in one bundle the store signs.
	var items []*arweave.DataItem
	for _, action := range []string{"Eval", "Transfer"} {
		it, err := arweave.SignDataItem(wallet, arweave.ItemOptions{
			Tags: []arweave.Tag{{Name: "Type", Value: "Message"}, {Name: "Action", Value: action}},
			Data: []byte("hello"),
		})
		if err != nil {
			log.Fatal(err)
		}
		items = append(items, it)
	}
	bundleID, err := s.PutBundle(ctx, items)
	if err != nil {
		log.Fatal(err)
	}
	blk, err := s.Mine(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("mined height", blk.Height)

	page, err := s.Query(ctx, arweave.TxQuery{
		Tags: []arweave.TagFilter{{Name: "Action", Values: []string{"Transfer"}}},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range page.Edges {
		tx := e.Node
		fmt.Println(tx.ID == items[1].ID(), tx.BundledIn == bundleID, tx.Block.Height, tx.DataSize)
	}
	// Output:
	// mined height 1
	// true true 1 5
}
