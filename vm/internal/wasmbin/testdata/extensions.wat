;; extensions.wat: what the reference cannot decode but Meter must still
;; renumber and meter: ref.func in a global initializer and in expression
;; element segments, passive and declarative segments, a data count
;; section, bulk memory, saturating truncation, SIMD, a multi-value block
;; type, reference instructions and tail calls. Assemble with
;; --enable-tail-call.
(module
  (import "env" "twice" (func $twice (param i32) (result i32)))
  (memory 1)
  (table $t 4 funcref)
  (table $t2 2 funcref)
  (global $fr funcref (ref.func $inc))
  (elem $active (table $t) (i32.const 0) funcref (ref.func $inc) (ref.func $dbl) (ref.null func))
  (elem $pass funcref (ref.func $inc) (ref.func $twice))
  (elem declare func $fact)
  (elem (table $t2) (i32.const 0) func $dbl $inc)
  (data $d "hello")

  (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (param i32) (result i32) (i32.shl (local.get 0) (i32.const 1)))

  (func $fact (param $n i64) (param $acc i64) (result i64)
    (if (result i64) (i64.le_s (local.get $n) (i64.const 1))
      (then (local.get $acc))
      (else (return_call $fact
        (i64.sub (local.get $n) (i64.const 1))
        (i64.mul (local.get $n) (local.get $acc))))))
  (func (export "fact") (param i64) (result i64) (call $fact (local.get 0) (i64.const 1)))

  (func (export "viaglobal") (param i32) (result i32)
    (table.set $t (i32.const 3) (global.get $fr))
    (call_indirect $t (param i32) (result i32) (local.get 0) (i32.const 3)))
  (func (export "viatable") (param i32 i32) (result i32)
    (call_indirect $t (param i32) (result i32) (local.get 0) (local.get 1)))
  (func (export "viatable2") (param i32 i32) (result i32)
    (call_indirect $t2 (param i32) (result i32) (local.get 0) (local.get 1)))
  (func (export "passive") (param i32) (result i32)
    (table.init $t $pass (i32.const 2) (i32.const 0) (i32.const 2))
    (call_indirect $t (param i32) (result i32) (local.get 0) (i32.const 3)))

  (func (export "bulk") (result i32)
    (memory.init $d (i32.const 100) (i32.const 0) (i32.const 5))
    (memory.copy (i32.const 200) (i32.const 100) (i32.const 5))
    (memory.fill (i32.const 100) (i32.const 0) (i32.const 5))
    (data.drop $d)
    (i32.add (i32.load8_u (i32.const 204)) (i32.load8_u (i32.const 100))))
  (func (export "sat") (param f64) (result i32) (i32.trunc_sat_f64_s (local.get 0)))
  (func (export "simd") (param i32) (result i32)
    (i32x4.extract_lane 2
      (i32x4.add (i32x4.splat (local.get 0)) (v128.const i32x4 1 2 3 4))))
  (func (export "multi") (param i32) (result i32)
    (local.get 0)
    (block (param i32) (result i32 i32) (i32.const 5))
    (i32.add))
  (func (export "refs") (result i32)
    (i32.add (ref.is_null (ref.null func)) (ref.is_null (ref.func $fact))))

  ;; An endless loop of instructions that cost nothing: return_call is not
  ;; in the cost table.
  (func $zspin (export "zspin") (return_call $zspin))
)
