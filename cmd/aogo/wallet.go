package main

import (
	"fmt"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/spf13/cobra"
)

func newWalletCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "wallet", Short: "Create wallets and show their addresses"}
	cmd.AddCommand(newWalletNewCommand(), newWalletAddressCommand())
	return cmd
}

func newWalletNewCommand() *cobra.Command {
	var keyType, out string
	cmd := &cobra.Command{
		Use:   "new -o FILE",
		Short: "Create a wallet (a JWK file) and print its address",
		Long: `Create a new wallet and write it as a JSON Web Key:
  rsa       Arweave RSA-4096 wallet (signature type 1), the format arweave.app and arweave-js use
  ed25519   RFC 8037 OKP key (signature type 2)
  ethereum  RFC 8812 secp256k1 key (signature type 3)
The file is created with mode 0600 and never overwritten.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := arweave.ParseSignatureType(keyType)
			if err != nil {
				return err
			}
			s, err := arweave.GenerateWallet(t)
			if err != nil {
				return err
			}
			if err := arweave.SaveWallet(out, s); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), arweave.SignerAddress(s))
			return nil
		},
	}
	cmd.Flags().StringVar(&keyType, "type", "rsa", "key type: rsa, ed25519 or ethereum")
	cmd.Flags().StringVarP(&out, "output", "o", "", "wallet file to create")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

func newWalletAddressCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "address FILE",
		Short: "Print the address of a wallet",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := arweave.LoadWallet(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), arweave.SignerAddress(s))
			return nil
		},
	}
}
