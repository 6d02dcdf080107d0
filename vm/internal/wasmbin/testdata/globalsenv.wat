;; globalsenv.wat: the globals globals.wat imports.
(module
  (global (export "ci") i32 (i32.const 7))
  (global (export "mi") (mut i64) (i64.const 100)))
