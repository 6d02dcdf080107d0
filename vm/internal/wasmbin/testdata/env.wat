;; env.wat: the imports of control.wat and rename.wat, as a wasm module
;; (wazero host modules cannot export globals or memories).
(module
  (global $last (mut i32) (i32.const -1))
  (global (export "g") i32 (i32.const 42))
  (memory (export "mem") 1)
  (func (export "log") (param i32) (global.set $last (local.get 0)))
  (func (export "twice") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
  (func (export "last") (result i32) (global.get $last))
)
