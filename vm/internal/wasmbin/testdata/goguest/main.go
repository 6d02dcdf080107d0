// Command goguest is a Go (GOOS=wasip1) guest for the wasmbin tests: a real
// Go binary, with Go's padded LEB128 encodings, its stack pointer in wasm
// global 0, saturating truncations and a name section. It prints
// "fib 75025 100".
package main

import "fmt"

func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

func main() {
	m := map[string]int{}
	for i := 0; i < 100; i++ {
		m[fmt.Sprint(i)] = fib(i % 20)
	}
	fmt.Println("fib", fib(25), len(m))
}
