// Package jsonstr writes strings as JSON the way JavaScript's
// JSON.stringify does, and decodes bytes that are not UTF-8 the way the
// reference units do (Lossy). The CU's message JSON, the guest SDK's
// results and the Lua module's json library all write strings with it, so
// the same text gives the same bytes everywhere. It imports nothing but
// the standard library: wasm guests use it too.
package jsonstr

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// Append appends s to dst as a JSON string, as JSON.stringify writes it:
// " and \ escaped, \b \f \n \r \t as short escapes, other control
// characters as \u00xx, and everything else as itself (<, > and &, which
// encoding/json escapes by default, and U+2028 and U+2029, which it
// escapes always). Bytes of s that are not UTF-8 become U+FFFD per
// maximal subpart (Lossy).
func Append(dst []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = Lossy([]byte(s))
	}
	return appendString(dst, s, false)
}

// AppendGo appends s as encoding/json writes it with HTML escaping off:
// as Append, but U+2028 and U+2029 escaped, and each byte that is not
// UTF-8 written as \ufffd. (The wasm guest SDK writes what encoding/json
// would, cheaper.)
func AppendGo(dst []byte, s string) []byte { return appendString(dst, s, true) }

func appendString(dst []byte, s string, goStyle bool) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			if !goStyle {
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\ufffd`...)
			case r == '\u2028' || r == '\u2029':
				dst = append(dst, s[start:i]...)
				dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			default:
				i += size
				continue
			}
			i += size
			start = i
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
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
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
