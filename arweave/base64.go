package arweave

import (
	"encoding/base64"
	"fmt"
)

// B64 encodes b as unpadded base64url, the encoding Arweave uses for ids,
// owners, signatures and addresses.
func B64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// DecodeB64 decodes unpadded (or padded) base64url.
func DecodeB64(s string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(trimPadding(s))
	if err != nil {
		return nil, fmt.Errorf("arweave: bad base64url %q: %w", abbreviate(s), err)
	}
	return b, nil
}

// DecodeID decodes a 43-character id (item id, process id, address) into
// its 32 raw bytes.
func DecodeID(id string) ([]byte, error) {
	b, err := DecodeB64(id)
	if err != nil {
		return nil, err
	}
	if len(b) != 32 {
		return nil, fmt.Errorf("arweave: id %q decodes to %d bytes, want 32", abbreviate(id), len(b))
	}
	return b, nil
}

func trimPadding(s string) string {
	for len(s) > 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
	}
	return s
}

func abbreviate(s string) string {
	if len(s) > 64 {
		return s[:61] + "..."
	}
	return s
}
