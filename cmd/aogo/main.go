// Command aogo is the single binary of aogo: it runs nodes and gateways and
// offers the tools developers and operators need (wallets, data items).
//
// Run `aogo help` for the list of commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	root := newRootCommand()
	root.SetArgs(protectIDs(root, os.Args[1:]))
	err := root.ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "aogo:", err)
		os.Exit(1)
	}
}
