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

// readOnly marks cmd's --wallet optional: the command signs nothing (see
// readClient).
func readOnly(cmd *cobra.Command) {
	cmd.Flags().Lookup("wallet").Usage = "wallet file (JWK) whose address the request names (optional: nothing is signed)"
}

// readClient is client for commands that only read (result, results,
// dry-run): without --wallet a throwaway wallet will do.
func (f *clientFlags) readClient(cmd *cobra.Command) (*client.Client, error) {
	if f.wallet != "" {
		return f.client(cmd)
	}
	w, err := arweave.GenerateWallet(arweave.SignatureED25519)
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
	var module string
	cmd := signingCommand("spawn [MODULE]", "Spawn a process of a module on the node's scheduler; prints its id",
		func(ctx context.Context, c *client.Client, args []string, tags []arweave.Tag, data []byte) (string, error) {
			switch {
			case len(args) == 1 && module != "" && args[0] != module:
				return "", fmt.Errorf("two modules: %s and --module %s", args[0], module)
			case len(args) == 1:
				module = args[0]
			case module == "":
				return "", fmt.Errorf("name a module: aogo spawn MODULE, or --module NAME for a built-in one")
			}
			id, err := resolveModule(c, module)
			if err != nil {
				return "", err
			}
			return c.Spawn(ctx, id, tags, data)
		})
	cmd.Args = cobra.MaximumNArgs(1)
	cmd.Long = `Spawn a process of a module on the node's scheduler and print its id.
The module (MODULE or --module) is a module id, or the name of one of the
node's built-in modules: GET /node lists them under "modules" (a node built
with make has "counter", examples/counter).`
	cmd.Flags().StringVar(&module, "module", "", "the module: an id or a built-in module's name (e.g. counter)")
	return cmd
}

// resolveModule takes a module id as it is and looks anything else up
// among the node's built-in modules.
func resolveModule(c *client.Client, module string) (string, error) {
	if b, err := arweave.DecodeID(module); err == nil && len(b) == 32 {
		return module, nil
	}
	return c.BuiltinModule(module)
}

func newSendCommand() *cobra.Command {
	return signingCommand("send PROCESS", "Send a message to a process through the node's MU; prints its id",
		func(ctx context.Context, c *client.Client, args []string, tags []arweave.Tag, data []byte) (string, error) {
			return c.Message(ctx, args[0], tags, data)
		})
}

// signingCommand is a command that signs one item from --tag and --data
// for its argument (exactly one unless the caller changes Args), sends it,
// and prints the id do returns.
func signingCommand(use, short string, do func(ctx context.Context, c *client.Client, args []string, tags []arweave.Tag, data []byte) (string, error)) *cobra.Command {
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
			id, err := do(cmd.Context(), c, args, tags, []byte(f.data))
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
			c, err := f.readClient(cmd)
			if err != nil {
				return err
			}
			return printResult(cmd, c, args[0], args[1])
		},
	}
	f.register(cmd, false)
	readOnly(cmd)
	cmd.Flags().Bool("json", false, "print the whole result as JSON")
	return cmd
}

func newDryRunCommand() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "dry-run PROCESS",
		Short: "Evaluate a message on a process's latest state without keeping it; prints its Output",
		Long: `Evaluate a message (--tag, --data) on a copy of a process's latest state, as
aoconnect's dryrun: nothing is scheduled and the process does not change.
Prints its Output, or the whole result with --json. Owner and From are the
--wallet's address (a throwaway one without --wallet): nothing is signed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.readClient(cmd)
			if err != nil {
				return err
			}
			tags, err := f.parsedTags()
			if err != nil {
				return err
			}
			r, err := c.DryRun(cmd.Context(), args[0], tags, f.data)
			if err != nil {
				return err
			}
			return writeResult(cmd, r)
		},
	}
	f.register(cmd, true)
	readOnly(cmd)
	cmd.Flags().Bool("json", false, "print the whole result as JSON")
	return cmd
}

func printResult(cmd *cobra.Command, c *client.Client, pid, id string) error {
	r, err := c.Result(cmd.Context(), pid, id)
	if err != nil {
		return err
	}
	return writeResult(cmd, r)
}

// writeResult prints a result's Output, or all of it with --json; a
// failed message is an error.
func writeResult(cmd *cobra.Command, r *client.Result) error {
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
