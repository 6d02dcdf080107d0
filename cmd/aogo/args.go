package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// isDashID reports whether a is an Arweave id (43 base64url characters)
// that starts with '-': one id in 64 does, and flag parsing would take it
// for a flag.
func isDashID(a string) bool {
	if len(a) != 43 || a[0] != '-' {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// protectIDs rewrites a command line so that ids starting with '-' reach
// the command as arguments: the command's flags (with their values) first,
// then "--", then its positional arguments in their order. A command line
// without such an id, or with a "--" of its own, is returned as it is.
func protectIDs(root *cobra.Command, args []string) []string {
	dash := false
	for _, a := range args {
		if a == "--" {
			return args
		}
		dash = dash || isDashID(a)
	}
	if !dash {
		return args
	}
	cmd, _, err := root.Find(args)
	if err != nil {
		return args
	}
	// The command's names come first (aogo su verify ...).
	names := strings.Fields(cmd.CommandPath())[1:]
	if len(names) > len(args) {
		return args
	}
	for i, n := range names {
		if args[i] != n {
			return args
		}
	}
	needsValue := func(f *pflag.Flag) bool { return f != nil && f.NoOptDefVal == "" }
	lookup := func(name string) *pflag.Flag {
		if f := cmd.Flags().Lookup(name); f != nil {
			return f
		}
		return cmd.InheritedFlags().Lookup(name)
	}
	shorthand := func(s string) *pflag.Flag {
		if f := cmd.Flags().ShorthandLookup(s); f != nil {
			return f
		}
		return cmd.InheritedFlags().ShorthandLookup(s)
	}
	rest := args[len(names):]
	var flags, positional []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case isDashID(a) || !strings.HasPrefix(a, "-") || a == "-":
			positional = append(positional, a)
			continue
		case strings.HasPrefix(a, "--"):
			name, _, inline := strings.Cut(a[2:], "=")
			flags = append(flags, a)
			if !inline && needsValue(lookup(name)) && i+1 < len(rest) {
				i++
				flags = append(flags, rest[i])
			}
		default: // -x, -x value, -xvalue
			flags = append(flags, a)
			if len(a) == 2 && needsValue(shorthand(a[1:])) && i+1 < len(rest) {
				i++
				flags = append(flags, rest[i])
			}
		}
	}
	out := append(append([]string{}, names...), flags...)
	out = append(out, "--")
	return append(out, positional...)
}
