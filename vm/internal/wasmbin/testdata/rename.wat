;; rename.wat: imports and exports for Rename.
(module
  (import "env" "twice" (func $twice (param i32) (result i32)))
  (import "env" "mem" (memory 1))
  (func (export "quad") (param i32) (result i32) (call $twice (call $twice (local.get 0))))
  (func (export "one") (result i32) (i32.const 1))
  (export "memory" (memory 0)))
