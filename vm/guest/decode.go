package guest

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// The fast decoders below read the message and env objects without
// encoding/json's reflection. In wasm that matters: encoding/json spends
// about 100 µs on a small message and 60 µs on an env in wazero (its
// scanner makes an indirect call per byte, which Go's wasm code makes
// expensive), more than everything else a trivial handler does.
//
// They are deliberately partial. Whatever they are not sure about (a
// key that differs from a field name only in case, a value of an unexpected
// type, a repeated Tags key, deep nesting, malformed JSON) makes them give
// up, and the caller decodes with encoding/json instead, which also
// produces the error text. The rule, checked by FuzzDecodeMessage and
// FuzzDecodeEnv: when a fast decoder succeeds, its result is exactly what
// encoding/json gives.

// maxSkipDepth bounds the nesting of values the fast path skips; deeper
// documents go to encoding/json.
const maxSkipDepth = 64

// reader walks a JSON document.
type reader struct {
	b []byte
	i int
}

// peek skips white space and returns the next byte, or 0 at the end.
func (r *reader) peek() byte {
	for r.i < len(r.b) {
		switch c := r.b[r.i]; c {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return c
		}
	}
	return 0
}

// eat consumes c if it is the next byte after white space.
func (r *reader) eat(c byte) bool {
	if r.peek() == c {
		r.i++
		return true
	}
	return false
}

// lit consumes the literal word (true, false or null) if it is next.
func (r *reader) lit(word string) bool {
	r.peek()
	if bytes.HasPrefix(r.b[r.i:], []byte(word)) {
		r.i += len(word)
		return true
	}
	return false
}

// end reports whether only white space is left.
func (r *reader) end() bool { return r.peek() == 0 && r.i == len(r.b) }

// str reads a string. Strings with escapes or invalid UTF-8 are handed to
// encoding/json one at a time, so its unescaping and U+FFFD replacement
// rules apply unchanged.
func (r *reader) str() (string, bool) {
	if r.peek() != '"' {
		return "", false
	}
	start := r.i
	plain := true
	for j := start + 1; j < len(r.b); j++ {
		switch c := r.b[j]; {
		case c == '"':
			r.i = j + 1
			body := r.b[start+1 : j]
			if plain && utf8.Valid(body) {
				return string(body), true
			}
			var s string
			if json.Unmarshal(r.b[start:j+1], &s) != nil {
				return "", false
			}
			return s, true
		case c == '\\':
			plain = false
			j++ // the escaped byte cannot end the string
		case c < 0x20:
			return "", false
		}
	}
	return "", false
}

// number reads a number token, checking the JSON grammar:
// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
func (r *reader) number() (string, bool) {
	r.peek()
	b, start := r.b, r.i
	j := r.i
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && b[j] >= '1' && b[j] <= '9':
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
	default:
		return "", false
	}
	if j < len(b) && b[j] == '.' {
		j++
		d := j
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == d {
			return "", false
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		d := j
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == d {
			return "", false
		}
	}
	r.i = j
	return string(b[start:j]), true
}

// skip reads and discards one value of any type.
func (r *reader) skip(depth int) bool {
	if depth > maxSkipDepth {
		return false
	}
	switch r.peek() {
	case '"':
		_, ok := r.str()
		return ok
	case 't':
		return r.lit("true")
	case 'f':
		return r.lit("false")
	case 'n':
		return r.lit("null")
	case '{':
		r.i++
		if r.eat('}') {
			return true
		}
		for {
			if _, ok := r.str(); !ok || !r.eat(':') || !r.skip(depth+1) {
				return false
			}
			if r.eat('}') {
				return true
			}
			if !r.eat(',') {
				return false
			}
		}
	case '[':
		r.i++
		if r.eat(']') {
			return true
		}
		for {
			if !r.skip(depth + 1) {
				return false
			}
			if r.eat(']') {
				return true
			}
			if !r.eat(',') {
				return false
			}
		}
	default:
		_, ok := r.number()
		return ok
	}
}

// key reads the next key of an object whose '{' has been consumed, and
// the ':' after it; i counts the keys read so far. It returns more=false
// at the closing '}'. A key without escapes is returned as a slice of the
// document (compare it with string(key) == "…", which does not allocate).
// fields reads the members of an object whose '{' was eaten, up to its
// '}', calling field for each key (the reader then at its value); false if
// the object is malformed or field says so.
func (r *reader) fields(field func(key []byte) bool) bool {
	for i := 0; ; i++ {
		key, more, ok := r.key(i)
		if !ok {
			return false
		}
		if !more {
			return true
		}
		if !field(key) {
			return false
		}
	}
}

func (r *reader) key(i int) (key []byte, more, ok bool) {
	if r.eat('}') {
		return nil, false, true
	}
	if i > 0 && !r.eat(',') {
		return nil, false, false
	}
	if r.peek() != '"' {
		return nil, false, false
	}
	// Fast path: a key made of plain printable ASCII.
	j := r.i + 1
	for j < len(r.b) && r.b[j] != '"' && r.b[j] != '\\' && r.b[j] >= 0x20 && r.b[j] < utf8.RuneSelf {
		j++
	}
	if j < len(r.b) && r.b[j] == '"' {
		key = r.b[r.i+1 : j]
		r.i = j + 1
	} else {
		s, ok := r.str()
		if !ok {
			return nil, false, false
		}
		key = []byte(s)
	}
	if !r.eat(':') {
		return nil, false, false
	}
	return key, true, true
}

// unknown consumes the value of a key that names no field. encoding/json
// also matches keys case-insensitively, so a key that is a field name in
// another case (or not ASCII) is not decoded here.
func (r *reader) unknown(key []byte, fields ...string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf {
			return false
		}
	}
	for _, f := range fields {
		if strings.EqualFold(string(key), f) {
			return false
		}
	}
	return r.skip(0)
}

