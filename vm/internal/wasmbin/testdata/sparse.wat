;; sparse.wat: functions whose sparse inline budget (MeterConfig.InlineSparse)
;; inline_test.go predicts from their loop counts and calls: it charges at
;; every function entry and loop header and nowhere else. Assemble with
;; --enable-tail-call.
(module
  (table 1 funcref)
  (elem (i32.const 0) $leaf)

  ;; No loop: one charge at the entry, whichever branch runs.
  (func $leaf (param $x i32) (result i32)
    (if (result i32) (i32.and (local.get $x) (i32.const 1))
      (then (i32.add (local.get $x) (i32.const 3)))
      (else (block (result i32) (i32.mul (local.get $x) (i32.const 5))))))
  (func (export "leaf") (param i32) (result i32) (call $leaf (local.get 0)))

  ;; Nested loops: the outer header turns n times, the inner one n*m times.
  ;; Several blocks per turn (if, br_if), charged once per turn.
  (func (export "nested") (param $n i32) (param $m i32) (result i32)
    (local $i i32) (local $j i32) (local $s i32)
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $inner_done
          (loop $inner
            (br_if $inner_done (i32.ge_u (local.get $j) (local.get $m)))
            (if (i32.and (local.get $j) (i32.const 1))
              (then (local.set $s (i32.add (local.get $s) (local.get $j))))
              (else (local.set $s (i32.sub (local.get $s) (i32.const 1)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $inner)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (local.get $s))

  ;; A loop of k turns that calls $leaf directly and through the table:
  ;; k loop turns, 2k entries of $leaf.
  (func (export "calls") (param $k i32) (result i32) (local $s i32)
    (block $done
      (loop $top
        (br_if $done (i32.eqz (local.get $k)))
        (local.set $s (i32.add (local.get $s) (call $leaf (local.get $k))))
        (local.set $s (i32.add (local.get $s)
          (call_indirect (param i32) (result i32) (local.get $k) (i32.const 0))))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $top)))
    (local.get $s))

  ;; A loop whose back edge is a br_table: n + 1 turns (n >= 0).
  (func (export "table") (param $n i32) (result i32) (local $s i32)
    (block $out
      (loop $top
        (local.set $s (i32.add (local.get $s) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br_table $out $top (i32.ge_s (local.get $n) (i32.const 0)))))
    (local.get $s))

  ;; Recursion of depth n: n + 1 entries.
  (func $depth (export "depth") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $depth (i32.sub (local.get $n) (i32.const 1)))))))

  ;; Tail recursion of depth n: n + 1 entries.
  (func $tail (export "tail") (param $n i32) (param $acc i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call $tail (i32.sub (local.get $n) (i32.const 1)) (i32.add (local.get $acc) (i32.const 2))))))

  ;; Endless: unbounded recursion, a return_call loop (with nothing else
  ;; in the body) and a loop with only a branch back.
  (func $rec (export "rec") (call $rec))
  (func $zspin (export "zspin") (return_call $zspin))
  (func (export "spin") (loop (br 0)))
)
