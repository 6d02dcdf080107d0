package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/spf13/cobra"
)

func newItemCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "item", Short: "Sign and verify ANS-104 data items"}
	cmd.AddCommand(newItemSignCommand(), newItemVerifyCommand())
	return cmd
}

func newItemSignCommand() *cobra.Command {
	var (
		walletFile, target, anchor, data, dataFile, out string
		tags                                            []string
	)
	cmd := &cobra.Command{
		Use:   "sign --wallet FILE -o OUT",
		Short: "Build and sign a data item",
		Long: `Build an ANS-104 data item, sign it with a wallet and write its binary.
Tags keep the order given; --tag may repeat. The anchor is a 32-character
string (as aoconnect passes it); the target is a 43-character id.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("data") && dataFile != "" {
				return errors.New("give --data or --data-file, not both")
			}
			s, err := arweave.LoadWallet(walletFile)
			if err != nil {
				return err
			}
			opts := arweave.ItemOptions{Target: target, Anchor: anchor, Data: []byte(data)}
			if dataFile != "" {
				if opts.Data, err = os.ReadFile(dataFile); err != nil {
					return err
				}
			}
			for _, kv := range tags {
				name, value, ok := strings.Cut(kv, "=")
				if !ok || name == "" {
					return fmt.Errorf("tag %q: want NAME=VALUE", kv)
				}
				opts.Tags = append(opts.Tags, arweave.Tag{Name: name, Value: value})
			}
			item, err := arweave.SignDataItem(s, opts)
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, item.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), item.ID())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&walletFile, "wallet", "", "wallet file (JWK)")
	f.StringVar(&target, "target", "", "target id (43 characters)")
	f.StringVar(&anchor, "anchor", "", "anchor (32 characters)")
	f.StringArrayVar(&tags, "tag", nil, "tag NAME=VALUE (repeatable, order kept)")
	f.StringVar(&data, "data", "", "data as a string")
	f.StringVar(&dataFile, "data-file", "", "read the data from a file")
	f.StringVarP(&out, "output", "o", "", "file to write the signed item to")
	_ = cmd.MarkFlagRequired("wallet")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

// itemSummary is what `aogo item verify` prints.
type itemSummary struct {
	ID            string        `json:"id"`
	Owner         string        `json:"owner"`
	SignatureType string        `json:"signatureType"`
	Target        string        `json:"target,omitempty"`
	Anchor        string        `json:"anchor,omitempty"`
	Tags          []arweave.Tag `json:"tags"`
	DataSize      int           `json:"dataSize"`
}

func newItemVerifyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "verify FILE",
		Short: "Check a data item's layout and signature and print it as JSON",
		Long:  "Prints id, owner address and tags as JSON; exits 1 with the reason when the item is malformed or its signature is wrong.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			item, err := arweave.ParseDataItem(b)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if err := item.Verify(); err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			tags := item.Tags
			if tags == nil {
				tags = arweave.Tags{}
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(itemSummary{
				ID: item.ID(), Owner: item.OwnerAddress(), SignatureType: item.SignatureType.String(),
				Target: item.TargetID(), Anchor: item.AnchorString(), Tags: tags, DataSize: len(item.Data),
			})
		},
	}
}
