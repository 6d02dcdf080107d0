package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/arweave/embedded"
	"github.com/aogo-dev/aogo/arweave/remote"
	"github.com/aogo-dev/aogo/scheduler"
)

func newSUCommand(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "su", Short: "Scheduler unit tools"}
	cmd.AddCommand(newSUVerifyCommand(g))
	return cmd
}

func newSUVerifyCommand(g *globalFlags) *cobra.Command {
	var (
		pid, gatewayURL, dataDir string
		asJSON                   bool
	)
	cmd := &cobra.Command{
		Use:   "verify --process PID (--gateway URL | --data-dir DIR)",
		Short: "Check a process's log as permanent storage holds it",
		Long: `Check the log of a process from the store alone, without asking its SU: the
assignments (GraphQL tags Type=Assignment and Process=PID) ordered by Nonce
must have nonces 0..n-1 without gaps or duplicates, Epoch 0, strictly
increasing Timestamps, 12-digit non-decreasing Block-Heights, an unbroken
Hash-Chain, valid signatures by the one SU the process names, and every
message they name must be in the store.

--gateway reads an Arweave gateway (or arlocal, or aogo's gateway) over HTTP;
--data-dir reads the embedded store of a stopped node in DIR/store. Every
problem is listed; the command exits non-zero if there is any.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			var store arweave.Store
			if gatewayURL != "" {
				// Read-only: bundler mode is the one that needs no wallet.
				if store, err = remote.New(remote.Config{GatewayURL: gatewayURL, Mode: remote.ModeBundler, Logger: log}); err != nil {
					return err
				}
			} else {
				dir := filepath.Join(dataDir, "store")
				// NB: embedded.Open creates a missing store; an empty one
				// would report the process missing instead of the typo.
				if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("su verify: no store at %s (is --data-dir a node's data directory?)", dir)
				}
				s, err := embedded.Open(embedded.Config{Dir: dir, Logger: log})
				if err != nil {
					return fmt.Errorf("su verify: %w (a running node holds its store: stop it or use --gateway)", err)
				}
				defer s.Close()
				store = s
			}
			report, err := scheduler.VerifyProcess(cmd.Context(), store, pid)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(report); err != nil {
					return err
				}
			} else {
				printVerifyReport(out, report)
			}
			if !report.OK() {
				return fmt.Errorf("su verify: %d problem(s) in the log of process %s", len(report.Problems), pid)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&pid, "process", "", "id of the process to verify (required)")
	f.StringVar(&gatewayURL, "gateway", "", "base URL of the gateway to read, e.g. https://arweave.net")
	f.StringVar(&dataDir, "data-dir", "", "data directory of a stopped node (its embedded store is DIR/store)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.MarkFlagRequired("process")
	cmd.MarkFlagsMutuallyExclusive("gateway", "data-dir")
	cmd.MarkFlagsOneRequired("gateway", "data-dir")
	return cmd
}

// printVerifyReport writes a report for people.
func printVerifyReport(w io.Writer, r *scheduler.VerifyReport) {
	found := "found"
	if !r.ProcessFound {
		found = "MISSING"
	}
	fmt.Fprintf(w, "process      %s (process item %s)\n", r.Process, found)
	fmt.Fprintf(w, "scheduler    %s\n", r.Scheduler)
	nonces := "none"
	if r.LastNonce >= 0 {
		nonces = fmt.Sprintf("0..%d", r.LastNonce)
	}
	fmt.Fprintf(w, "assignments  %d (nonces %s)\n", r.Assignments, nonces)
	fmt.Fprintf(w, "messages     %d found, %d with their target checked\n", r.Messages, r.TargetsChecked)
	if r.OK() {
		fmt.Fprintln(w, "problems     none: the log is complete and consistent")
		return
	}
	fmt.Fprintf(w, "problems     %d\n", len(r.Problems))
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  %s\n", p)
	}
}
