// Package arweave holds everything aogo knows about Arweave: ANS-104 data
// items (parse, build, sign, verify), ANS-104 bundles, the deep hash that
// items are signed over, wallets for the three signature types AO uses, and
// the Store interface through which the units put and read items.
//
// The package knows nothing about AO processes. Its implementations of Store
// live in sub-packages: arweave/embedded (the default, on-disk store that also
// serves the gateway subset over HTTP) and arweave/remote (a real gateway or
// arlocal, reached over HTTP with goar building the transactions).
//
// # Usage
//
// Sign an item and read it back:
//
//	signer, _ := arweave.GenerateWallet(arweave.SignatureED25519)
//	item, _ := arweave.SignDataItem(signer, arweave.ItemOptions{
//		Tags: []arweave.Tag{{Name: "Type", Value: "Message"}},
//		Data: []byte("hello"),
//	})
//	parsed, err := arweave.ParseDataItem(item.Bytes()) // structure only
//	err = parsed.Verify()                                // signature
//
// # Why parse and verify are separate
//
// Parsing checks the binary layout and the limits arbundles enforces (tag
// bytes, tag count); it is cheap and never panics. Verification costs a
// signature check. Callers at the edge (MU, SU, gateway) always do both;
// readers of data the node already verified and stored only parse.
package arweave
