package main

import (
	"math"
	"math/big"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// bigInt is the value of a `bint` userdata: an arbitrary-precision integer
// (math/big), immutable once made.
//
// aos's bint is a fixed-width (usually 256-bit) integer written in Lua;
// this one never overflows. Operators work on bints, numbers (integral
// values only) and decimal strings mixed: bint("1" ) + 2. Lua 5.1 compares
// with < and <= only values of the same type, so a bint compares with a
// bint; bint.lt(a, b) and friends take anything.
type bigInt struct{ v *big.Int }

func (b *bigInt) String() string { return b.v.String() }

const bintType = "bint"

// toBig converts a bint, an integral number or an integer string.
func toBig(v lua.LValue) (*big.Int, bool) {
	switch v := v.(type) {
	case *lua.LUserData:
		if b, ok := v.Value.(*bigInt); ok {
			return b.v, true
		}
	case lua.LNumber:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) {
			return nil, false
		}
		if math.Abs(f) < 1<<62 {
			return big.NewInt(int64(f)), true
		}
		i, _ := big.NewFloat(f).Int(nil)
		return i, true
	case lua.LString:
		s := strings.TrimSpace(string(v))
		neg := false
		switch {
		case strings.HasPrefix(s, "-"):
			neg, s = true, s[1:]
		case strings.HasPrefix(s, "+"):
			s = s[1:]
		}
		base := 10
		if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
			base, s = 16, s[2:]
		}
		if s == "" || strings.ContainsAny(s, "+-_ ") {
			return nil, false
		}
		i, ok := new(big.Int).SetString(s, base)
		if !ok {
			return nil, false
		}
		if neg {
			i.Neg(i)
		}
		return i, true
	}
	return nil, false
}

// checkBig is toBig for argument n, raising a Lua error when it fails.
func checkBig(L *lua.LState, n int) *big.Int {
	v := L.Get(n)
	b, ok := toBig(v)
	if !ok {
		L.ArgError(n, "an integer, a decimal string or a bint expected, got "+describe(v))
	}
	return b
}

func describe(v lua.LValue) string {
	switch v.(type) {
	case lua.LString:
		return "the string " + lua.LVAsString(v)
	case lua.LNumber:
		return "the number " + v.String()
	}
	return v.Type().String()
}

func pushBig(L *lua.LState, i *big.Int) {
	ud := L.NewUserData()
	ud.Value = &bigInt{v: i}
	L.SetMetatable(ud, L.GetTypeMetatable(bintType))
	L.Push(ud)
}

