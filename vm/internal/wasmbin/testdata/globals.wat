;; globals.wat: imported and defined globals of every number type, mutable
;; or not, one already exported, for ExportGlobals. The imports come from
;; globalsenv.wat.
(module
  (import "genv" "ci" (global $ci i32))
  (import "genv" "mi" (global $mi (mut i64)))
  (global $sp (mut i32) (i32.const 65536))
  (global $g i64 (i64.const -2))
  (global $f (mut f32) (f32.const 1.5))
  (global $d f64 (f64.const -0.25))
  (global $c2 (mut i32) (global.get $ci))
  (export "sp" (global $sp))
  (func (export "push") (param i32)
    (global.set $sp (i32.sub (global.get $sp) (local.get 0)))
    (global.set $mi (i64.add (global.get $mi) (i64.const 1))))
  (func (export "getsp") (result i32) (global.get $sp))
  (func (export "getf") (result f32) (global.get $f))
)