// setString reads a string or null into *dst; null leaves it unchanged,
// as encoding/json does.
func (r *reader) setString(dst *string) bool {
	if r.lit("null") {
		return true
	}
	s, ok := r.str()
	if ok {
		*dst = s
	}
	return ok
}

// setBool reads true, false or null (unchanged) into *dst.
func (r *reader) setBool(dst *bool) bool {
	switch {
	case r.lit("true"):
		*dst = true
	case r.lit("false"):
		*dst = false
	case r.lit("null"):
	default:
		return false
	}
	return true
}

// setInt reads what flexInt accepts: a number, a decimal string or null
// (unchanged).
func (r *reader) setInt(dst *int64) bool {
	var text string
	var ok bool
	switch r.peek() {
	case 'n':
		return r.lit("null")
	case '"':
		text, ok = r.str()
	default:
		text, ok = r.number()
	}
	if !ok {
		return false
	}
	v, err := parseInt(text)
	if err != nil {
		return false
	}
	*dst = v
	return true
}

var tagFields = []string{"name", "value"}

// setTags reads a tag list, or null (which clears it, as encoding/json
// does for a slice).
func (r *reader) setTags(dst *Tags) bool {
	if r.lit("null") {
		*dst = nil
		return true
	}
	if !r.eat('[') {
		return false
	}
	tags := Tags{}
	if r.eat(']') {
		*dst = tags
		return true
	}
	for {
		var t Tag
		if !r.eat('{') {
			return false
		}
		if !r.fields(func(key []byte) bool {
			switch string(key) {
			case "name":
				return r.setString(&t.Name)
			case "value":
				return r.setString(&t.Value)
			}
			return r.unknown(key, tagFields...)
		}) {
			return false
		}
		tags = append(tags, t)
		if r.eat(']') {
			*dst = tags
			return true
		}
		if !r.eat(',') {
			return false
		}
	}
}

var messageFields = []string{
	"Id", "Owner", "From", "Target", "Anchor", "Signature", "Tags", "Data",
	"Epoch", "Nonce", "Timestamp", "Block-Height", "Hash-Chain",
	"Forwarded-By", "Cron", "Read-Only",
}

// fastMessage decodes a message, or reports that encoding/json must.
func fastMessage(raw []byte) (Message, bool) {
	m := Message{Raw: raw}
	r := reader{b: raw}
	if !r.eat('{') {
		return Message{}, false
	}
	sawTags := false
	if !r.fields(func(key []byte) bool {
		ok := false
		switch string(key) {
		case "Id":
			ok = r.setString(&m.ID)
		case "Owner":
			ok = r.setString(&m.Owner)
		case "From":
			ok = r.setString(&m.From)
		case "Target":
			ok = r.setString(&m.Target)
		case "Anchor":
			ok = r.setString(&m.Anchor)
		case "Signature":
			ok = r.setString(&m.Signature)
		case "Tags":
			// NB: encoding/json decodes a repeated array into the elements
			// it already has (merging their fields); leave that to it.
			ok = !sawTags && r.setTags(&m.Tags)
			sawTags = true
		case "Data":
			// A Data that is not a string (flexString keeps its JSON
			// text) is rare enough to leave to encoding/json.
			ok = r.setString(&m.Data)
		case "Epoch":
			ok = r.setInt(&m.Epoch)
		case "Nonce":
			ok = r.setInt(&m.Nonce)
		case "Timestamp":
			ok = r.setInt(&m.Timestamp)
		case "Block-Height":
			ok = r.setInt(&m.BlockHeight)
		case "Hash-Chain":
			ok = r.setString(&m.HashChain)
		case "Forwarded-By":
			ok = r.setString(&m.ForwardedBy)
		case "Cron":
			ok = r.setBool(&m.Cron)
		case "Read-Only":
			ok = r.setBool(&m.ReadOnly)
		default:
			ok = r.unknown(key, messageFields...)
		}
		return ok
	}) {
		return Message{}, false
	}
	if !r.end() {
		return Message{}, false
	}
	return m, true
}

var (
	envFields  = []string{"Process", "Module"}
	itemFields = []string{"Id", "Owner", "Tags"}
)

// fastEnv decodes an env, or reports that encoding/json must.
func fastEnv(raw []byte) (Env, bool) {
	e := Env{Raw: raw}
	r := reader{b: raw}
	if !r.eat('{') {
		return Env{}, false
	}
	var sawProcess, sawModule bool
	if !r.fields(func(key []byte) bool {
		switch string(key) {
		case "Process":
			return r.setItem(&e.Process, &sawProcess)
		case "Module":
			return r.setItem(&e.Module, &sawModule)
		}
		return r.unknown(key, envFields...)
	}) {
		return Env{}, false
	}
	if !r.end() {
		return Env{}, false
	}
	return e, true
}

// setItem reads an Item object or null (unchanged). seen records that the
// key was read before.
func (r *reader) setItem(dst *Item, seen *bool) bool {
	if r.lit("null") {
		return true
	}
	// NB: a repeated key decodes into the Item already there; leave that
	// to encoding/json.
	if *seen || !r.eat('{') {
		return false
	}
	*seen = true
	sawTags := false
	return r.fields(func(key []byte) bool {
		switch string(key) {
		case "Id":
			return r.setString(&dst.ID)
		case "Owner":
			return r.setString(&dst.Owner)
		case "Tags":
			ok := !sawTags && r.setTags(&dst.Tags)
			sawTags = true
			return ok
		}
		return r.unknown(key, itemFields...)
	})
}
