package guest

import (
	"unicode/utf8"
)

// The result document is written by hand for the same reason the input
// is read by hand (see decode.go): encoding/json costs about 15 µs in
// wazero for the smallest result. The output must be exactly what
// encoding/json writes for the equivalent structs with HTML escaping off;
// FuzzEncodeResponse checks that against the struct shape in
// guest_test.go (wireResponse).

// appendResult appends {"ok":true,"response":{…}} for r. Only a non-string
// Output goes through encoding/json, and only its error is returned.
func appendResult(dst []byte, r Response) ([]byte, error) {
	dst = append(dst, `{"ok":true,"response":{`...)
	switch out := r.Output.(type) {
	case nil:
	case string:
		dst = append(dst, `"Output":`...)
		dst = appendString(dst, out)
		dst = append(dst, ',')
	default:
		b, err := marshal(out)
		if err != nil {
			return nil, err
		}
		dst = append(dst, `"Output":`...)
		dst = append(dst, b...)
		dst = append(dst, ',')
	}
	dst = append(dst, `"Messages":[`...)
	for i, m := range r.Messages {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"Target":`...)
		dst = appendString(dst, m.Target)
		if m.Anchor != "" {
			dst = append(dst, `,"Anchor":`...)
			dst = appendString(dst, m.Anchor)
		}
		dst = append(dst, `,"Data":`...)
		dst = appendString(dst, m.Data)
		dst = appendTags(dst, m.Tags)
		dst = append(dst, '}')
	}
	dst = append(dst, `],"Spawns":[`...)
	for i, s := range r.Spawns {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '{')
		if s.Anchor != "" {
			dst = append(dst, `"Anchor":`...)
			dst = appendString(dst, s.Anchor)
			dst = append(dst, ',')
		}
		dst = append(dst, `"Data":`...)
		dst = appendString(dst, s.Data)
		dst = appendTags(dst, s.Tags)
		dst = append(dst, '}')
	}
	dst = append(dst, `],"Assignments":[`...)
	for i, a := range r.Assignments {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"Processes":`...)
		if a.Processes == nil {
			dst = append(dst, "null"...)
		} else {
			dst = append(dst, '[')
			for j, p := range a.Processes {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = appendString(dst, p)
			}
			dst = append(dst, ']')
		}
		dst = append(dst, `,"Message":`...)
		dst = appendString(dst, a.Message)
		dst = append(dst, '}')
	}
	dst = append(dst, ']')
	if r.Error != "" {
		dst = append(dst, `,"Error":`...)
		dst = appendString(dst, r.Error)
	}
	return append(dst, "}}"...), nil
}

// appendTags appends ,"Tags":[…] unless tags is empty (the field is
// omitempty).
func appendTags(dst []byte, tags Tags) []byte {
	if len(tags) == 0 {
		return dst
	}
	dst = append(dst, `,"Tags":[`...)
	for i, t := range tags {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"name":`...)
		dst = appendString(dst, t.Name)
		dst = append(dst, `,"value":`...)
		dst = appendString(dst, t.Value)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json does with
// HTML escaping off (encoding/json's appendString, escapeHTML=false):
// short escapes for \b \f \n \r \t, \u00XX for other control bytes,
// \ufffd for each invalid UTF-8 byte, and U+2028 and U+2029 escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
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
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