// openBint builds the bint module and registers the metatable of its
// values.
func openBint(L *lua.LState) *lua.LTable {
	binary := func(op func(z, x, y *big.Int) bool) lua.LGFunction {
		return func(L *lua.LState) int {
			x, y := checkBig(L, 1), checkBig(L, 2)
			z := new(big.Int)
			if !op(z, x, y) {
				L.RaiseError("attempt to divide by zero")
			}
			pushBig(L, z)
			return 1
		}
	}
	add := binary(func(z, x, y *big.Int) bool { z.Add(x, y); return true })
	sub := binary(func(z, x, y *big.Int) bool { z.Sub(x, y); return true })
	mul := binary(func(z, x, y *big.Int) bool { z.Mul(x, y); return true })
	// Floor division and modulo, as Lua's // and % on integers.
	idiv := binary(func(z, x, y *big.Int) bool {
		if y.Sign() == 0 {
			return false
		}
		m := new(big.Int)
		z.QuoRem(x, y, m)
		if m.Sign() != 0 && (m.Sign() < 0) != (y.Sign() < 0) {
			z.Sub(z, big.NewInt(1))
		}
		return true
	})
	mod := binary(func(z, x, y *big.Int) bool {
		if y.Sign() == 0 {
			return false
		}
		z.Rem(x, y)
		if z.Sign() != 0 && (z.Sign() < 0) != (y.Sign() < 0) {
			z.Add(z, y)
		}
		return true
	})
	// Truncated division, towards zero.
	tdiv := binary(func(z, x, y *big.Int) bool {
		if y.Sign() == 0 {
			return false
		}
		z.Quo(x, y)
		return true
	})
	pow := func(L *lua.LState) int {
		x, y := checkBig(L, 1), checkBig(L, 2)
		if y.Sign() < 0 {
			L.ArgError(2, "a non-negative exponent expected")
		}
		if y.BitLen() > 32 && x.CmpAbs(big.NewInt(1)) > 0 {
			L.ArgError(2, "exponent too large")
		}
		pushBig(L, new(big.Int).Exp(x, y, nil))
		return 1
	}
	cmp := func(test func(int) bool) lua.LGFunction {
		return func(L *lua.LState) int {
			L.Push(lua.LBool(test(checkBig(L, 1).Cmp(checkBig(L, 2)))))
			return 1
		}
	}
	unary := func(op func(z, x *big.Int)) lua.LGFunction {
		return func(L *lua.LState) int {
			z := new(big.Int)
			op(z, checkBig(L, 1))
			pushBig(L, z)
			return 1
		}
	}
	tostr := func(L *lua.LState) int {
		x := checkBig(L, 1)
		base := L.OptInt(2, 10)
		if base < 2 || base > 36 {
			L.ArgError(2, "base out of range")
		}
		L.Push(lua.LString(x.Text(base)))
		return 1
	}
	tonum := func(L *lua.LState) int {
		f, _ := new(big.Float).SetInt(checkBig(L, 1)).Float64()
		L.Push(lua.LNumber(f))
		return 1
	}
	newBint := func(L *lua.LState) int {
		pushBig(L, new(big.Int).Set(checkBig(L, 1)))
		return 1
	}

	mod_ := L.NewTable()
	setFuncs(L, mod_, []namedFunc{
		{"new", newBint},
		{"fromstring", func(L *lua.LState) int {
			i, ok := toBig(lua.LString(L.CheckString(1)))
			if !ok {
				L.Push(lua.LNil)
				return 1
			}
			pushBig(L, i)
			return 1
		}},
		{"zero", func(L *lua.LState) int { pushBig(L, new(big.Int)); return 1 }},
		{"one", func(L *lua.LState) int { pushBig(L, big.NewInt(1)); return 1 }},
		{"isbint", func(L *lua.LState) int {
			ud, ok := L.Get(1).(*lua.LUserData)
			if ok {
				_, ok = ud.Value.(*bigInt)
			}
			L.Push(lua.LBool(ok))
			return 1
		}},
		{"tostring", tostr},
		{"tonumber", tonum},
		{"add", add},
		{"sub", sub},
		{"mul", mul},
		{"div", idiv},
		{"idiv", idiv},
		{"tdiv", tdiv},
		{"mod", mod},
		{"pow", pow},
		{"ipow", pow},
		{"neg", unary(func(z, x *big.Int) { z.Neg(x) })},
		{"abs", unary(func(z, x *big.Int) { z.Abs(x) })},
		{"eq", cmp(func(c int) bool { return c == 0 })},
		{"lt", cmp(func(c int) bool { return c < 0 })},
		{"le", cmp(func(c int) bool { return c <= 0 })},
		{"gt", cmp(func(c int) bool { return c > 0 })},
		{"ge", cmp(func(c int) bool { return c >= 0 })},
		{"compare", func(L *lua.LState) int {
			L.Push(lua.LNumber(checkBig(L, 1).Cmp(checkBig(L, 2))))
			return 1
		}},
		{"iszero", func(L *lua.LState) int { L.Push(lua.LBool(checkBig(L, 1).Sign() == 0)); return 1 }},
		{"isneg", func(L *lua.LState) int { L.Push(lua.LBool(checkBig(L, 1).Sign() < 0)); return 1 }},
	})

	methods := L.NewTable()
	setFuncs(L, methods, []namedFunc{{"tostring", tostr}, {"tonumber", tonum}})
	for _, name := range []string{"add", "sub", "mul", "div", "idiv", "tdiv", "mod", "pow", "ipow", "neg", "abs", "eq", "lt", "le", "gt", "ge", "compare", "iszero", "isneg"} {
		methods.RawSetString(name, mod_.RawGetString(name))
	}

	mt := L.NewTypeMetatable(bintType)
	setFuncs(L, mt, []namedFunc{
		{"__add", add}, {"__sub", sub}, {"__mul", mul},
		{"__div", idiv}, {"__mod", mod}, {"__pow", pow},
		{"__unm", unary(func(z, x *big.Int) { z.Neg(x) })},
		{"__eq", cmp(func(c int) bool { return c == 0 })},
		{"__lt", cmp(func(c int) bool { return c < 0 })},
		{"__le", cmp(func(c int) bool { return c <= 0 })},
		{"__tostring", tostr},
		{"__concat", func(L *lua.LState) int {
			str := func(v lua.LValue) string {
				if b, ok := toBig(v); ok {
					if _, isUD := v.(*lua.LUserData); isUD {
						return b.String()
					}
				}
				if s, ok := v.(lua.LString); ok {
					return string(s)
				}
				if n, ok := v.(lua.LNumber); ok {
					return n.String()
				}
				L.RaiseError("attempt to concatenate a %s value", v.Type().String())
				return ""
			}
			L.Push(lua.LString(str(L.Get(1)) + str(L.Get(2))))
			return 1
		}},
	})
	mt.RawSetString("__index", methods)
	mt.RawSetString("__name", lua.LString(bintType))

	// bint(x) makes a bint, as bint.new(x).
	call := L.NewTable()
	call.RawSetString("__call", L.NewFunction(func(L *lua.LState) int {
		L.Remove(1) // the module itself
		return newBint(L)
	}))
	L.SetMetatable(mod_, call)
	return mod_
}
