;; control.wat: control flow, calls and every index space a metering
;; rewrite must renumber: function imports interleaved with other imports,
;; exports, an element segment used by call_indirect, a start function and
;; globals. Imports come from env.wat.
(module
  (type $bin (func (param i32 i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (import "env" "g" (global $g i32))
  (import "env" "mem" (memory 1))
  (import "env" "twice" (func $twice (param i32) (result i32)))

  (table 4 funcref)
  (elem (i32.const 0) $add $sub $mul $div)

  (global $counter (mut i32) (i32.const 0))
  (global $k i64 (i64.const 7))

  (func $add (type $bin) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $bin) (i32.sub (local.get 0) (local.get 1)))
  (func $mul (type $bin) (i32.mul (local.get 0) (local.get 1)))
  (func $div (type $bin) (i32.div_s (local.get 0) (local.get 1)))

  (func $init (global.set $counter (i32.add (global.get $g) (i32.const 100))))
  (start $init)

  (func (export "dispatch") (param $op i32) (param $a i32) (param $b i32) (result i32)
    (call_indirect (type $bin) (local.get $a) (local.get $b) (local.get $op)))

  (func (export "classify") (param $x i32) (result i32)
    (block $b3
      (block $b2
        (block $b1
          (block $b0
            (br_table $b0 $b1 $b2 $b3 (local.get $x)))
          (return (i32.const 10)))
        (return (i32.const 11)))
      (return (i32.const 12)))
    (i32.const 13))

  (func $sum (export "sum") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (i32.add (local.get $s) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $s))

  (func $fac (export "fac") (param $n i64) (result i64)
    (if (result i64) (i64.le_s (local.get $n) (i64.const 1))
      (then (i64.const 1))
      (else (i64.mul (local.get $n) (call $fac (i64.sub (local.get $n) (i64.const 1)))))))

  (func (export "abs") (param $x i32) (result i32)
    (if (result i32) (i32.lt_s (local.get $x) (i32.const 0))
      (then (i32.sub (i32.const 0) (local.get $x)))
      (else (local.get $x))))

  (func (export "grow") (param i32) (result i32)
    (drop (memory.grow (local.get 0)))
    (memory.size))

  (func (export "callimports") (param i32) (result i32)
    (call $log (local.get 0))
    (call $twice (call $sum (local.get 0))))

  (func (export "pick") (param i32 i32 i32) (result i32)
    (select (local.get 0) (local.get 1) (local.get 2)))

  (func (export "nested") (param $x i32) (result i32) (local $r i32)
    (block $out
      (loop $l
        (if (i32.eqz (local.get $x)) (then (br $out)))
        (if (i32.and (local.get $x) (i32.const 1))
          (then (local.set $r (i32.add (local.get $r) (i32.const 3))))
          (else (local.set $r (i32.rem_u (i32.add (local.get $r) (i32.const 7)) (i32.const 1000)))))
        (local.set $x (i32.sub (local.get $x) (i32.const 1)))
        (br $l)))
    (local.get $r))

  (func (export "trap") (unreachable))
  (func (export "counter") (result i32) (global.get $counter))
  (func (export "k") (result i64) (global.get $k))
  (func (export "empty"))
  (export "table" (table 0))
  (export "memory" (memory 0))
  (export "add" (func $add))
)
