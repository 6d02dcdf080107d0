package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/client"
	"github.com/aogo-dev/aogo/internal/repl"
	"github.com/chzyer/readline"
	"github.com/spf13/cobra"
)

func newAOSCommand() *cobra.Command {
	var (
		node, wallet, module, cron string
	)
	cmd := &cobra.Command{
		Use:   "aos [NAME]",
		Short: "A Lua REPL on your AO process (spawned, or found again by name)",
		Long: `aos on aogo: a prompt on an AO process running the node's Lua module
(aogo-lua). It finds your newest process named NAME (default "default") on
the node's gateway, or spawns one, and sends every line you type to it as a
signed Eval message; the output is printed as soon as the result exists.
Messages that reach the process meanwhile (from other processes, its cron)
are shown as they come.

Commands: .editor (several lines; .done runs them), .load FILE (a Lua file
and the local modules it requires), .monitor / .unmonitor (the node's MU
runs the process's cron), .help, .exit (or Ctrl-D). Ctrl-C cancels the
line being typed, or stops waiting for an output.

The wallet defaults to one created in your config directory
(` + "`~/.config/aogo/wallet.json`" + ` on Linux), the history is kept beside it.
When standard input is not a terminal (a script, a pipe), each line read is
evaluated and its output goes to stdout; everything else (other messages'
outputs, errors, "Spawned <pid>") goes to stderr, and the command fails if an
evaluation did.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := repl.DefaultName
			if len(args) == 1 {
				name = args[0]
			}
			return runAOS(cmd, aosOptions{node: node, wallet: wallet, module: module, cron: cron, name: name})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&node, "node", "http://127.0.0.1:4400", "the node's root URL (its GET /node names the units)")
	fl.StringVar(&wallet, "wallet", "", "wallet file (JWK) that owns the process (default: created in your config directory)")
	fl.StringVar(&module, "module", "", "module of a process to spawn: an id or a built-in module's name (default aogo-lua)")
	fl.StringVar(&cron, "cron", "", "Cron-Interval of a process to spawn, e.g. 10-seconds (ticks carry Action=Cron)")
	return cmd
}

type aosOptions struct {
	node, wallet, module, cron, name string
}

func runAOS(cmd *cobra.Command, o aosOptions) error {
	config, err := os.UserConfigDir()
	if err != nil {
		return fmt.Errorf("no config directory for the default wallet and the history (%v): pass --wallet", err)
	}
	dir := filepath.Join(config, "aogo")
	if o.wallet == "" {
		o.wallet = filepath.Join(dir, "wallet.json")
	}
	w, err := arweave.LoadOrCreateWallet(o.wallet, arweave.SignatureED25519)
	if err != nil {
		return err
	}
	interactive := cmd.InOrStdin() == os.Stdin && readline.DefaultIsTerminal()

	// NB: main's context ends at the first Ctrl-C. On a terminal Ctrl-C
	// belongs to the REPL (it cancels a line or the wait for an output),
	// so the REPL runs on its own context, which only SIGTERM and SIGHUP
	// end.
	ctx := cmd.Context()
	var interrupts chan os.Signal
	if interactive {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(context.WithoutCancel(ctx), syscall.SIGTERM, syscall.SIGHUP)
		defer stop()
		interrupts = make(chan os.Signal, 1)
		signal.Notify(interrupts, os.Interrupt)
		defer signal.Stop(interrupts)
	}

	c, err := client.New(ctx, o.node, w)
	if err != nil {
		return err
	}
	cfg := repl.Config{Client: c, Node: o.node, Name: o.name, Cron: o.cron, Interrupts: interrupts}
	if o.module != "" {
		if cfg.Module, err = resolveModule(c, o.module); err != nil {
			return err
		}
	}
	if interactive {
		_ = os.MkdirAll(dir, 0o700)
		t, err := repl.NewTerminal(filepath.Join(dir, "aos_history"))
		if err != nil {
			return err
		}
		defer t.Close()
		cfg.Console, cfg.Color = t, readline.IsTerminal(int(os.Stdout.Fd()))
	} else {
		cfg.Console = repl.NewLineConsole(cmd.InOrStdin(), cmd.OutOrStdout())
		cfg.Notices, cfg.Errors, cfg.Incoming = cmd.ErrOrStderr(), cmd.ErrOrStderr(), cmd.ErrOrStderr()
		cfg.Quiet = true
	}
	r, err := repl.Start(ctx, cfg)
	if err != nil {
		return err
	}
	if err := r.Run(ctx); err != nil {
		return err
	}
	if n := r.Failed(); n > 0 && !interactive {
		return fmt.Errorf("%d evaluation(s) failed", n)
	}
	return nil
}
