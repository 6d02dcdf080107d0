package cu

import (
	"unicode/utf8"

	"github.com/aogo-dev/aogo/scheduler"
)

// jsStr is a string that encodes as JavaScript's JSON.stringify writes it,
// which is what the reference loader hands to handle(): <, > and & as
// themselves (encoding/json escapes them), U+2028 and U+2029 as
// themselves (encoding/json escapes them always), \b \f \n \r \t as short
// escapes and other control characters as \u00xx. Bytes that are not
// UTF-8 become U+FFFD per maximal subpart, as the SU's JSON delivers
// them to a reference CU. The same string so gives the same bytes in
// memory as under a reference CU.
//
// NB: this relies on the encoder running with SetEscapeHTML(false)
// (mustJSON): only then does encoding/json keep a MarshalJSON result's
// bytes as they are.
type jsStr string

func (s jsStr) MarshalJSON() ([]byte, error) { return appendJSString(nil, string(s)), nil }

const hexDigits = "0123456789abcdef"

// appendJSString appends s as a JSON string, as JSON.stringify writes it.
func appendJSString(dst []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = scheduler.LossyUTF8([]byte(s))
	}
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
