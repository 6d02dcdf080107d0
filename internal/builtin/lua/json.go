package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/aogo-dev/aogo/internal/jsonstr"
	lua "github.com/yuin/gopher-lua"
)

// The JSON codec of the Lua library (the `json` module) and of the module
// itself: it decodes the message and env straight into Lua tables and
// encodes the outbox from them, with no Go structs in between.
//
// Lua values map to JSON as aos's json module maps them:
//
//	nil                 null
//	boolean, string     boolean, string (invalid UTF-8 becomes U+FFFD)
//	number              a JSON number: integers in full, others as
//	                    JavaScript writes them; NaN and infinities fail
//	table               an array if its keys are exactly 1..n (and {} is
//	                    []), else an object whose keys are written as
//	                    strings, in the table's iteration order (insertion
//	                    order in gopher-lua)
//	big integer (bint)  its decimal string
//	function, thread,   fail
//	other userdata
//
// Decoding gives tables for objects and arrays (object keys in document
// order), nil for null (an array keeps its length with a hole there), and
// numbers as Lua numbers (float64).

// maxDepth bounds nesting both ways (a table that contains itself fails
// instead of recursing forever).
const maxDepth = 512

var errDepth = errors.New("json: nested too deeply (or a table contains itself)")

// encodeJSON appends the JSON form of v to dst.
func encodeJSON(dst []byte, v lua.LValue, depth int) ([]byte, error) {
	if depth > maxDepth {
		return dst, errDepth
	}
	switch v := v.(type) {
	case *lua.LNilType:
		return append(dst, "null"...), nil
	case lua.LBool:
		if v {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case lua.LNumber:
		return appendNumber(dst, float64(v))
	case lua.LString:
		return jsonstr.Append(dst, string(v)), nil
	case *lua.LTable:
		return encodeTable(dst, v, depth)
	case *lua.LUserData:
		if b, ok := v.Value.(*bigInt); ok {
			return jsonstr.Append(dst, b.String()), nil
		}
	}
	return dst, fmt.Errorf("json: cannot encode a value of type %s", v.Type())
}

func encodeTable(dst []byte, t *lua.LTable, depth int) ([]byte, error) {
	n := t.MaxN()
	// An array: keys exactly 1..n. Count every key to be sure.
	count := 0
	array := true
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		count++
		if f, ok := k.(lua.LNumber); !ok || float64(f) != math.Trunc(float64(f)) || f < 1 || int(f) > n {
			array = false
			break
		}
	}
	var err error
	if array && count == n {
		dst = append(dst, '[')
		for i := 1; i <= n; i++ {
			if i > 1 {
				dst = append(dst, ',')
			}
			if dst, err = encodeJSON(dst, t.RawGetInt(i), depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	}
	dst = append(dst, '{')
	first := true
	for k, val := t.Next(lua.LNil); k != lua.LNil; k, val = t.Next(k) {
		var key string
		switch k := k.(type) {
		case lua.LString:
			key = string(k)
		case lua.LNumber:
			key = k.String()
		default:
			return dst, fmt.Errorf("json: cannot encode a table key of type %s", k.Type())
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = jsonstr.Append(dst, key)
		dst = append(dst, ':')
		if dst, err = encodeJSON(dst, val, depth+1); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// appendNumber writes f as JavaScript's JSON.stringify does (near enough:
// integers in full, fixed notation from 1e-6 to 1e21, else exponent form).
func appendNumber(dst []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, fmt.Errorf("json: cannot encode the number %v", f)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.AppendFloat(dst, f, 'f', -1, 64), nil
	}
	if a := math.Abs(f); a >= 1e-6 && a < 1e21 {
		return strconv.AppendFloat(dst, f, 'f', -1, 64), nil
	}
	b := strconv.AppendFloat(nil, f, 'e', -1, 64)
	// Go writes e-07 where JavaScript writes e-7.
	for i := 0; i+2 < len(b); i++ {
		if b[i] == 'e' && (b[i+1] == '-' || b[i+1] == '+') && b[i+2] == '0' && i+3 < len(b) {
			b = append(b[:i+2], b[i+3:]...)
			break
		}
	}
	return append(dst, b...), nil
}

// decoder parses JSON into Lua values.
type decoder struct {
	L    *lua.LState
	data []byte
	pos  int
}

// decodeJSON parses one JSON document.
func decodeJSON(L *lua.LState, data []byte) (lua.LValue, error) {
	d := decoder{L: L, data: data}
	v, err := d.value(0)
	if err != nil {
		return lua.LNil, err
	}
	d.space()
	if d.pos != len(d.data) {
		return lua.LNil, d.errorf("unexpected data after the value")
	}
	return v, nil
}

func (d *decoder) errorf(format string, args ...any) error {
	return fmt.Errorf("json: "+format+" at byte %d", append(args, d.pos)...)
}

func (d *decoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) value(depth int) (lua.LValue, error) {
	if depth > maxDepth {
		return lua.LNil, errDepth
	}
	d.space()
	if d.pos >= len(d.data) {
		return lua.LNil, d.errorf("unexpected end of input")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		s, err := d.str()
		return lua.LString(s), err
	case c == 't':
		return lua.LTrue, d.literal("true")
	case c == 'f':
		return lua.LFalse, d.literal("false")
	case c == 'n':
		return lua.LNil, d.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	default:
		return lua.LNil, d.errorf("unexpected character %q", c)
	}
}

func (d *decoder) literal(word string) error {
	if len(d.data)-d.pos < len(word) || string(d.data[d.pos:d.pos+len(word)]) != word {
		return d.errorf("invalid literal")
	}
	d.pos += len(word)
	return nil
}

func (d *decoder) number() (lua.LValue, error) {
	start := d.pos
	if d.data[d.pos] == '-' {
		d.pos++
	}
	digits := func() int {
		n := 0
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	if digits() == 0 {
		return lua.LNil, d.errorf("invalid number")
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return lua.LNil, d.errorf("invalid number")
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return lua.LNil, d.errorf("invalid number")
		}
	}
	f, err := strconv.ParseFloat(string(d.data[start:d.pos]), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return lua.LNil, d.errorf("invalid number")
	}
	return lua.LNumber(f), nil
}

func (d *decoder) str() (string, error) {
	d.pos++ // the opening quote
	start := d.pos
	// Fast path: no escapes.
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '"' {
			s := d.data[start:d.pos]
			d.pos++
			if utf8.Valid(s) {
				return string(s), nil
			}
			return string([]rune(string(s))), nil // invalid bytes become U+FFFD
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", d.errorf("control character in a string")
		}
		d.pos++
	}
	buf := append([]byte(nil), d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			if utf8.Valid(buf) {
				return string(buf), nil
			}
			return string([]rune(string(buf))), nil
		case c < 0x20:
			return "", d.errorf("control character in a string")
		case c != '\\':
			buf = append(buf, c)
			d.pos++
			continue
		}
		d.pos++
		if d.pos >= len(d.data) {
			break
		}
		e := d.data[d.pos]
		d.pos++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.errorf("invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if d.pos+1 < len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
					save := d.pos
					d.pos += 2
					if x, ok := d.hex4(); ok {
						r2 = x
					} else {
						d.pos = save
					}
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
				} else {
					if r2 >= 0 {
						d.pos -= 6 // not a pair: the second escape stands alone
					}
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", d.errorf("invalid escape \\%c", e)
		}
	}
	return "", d.errorf("unterminated string")
}

func (d *decoder) hex4() (rune, bool) {
	if len(d.data)-d.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.data[d.pos : d.pos+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	d.pos += 4
	return r, true
}

// object and array parse into a scratch list first, so that the table is
// made with its final size (growing a gopher-lua table reallocates its Go
// maps, which is slow in wasm).
// key reads an object's key and the colon after it.
func (d *decoder) key() (string, error) {
	d.space()
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return "", d.errorf("expected a string key")
	}
	k, err := d.str()
	if err != nil {
		return "", err
	}
	d.space()
	if d.pos >= len(d.data) || d.data[d.pos] != ':' {
		return "", d.errorf("expected ':'")
	}
	d.pos++
	return k, nil
}

func (d *decoder) object(depth int) (lua.LValue, error) {
	d.pos++
	type kv struct {
		k string
		v lua.LValue
	}
	var pairs []kv
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return d.L.CreateTable(0, 0), nil
	}
	for {
		k, err := d.key()
		if err != nil {
			return lua.LNil, err
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return lua.LNil, err
		}
		if v != lua.LNil {
			pairs = append(pairs, kv{k, v})
		}
		d.space()
		if d.pos >= len(d.data) {
			return lua.LNil, d.errorf("unterminated object")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			continue
		case '}':
			d.pos++
			t := d.L.CreateTable(0, len(pairs))
			for _, p := range pairs {
				t.RawSetString(p.k, p.v)
			}
			return t, nil
		default:
			return lua.LNil, d.errorf("expected ',' or '}'")
		}
	}
}

func (d *decoder) array(depth int) (lua.LValue, error) {
	d.pos++
	var items []lua.LValue
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return d.L.CreateTable(0, 0), nil
	}
	for {
		v, err := d.value(depth + 1)
		if err != nil {
			return lua.LNil, err
		}
		items = append(items, v)
		d.space()
		if d.pos >= len(d.data) {
			return lua.LNil, d.errorf("unterminated array")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			continue
		case ']':
			d.pos++
			t := d.L.CreateTable(len(items), 0)
			for i, v := range items {
				if v != lua.LNil {
					t.RawSetInt(i+1, v)
				}
			}
			return t, nil
		default:
			return lua.LNil, d.errorf("expected ',' or ']'")
		}
	}
}

// openJSON is the json module: json.encode(value) and json.decode(text).
func openJSON(L *lua.LState) int {
	mod := L.NewTable()
	setFuncs(L, mod, []namedFunc{
		{"encode", func(L *lua.LState) int {
			b, err := encodeJSON(nil, L.CheckAny(1), 0)
			if err != nil {
				L.RaiseError("%s", err.Error())
			}
			L.Push(lua.LString(b))
			return 1
		}},
		{"decode", func(L *lua.LState) int {
			v, err := decodeJSON(L, []byte(L.CheckString(1)))
			if err != nil {
				L.RaiseError("%s", err.Error())
			}
			L.Push(v)
			return 1
		}},
	})
	L.Push(mod)
	return 1
}
