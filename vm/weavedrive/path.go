package weavedrive

import (
	"strconv"
	"strings"

	"github.com/aogo-dev/aogo/arweave"
)

type kind int

const (
	kindData kind = iota + 1
	kindTx
	kindBlock
)

// target is a parsed WeaveDrive path.
type target struct {
	kind   kind
	id     string // kindData, kindTx
	height int64  // kindBlock
}

// parsePath parses a path exactly: "/data/<id>", "/tx/<id>" or
// "/block/<height>", nothing before, after or in between. Any other path is
// an error wrapping arweave.ErrNotFound.
func parsePath(p string) (target, error) {
	rest, ok := strings.CutPrefix(p, "/")
	dir, arg, ok2 := strings.Cut(rest, "/")
	if ok && ok2 {
		switch dir {
		case "data", "tx":
			if validID(arg) {
				k := kindData
				if dir == "tx" {
					k = kindTx
				}
				return target{kind: k, id: arg}, nil
			}
		case "block":
			if h, ok := parseHeight(arg); ok {
				return target{kind: kindBlock, height: h}, nil
			}
		}
	}
	return target{}, notFound(strconv.Quote(p), "not a WeaveDrive path (/data/<id>, /tx/<id> or /block/<height>)")
}

// validID reports whether id is a canonical 43-character base64url id: it
// decodes to 32 bytes that encode back to id. NB: Go's decoder ignores the
// two unused low bits of the last character and skips newlines, so without
// the round trip several strings would name one item.
func validID(id string) bool {
	if len(id) != 43 {
		return false
	}
	b, err := arweave.DecodeID(id)
	return err == nil && arweave.B64(b) == id
}

// parseHeight parses a block height in canonical decimal: digits only, no
// sign, no leading zero (so each block has one path), within int64.
func parseHeight(s string) (int64, bool) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	h, err := strconv.ParseInt(s, 10, 64)
	return h, err == nil
}
