package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/client"
	"github.com/spf13/cobra"
)

// clientFlags are the flags of the commands that talk to a node.
type clientFlags struct {
	node   string
	wallet string
	tags   []string
	data   string
}

func (f *clientFlags) register(cmd *cobra.Command, withMessage bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.node, "node", "http://127.0.0.1:4400", "the node's root URL (its GET /node names the units)")
	fl.StringVar(&f.wallet, "wallet", "", "wallet file (JWK) to sign with (required)")
	if withMessage {
		fl.StringArrayVar(&f.tags, "tag", nil, "tag NAME=VALUE (repeatable, order kept)")
		fl.StringVar(&f.data, "data", "", "data as a string")
	}
}

func (f *clientFlags) client(cmd *cobra.Command) (*client.Client, error) {
	if f.wallet == "" {
		return nil, fmt.Errorf("--wallet is required (create one with: aogo wallet new -o wallet.json)")
	}
	w, err := arweave.LoadWallet(f.wallet)
	if err != nil {
		return nil, err
	}
	return client.New(cmd.Context(), f.node, w)
}

func (f *clientFlags) parsedTags() ([]arweave.Tag, error) {
	var out []arweave.Tag
	for _, t := range f.tags {
		name, value, ok := strings.Cut(t, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--tag %q: want NAME=VALUE", t)
		}
		out = append(out, arweave.Tag{Name: name, Value: value})
	}
	return out, nil
}

func newModuleCommand() *cobra.Command {
	var (
		f      clientFlags
		format string
		memory string
	)
	publish := &cobra.Command{
		Use:   "publish FILE",
		Short: "Publish a wasm module to a node's gateway; prints its id",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(cmd)
			if err != nil {
				return err
			}
			bin, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			tags, err := f.parsedTags()
			if err != nil {
				return err
			}
			id, err := c.PublishModule(cmd.Context(), client.Module{Binary: bin, Format: format, MemoryLimit: memory, Tags: tags})
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), id)
			return nil
		},
	}
	f.register(publish, true)
	publish.Flags().StringVar(&format, "format", "", "Module-Format (e.g. wasm32-wasip1-aogo, wasm32-unknown-emscripten2)")
	publish.Flags().StringVar(&memory, "memory-limit", "256-mb", "Memory-Limit of the module")
	cmd := &cobra.Command{Use: "module", Short: "Work with process modules"}
	cmd.AddCommand(publish)
	return cmd
}

func newSpawnCommand() *cobra.Command {
	return signingCommand("spawn MODULE", "Spawn a process of a module on the node's scheduler; prints its id",
		func(ctx context.Context, c *client.Client, module string, tags []arweave.Tag, data []byte) (string, error) {
			return c.Spawn(ctx, module, tags, data)
		})
}

func newSendCommand() *cobra.Command {
	return signingCommand("send PROCESS", "Send a message to a process through the node's MU; prints its id",
		func(ctx context.Context, c *client.Client, pid string, tags []arweave.Tag, data []byte) (string, error) {
			return c.Message(ctx, pid, tags, data)
		})
}

// signingCommand is a command that signs one item from --tag and --data
// for its one argument, sends it, and prints the id do returns.
func signingCommand(use, short string, do func(ctx context.Context, c *client.Client, arg string, tags []arweave.Tag, data []byte) (string, error)) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(cmd)
			if err != nil {
				return err
			}
			tags, err := f.parsedTags()
			if err != nil {
				return err
			}
			id, err := do(cmd.Context(), c, args[0], tags, []byte(f.data))
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), id)
			return nil
		},
	}
	f.register(cmd, true)
	return cmd
}

func newResultCommand() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "result PROCESS MESSAGE",
		Short: "Print the result of a message (its Output, or the whole result with --json)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			// Reading needs no signature, but the client wants a wallet:
			// without --wallet a throwaway one will do.
			var (
				c   *client.Client
				err error
			)
			if f.wallet == "" {
				w, werr := arweave.GenerateWallet(arweave.SignatureED25519)
				if werr != nil {
					return werr
				}
				c, err = client.New(cmd.Context(), f.node, w)
			} else {
				c, err = f.client(cmd)
			}
			if err != nil {
				return err
			}
			return printResult(cmd, c, args[0], args[1])
		},
	}
	f.register(cmd, false)
	cmd.Flags().Bool("json", false, "print the whole result as JSON")
	return cmd
}

func printResult(cmd *cobra.Command, c *client.Client, pid, id string) error {
	r, err := c.Result(cmd.Context(), pid, id)
	if err != nil {
		return err
	}
	if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
		b, err := jsonIndent(r)
		if err != nil {
			return err
		}
		fmt.Fprintln(cmd.OutOrStdout(), string(b))
		return nil
	}
	if r.Failed() {
		return fmt.Errorf("the message failed: %s", r.Error)
	}
	fmt.Fprintln(cmd.OutOrStdout(), r.OutputText())
	return nil
}

func jsonIndent(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }
