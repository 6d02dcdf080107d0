package main

import (
	"log/slog"
	"os"

	"github.com/spf13/cobra"
)

// globalFlags are the flags every command takes.
type globalFlags struct {
	logLevel string
}

func newRootCommand() *cobra.Command {
	var g globalFlags
	root := &cobra.Command{
		Use:           "aogo",
		Short:         "aogo runs AO units (SU, CU, MU) and an embedded Arweave gateway",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "warn", "log level: debug, info, warn or error")
	root.AddCommand(
		newWalletCommand(),
		newItemCommand(),
		newGatewayCommand(&g),
		newVMCommand(&g),
		newSUCommand(&g),
		newNodeCommand(&g),
		newModuleCommand(),
		newSpawnCommand(),
		newSendCommand(),
		newResultCommand(),
		newResultsCommand(),
		newDryRunCommand(),
		newMonitorCommand(),
		newUnmonitorCommand(),
		newAOSCommand(),
	)
	return root
}

// logger builds the structured logger commands hand to the packages; it
// writes to stderr and is quiet (warn) by default.
func (g *globalFlags) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, err
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})), nil
}
